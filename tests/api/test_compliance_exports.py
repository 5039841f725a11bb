"""Disclosure cases and their exports: scope, CSV safety, digests, two-person rule, isolation."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import audit
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    audit_actions,
    audit_events,
    export_case,
    export_dir,
    open_case,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site


def _download(client: FlaskClient, token: str, export_id: int) -> Any:
    return client.get(f"/v1/compliance/exports/{export_id}/file", headers=auth(token))


def _approved_csv(client: FlaskClient, creator: str, approver: str, case_id: int) -> list[dict[str, str]]:
    rows, _export_id = _approved_csv_and_id(client, creator, approver, case_id)
    return rows


def _approved_csv_and_id(
    client: FlaskClient, creator: str, approver: str, case_id: int
) -> tuple[list[dict[str, str]], int]:
    export = export_case(client, creator, case_id)
    assert client.post(f"/v1/compliance/exports/{export['id']}/approve",
                       headers=auth(approver)).status_code == 200
    response = _download(client, creator, export["id"])
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True)))), export["id"]


def test_order_to_verified_approved_export(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    ids = [seed_comment(app, site, history=True) for _ in range(3)]
    seed_comment(app, site, email="someone-else@example.com")
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")

    case = open_case(client, officer, {"site": "news-one", "sender_email": "ASHA@example.com"})
    assert case["status"] == "open"
    assert case["due_at"] == "2026-11-04T09:00:00+00:00"  # received_at + 72 hours

    export = export_case(client, officer, case["id"])
    assert export["status"] == "awaiting_approval" and export["record_count"] == 3
    assert client.get(f"/v1/compliance/requests/{case['id']}", headers=auth(officer)
                      ).get_json()["status"] == "exported"

    refused = _download(client, officer, export["id"])
    assert refused.status_code == 403
    self_approval = client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(officer))
    assert self_approval.status_code == 403
    approved = client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(second))
    assert approved.status_code == 200
    meta = client.get(f"/v1/compliance/exports/{export['id']}", headers=auth(officer)).get_json()
    assert meta["status"] == "ready" and len(meta["approvals"]) == 1
    assert meta["sha256"] == export["sha256"]

    response = _download(client, officer, export["id"])
    assert response.status_code == 200
    data = response.get_data()
    assert hashlib.sha256(data).hexdigest() == export["sha256"] == response.headers["X-Content-SHA256"]
    rows = list(csv.DictReader(io.StringIO(data.decode())))
    assert [int(r["comment_id"]) for r in rows] == ids
    row = rows[0]
    assert row["sender_ip"] == "203.0.113.7" and row["sender_email"] == "asha@example.com"
    assert row["submitted_from"] == "198.51.100.1" and row["sender_user_agent"] == "Mozilla/5.0"
    assert row["submitted_at"].endswith("+00:00") and row["site"] == "news-one"
    assert json.loads(row["verdicts"])[0]["decision"] == "needs_review"
    assert json.loads(row["decisions"])[0]["reason"] == "abusive"

    actions = audit_actions(app)
    for action in ("compliance.request.create", "compliance.export.create",
                   "compliance.export.approve_refused", "compliance.export.approve",
                   "compliance.export.download"):
        assert action in actions
    with app.extensions["db"].session() as session:
        assert audit.verify_chain(session).ok
    # One finished file, readable only by the service user.
    (stored,) = Path(app.extensions["settings"].export_dir).iterdir()
    assert stored.suffix == ".csv" and stored.stat().st_mode & 0o077 == 0


HOSTILE = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)",
           "\t=1+1", "\r=1+1"]


def test_csv_neutralises_formula_cells(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    for value in HOSTILE:
        seed_comment(app, site, name=value, title=value, text=value, user_agent=value,
                     article_id=value)
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    rows = _approved_csv(client, officer, second, case["id"])
    assert len(rows) == len(HOSTILE)
    for row, value in zip(rows, HOSTILE, strict=True):
        for column in ("sender_name", "title", "text", "sender_user_agent", "article_id"):
            assert row[column] == "'" + value
        for cell in row.values():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_json_export_is_one_valid_document(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    seed_comment(app, site, name="=1+1")
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    export = export_case(client, officer, case["id"], fmt="json")
    app.extensions["settings"].two_person_rule = False  # irrelevant to an existing export
    assert _download(client, officer, export["id"]).status_code == 403
    client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(make_key(app, "compliance")))
    body = json.loads(_download(client, officer, export["id"]).get_data())
    assert body["record_count"] == 1 and body["records"][0]["sender_name"] == "=1+1"
    assert body["request"]["legal_basis"] == "IT Rules 2021 r.3(1)(j)"


def test_two_person_rule_can_be_turned_off(app: Flask, client: FlaskClient) -> None:
    assert app.extensions["settings"].two_person_rule is True  # the default
    app.extensions["settings"].two_person_rule = False
    site = make_site(app)
    seed_comment(app, site)
    officer = make_key(app, "compliance")
    export = export_case(client, officer, open_case(client, officer, {"site": site})["id"])
    assert export["status"] == "ready" and export["approval_required"] is False
    assert _download(client, officer, export["id"]).status_code == 200


def test_scope_selects_exactly_the_matching_comments(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    base = datetime(2026, 10, 1, 12, tzinfo=UTC)
    inside = seed_comment(app, site, ip="198.51.100.77", created_at=base)
    edge = seed_comment(app, site, ip="198.51.100.1", created_at=base + timedelta(days=1))
    seed_comment(app, site, ip="198.51.101.7", created_at=base)  # outside the /24
    seed_comment(app, site, ip="198.51.100.8", created_at=base + timedelta(days=1, seconds=1))
    seed_comment(app, site, ip="198.51.100.9", created_at=base, article_id="other")
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, officer, {
        "site": site, "sender_ip": "198.51.100.0/24", "article_id": "budget-2026",
        "since": base.isoformat(), "until": (base + timedelta(days=1)).isoformat()})
    rows = _approved_csv(client, officer, second, case["id"])
    assert [int(r["comment_id"]) for r in rows] == [inside, edge]


def test_exports_never_include_another_sites_comments(app: Flask, client: FlaskClient) -> None:
    one, two = make_site(app, "one"), make_site(app, "two")
    mine = seed_comment(app, one)
    theirs = seed_comment(app, two)  # same sender, other site
    scoped, scoped_second = make_key(app, "compliance", one), make_key(app, "compliance", one)
    other_site = make_key(app, "compliance", two)

    case = open_case(client, scoped, {"sender_email": "asha@example.com", "comment_ids": [mine, theirs]})
    assert case["site_id"] == one
    rows, export_id = _approved_csv_and_id(client, scoped, scoped_second, case["id"])
    assert [int(r["comment_id"]) for r in rows] == [mine]

    # The other site's compliance key sees none of it.
    for method, path in [("GET", f"/v1/compliance/requests/{case['id']}"),
                         ("POST", f"/v1/compliance/requests/{case['id']}/exports"),
                         ("GET", f"/v1/compliance/exports/{export_id}"),
                         ("GET", f"/v1/compliance/exports/{export_id}/file"),
                         ("POST", f"/v1/compliance/exports/{export_id}/approve"),
                         ("GET", f"/v1/compliance/comments/{mine}/sender?case_id={case['id']}")]:
        assert client.open(path, method=method, headers=auth(other_site)).status_code == 404, path
    assert client.get("/v1/compliance/requests", headers=auth(other_site)).get_json()["requests"] == []
    # Naming another site in a scope answers as if it didn't exist.
    case_body = {"authority": "x", "legal_reference": "y", "legal_basis": "z"}
    for site in ("two", "no-such-site"):
        bad = client.post("/v1/compliance/requests", headers=auth(scoped),
                          json={**case_body, "scope": {"site": site}})
        assert bad.status_code == 404 and bad.get_json()["error"]["message"] == "No such site."

    # An unscoped key's case on site one still exports only site one.
    unscoped, unscoped_second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, unscoped, {"site": "one", "sender_email": "asha@example.com"})
    rows = _approved_csv(client, unscoped, unscoped_second, case["id"])
    assert [int(r["comment_id"]) for r in rows] == [mine]


def test_viewing_full_sender_details_needs_an_approved_case(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment_id = seed_comment(app, site)
    outside = seed_comment(app, site, email="someone-else@example.com")
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    # A lone compliance key can't read sender details by comment id (old main: 200).
    bare = client.get(f"/v1/compliance/comments/{comment_id}/sender", headers=auth(officer))
    assert bare.status_code == 422 and bare.get_json()["error"]["details"][0]["field"] == "query.case_id"

    case = open_case(client, officer, {"site": site, "sender_email": "asha@example.com"})
    path = f"/v1/compliance/requests/{case['id']}/comments/{comment_id}/sender"
    export = export_case(client, officer, case["id"])
    assert client.get(path, headers=auth(officer)).status_code == 403  # not yet approved
    assert client.post(f"/v1/compliance/exports/{export['id']}/approve",
                       headers=auth(second)).status_code == 200
    body = client.get(path, headers=auth(officer)).get_json()
    assert body["sender_ip"] == "203.0.113.7" and body["sender_email"] == "asha@example.com"
    # Outside the case's scope: refused, even with the case approved.
    out = client.get(f"/v1/compliance/requests/{case['id']}/comments/{outside}/sender",
                     headers=auth(officer))
    assert out.status_code == 403
    events = audit_events(app, "sender.view")
    assert len(events) == 1 and events[0]["target_id"] == str(comment_id)
    assert events[0]["after"]["case_id"] == case["id"]
    assert [e["after"]["reason"] for e in audit_events(app, "sender.view_refused")] == [
        "not_approved", "out_of_scope"]
    client.post(f"/v1/compliance/requests/{case['id']}/close", json={"reason": "done"},
                headers=auth(officer))
    assert client.get(path, headers=auth(officer)).status_code == 403  # the case is closed


def test_due_listing_shows_overdue_and_due_soon_cases(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    officer = make_key(app, "compliance")
    now = datetime.now(UTC)
    overdue = open_case(client, officer, {"site": site}, received_at=(now - timedelta(hours=80)).isoformat())
    soon = open_case(client, officer, {"site": site}, received_at=(now - timedelta(hours=60)).isoformat())
    later = open_case(client, officer, {"site": site}, received_at=now.isoformat())
    listed = client.get("/v1/compliance/requests/due", headers=auth(officer)).get_json()["requests"]
    assert [(c["id"], c["due_state"]) for c in listed] == [
        (overdue["id"], "overdue"), (soon["id"], "due_soon")]
    assert later["due_state"] == "on_track"
    assert client.post(f"/v1/compliance/requests/{overdue['id']}/close",
                       headers=auth(officer)).status_code == 422  # unanswered: needs a reason
    assert client.post(f"/v1/compliance/requests/{overdue['id']}/close",
                       json={"reason": "refused: order invalid"},
                       headers=auth(officer)).status_code == 200
    listed = client.get("/v1/compliance/requests/due", headers=auth(officer)).get_json()["requests"]
    assert [c["id"] for c in listed] == [soon["id"]]
    closed = client.post(f"/v1/compliance/requests/{overdue['id']}/exports", headers=auth(officer))
    assert closed.status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": {}}, "scope"),
        ({"scope": {"sender_ip": "10.0.0.0/33"}}, "scope.sender_ip"),
        ({"scope": {"site": 1, "since": "2026-01-01T00:00:00"}}, "scope.since"),
        ({"scope": {"site": 1, "comment_ids": ["1"]}}, "scope.comment_ids.0"),
        ({"authority": ""}, "authority"),
        ({"due_at": "yesterday"}, "due_at"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_cases_get_field_level_errors(
    app: Flask, client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    make_site(app)
    officer = make_key(app, "compliance")
    body = {"authority": "Police", "legal_reference": "R", "legal_basis": "B",
            "received_at": "2026-11-01T00:00:00Z", "scope": {"site": 1}, **change}
    response = client.post("/v1/compliance/requests", json=body, headers=auth(officer))
    assert response.status_code == 422, response.get_json()
    assert field in [d["field"] for d in response.get_json()["error"]["details"]]


def test_a_tampered_export_file_is_not_served(app: Flask, client: FlaskClient) -> None:
    app.extensions["settings"].two_person_rule = False
    site = make_site(app)
    seed_comment(app, site)
    officer = make_key(app, "compliance")
    export = export_case(client, officer, open_case(client, officer, {"site": site})["id"])
    (path,) = Path(app.extensions["settings"].export_dir).iterdir()
    data = bytearray(path.read_bytes())  # encrypted at rest: flip a ciphertext byte
    data[-3] ^= 0x20
    path.write_bytes(bytes(data))
    response = _download(client, officer, export["id"])
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "export_corrupted"
    assert "compliance.export.digest_mismatch" in audit_actions(app)


def test_a_missing_export_file_says_missing_not_corrupted(app: Flask, client: FlaskClient) -> None:
    """A recreated container or another web host's folder loses the file; that isn't tampering."""
    app.extensions["settings"].two_person_rule = False
    site = make_site(app)
    seed_comment(app, site)
    officer = make_key(app, "compliance")
    export = export_case(client, officer, open_case(client, officer, {"site": site})["id"])
    (path,) = Path(app.extensions["settings"].export_dir).iterdir()
    path.unlink()
    response = _download(client, officer, export["id"])
    assert response.status_code == 500
    error = response.get_json()["error"]
    assert error["code"] == "export_missing"
    assert "missing" in error["message"] and "corrupt" not in error["message"].lower()
    actions = audit_actions(app)
    assert "compliance.export.file_missing" in actions
    assert "compliance.export.digest_mismatch" not in actions
