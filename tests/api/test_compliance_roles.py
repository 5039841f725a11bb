"""Only ``compliance`` keys can create, read or download anything under /v1/compliance."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation.store import DisclosureRequest, Export, LegalHold
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    export_case,
    export_dir,
    open_case,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site

HOLD = {"scope": {"sender_email": "asha@example.com"}, "reference": "Hold 1"}


def _endpoints(case_id: int, export_id: int, hold_id: int, comment_id: int) -> list[tuple[str, str, dict]]:
    case = {"authority": "Police", "legal_reference": "R-2", "legal_basis": "IT Rules 2021",
            "scope": {"comment_ids": [comment_id]}}
    return [
        ("POST", "/v1/compliance/requests", case),
        ("GET", "/v1/compliance/requests", {}),
        ("GET", "/v1/compliance/requests/due", {}),
        ("GET", f"/v1/compliance/requests/{case_id}", {}),
        ("POST", f"/v1/compliance/requests/{case_id}/exports", {"format": "csv"}),
        ("GET", f"/v1/compliance/exports/{export_id}", {}),
        ("POST", f"/v1/compliance/exports/{export_id}/approve", {}),
        ("GET", f"/v1/compliance/exports/{export_id}/file", {}),
        ("GET", f"/v1/compliance/comments/{comment_id}/sender?case_id={case_id}", {}),
        ("GET", f"/v1/compliance/requests/{case_id}/comments/{comment_id}/sender", {}),
        ("POST", "/v1/compliance/holds", HOLD),
        ("GET", "/v1/compliance/holds", {}),
        ("GET", f"/v1/compliance/holds/{hold_id}", {}),
        ("POST", f"/v1/compliance/holds/{hold_id}/release", {}),
        ("POST", f"/v1/compliance/requests/{case_id}/close", {}),
    ]


def _counts(app: Flask) -> tuple[int, int, int]:
    with app.extensions["db"].session() as session:
        return tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[return-value]
                     for model in (DisclosureRequest, Export, LegalHold))


@pytest.mark.parametrize("role", ["site", "moderator", "admin", "compliance", None])
def test_every_endpoint_admits_only_compliance_keys(
    app: Flask, client: FlaskClient, role: str | None
) -> None:
    site_id = make_site(app)
    comment_id = seed_comment(app, site_id)
    creator, approver = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, creator, {"comment_ids": [comment_id]})
    export = export_case(client, creator, case["id"])
    hold = client.post("/v1/compliance/holds", json=HOLD, headers=auth(creator)).get_json()
    before = _counts(app)

    if role is None:
        headers: dict[str, str] = {}
    else:
        token = make_key(app, role, site_id if role == "site" else None)
        headers = auth(approver if role == "compliance" else token)
    expected = {
        None: 401, "site": 403, "moderator": 403, "admin": 403,
    }
    success = {"POST /v1/compliance/requests": 201, "POST /v1/compliance/holds": 201}
    for method, path, body in _endpoints(case["id"], export["id"], hold["id"], comment_id):
        response = client.open(path, method=method, json=body or None, headers=headers)
        if role == "compliance":
            want = 201 if path.endswith("/exports") else success.get(f"{method} {path}", 200)
        else:
            want = expected[role]
        assert response.status_code == want, (method, path, response.get_json())
        if role != "compliance":
            assert response.get_json()["error"]["code"] in ("unauthorized", "forbidden")
    if role != "compliance":
        assert _counts(app) == before, "a refused call must not create anything"
