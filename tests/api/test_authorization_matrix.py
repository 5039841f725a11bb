"""Every endpoint × every role × an in-scope and an out-of-scope site: exact status codes.

401 without a (valid) key, 403 for a role that may not call the endpoint, 404 when a
site-scoped key reaches for another site's resource, the success code otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.store import Ban
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.moderation_data import add_comment

#: caller → (role, scoped to site A?)
CALLERS: dict[str, tuple[str | None, bool]] = {
    "anonymous": (None, False),
    "site": ("site", True),
    "moderator": ("moderator", True),
    "moderator_unscoped": ("moderator", False),
    "compliance": ("compliance", False),
    "compliance_scoped": ("compliance", True),
    "admin": ("admin", False),
}
_names = itertools.count()


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: Callable[[dict[str, Any]], str]  # from the fixture ids of the site ("A" or "B")
    roles: tuple[str, ...]
    ok: int
    body: Callable[[dict[str, Any]], Any] | None = None
    site_scoped: bool = True  # does the resource belong to a site?


ENDPOINTS = [
    Endpoint("submit", "POST", lambda r: "/v1/comments", ("site",), 202,
             body=lambda r: comment_body(), site_scoped=False),
    Endpoint("read comment", "GET", lambda r: f"/v1/comments/{r['comment']}",
             ("site", "moderator", "admin"), 200),
    Endpoint("list", "GET", lambda r: f"/v1/comments?site_id={r['site']}", ("moderator", "admin"), 200),
    Endpoint("queue", "GET", lambda r: f"/v1/queue?site_id={r['site']}", ("moderator", "admin"), 200),
    Endpoint("decide", "POST", lambda r: f"/v1/comments/{r['comment']}/decision", ("moderator",), 200,
             body=lambda r: {"decision": "approved", "reason": "fine", "override": True}),
    Endpoint("bulk decide", "POST", lambda r: "/v1/decisions", ("moderator",), 200,
             body=lambda r: {"ids": [r["comment"]], "decision": "rejected", "override": True},
             site_scoped=False),
    Endpoint("list bans", "GET", lambda r: f"/v1/bans?site_id={r['site']}", ("moderator", "admin"), 200),
    Endpoint("ban", "POST", lambda r: "/v1/bans", ("moderator",), 201,
             body=lambda r: {"site_id": r["site"], "kind": "pseudonym", "value": "snd_0123456789abcdef",
                             "reason": "spam run", "expires_in_days": 7}),
    Endpoint("lift ban", "DELETE", lambda r: f"/v1/bans/{r['ban']}", ("moderator",), 200),
    Endpoint("stats", "GET", lambda r: f"/v1/stats?site_id={r['site']}", ("moderator", "admin"), 200),
    Endpoint("list sites", "GET", lambda r: "/v1/sites", ("admin",), 200, site_scoped=False),
    Endpoint("create site", "POST", lambda r: "/v1/sites", ("admin",), 201,
             body=lambda r: {"name": f"new-site-{next(_names)}"}, site_scoped=False),
    Endpoint("read site", "GET", lambda r: f"/v1/sites/{r['site']}", ("admin",), 200),
    Endpoint("read policy", "GET", lambda r: f"/v1/sites/{r['site']}/policy", ("admin",), 200),
    Endpoint("set policy", "PUT", lambda r: f"/v1/sites/{r['site']}/policy", ("admin",), 200,
             body=lambda r: {"mode": "pre"}),
    Endpoint("change policy", "PATCH", lambda r: f"/v1/sites/{r['site']}/policy", ("admin",), 200,
             body=lambda r: {"clean_below": 0.4}),
    Endpoint("list keys", "GET", lambda r: f"/v1/keys?site_id={r['site']}", ("admin",), 200),
    Endpoint("create key", "POST", lambda r: "/v1/keys", ("admin",), 201,
             body=lambda r: {"role": "moderator", "site_id": r["site"]}),
    Endpoint("revoke key", "DELETE", lambda r: f"/v1/keys/{r['victim_key']}", ("admin",), 200),
    Endpoint("audit", "GET", lambda r: f"/v1/audit?site_id={r['site']}", ("admin",), 200),
]


def expected(endpoint: Endpoint, caller: str, out_of_scope: bool) -> int:
    role, scoped = CALLERS[caller]
    if role is None:
        return 401
    if role not in endpoint.roles:
        return 403
    if out_of_scope and scoped and endpoint.site_scoped:
        return 404
    return endpoint.ok


def _resources(app: Flask, site_id: int) -> dict[str, Any]:
    with app.extensions["db"].session() as session:
        ban = Ban(site_id=site_id, kind="ip", value="198.51.100.0/24", created_by="seed")
        session.add(ban)
        session.commit()
        ban_id = ban.id
    from moderation.store import ApiKey

    make_key(app, "moderator", site_id, name=f"victim-{site_id}")
    with app.extensions["db"].session() as session:
        victim = session.query(ApiKey).filter_by(name=f"victim-{site_id}").one()
    return {"site": site_id, "comment": add_comment(app, site_id), "ban": ban_id,
            "victim_key": victim.id}


@pytest.fixture
def world(app: Flask) -> tuple[dict[str, str | None], dict[str, Any], dict[str, Any]]:
    site_a = make_site(app, "site-a")
    site_b = make_site(app, "site-b")
    tokens: dict[str, str | None] = {}
    for caller, (role, scoped) in CALLERS.items():
        tokens[caller] = None if role is None else make_key(app, role, site_a if scoped else None)
    return tokens, _resources(app, site_a), _resources(app, site_b)


def test_every_endpoint_answers_every_role_with_the_exact_status(
    client: FlaskClient, world: tuple[dict[str, str | None], dict[str, Any], dict[str, Any]]
) -> None:
    tokens, in_scope, out_of_scope = world
    mismatches = []
    for endpoint, caller, outside in itertools.product(ENDPOINTS, CALLERS, (False, True)):
        resources = out_of_scope if outside else in_scope
        token = tokens[caller]
        headers = auth(token) if token else {}
        body = endpoint.body(resources) if endpoint.body else None
        response = client.open(endpoint.path(resources), method=endpoint.method, json=body,
                               headers=headers)
        want = expected(endpoint, caller, outside)
        if response.status_code != want:
            mismatches.append(f"{endpoint.name} as {caller} ({'out of' if outside else 'in'} scope): "
                              f"{response.status_code} != {want} {response.get_data(as_text=True)[:200]}")
        elif want >= 400:
            assert response.get_json()["error"]["code"]
    assert not mismatches, "\n".join(mismatches)


def test_a_wrong_or_revoked_key_is_401(client: FlaskClient, app: Flask) -> None:
    assert client.get("/v1/queue", headers=auth("mod_not-a-key")).status_code == 401
    admin = make_key(app, "admin")
    victim = make_key(app, "moderator")
    keys = client.get("/v1/keys", headers=auth(admin)).get_json()["items"]
    victim_id = next(k["id"] for k in keys if k["role"] == "moderator")
    assert client.delete(f"/v1/keys/{victim_id}", headers=auth(admin)).status_code == 200
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 401


def test_bulk_decisions_report_out_of_scope_ids_as_not_found(
    client: FlaskClient, world: tuple[dict[str, str | None], dict[str, Any], dict[str, Any]]
) -> None:
    tokens, in_scope, out_of_scope = world
    response = client.post("/v1/decisions", headers=auth(tokens["moderator"] or ""), json={
        "ids": [in_scope["comment"], out_of_scope["comment"]], "decision": "approved"})
    assert response.status_code == 200
    results = {r["id"]: r["result"] for r in response.get_json()["results"]}
    assert results == {in_scope["comment"]: "decided", out_of_scope["comment"]: "not_found"}


def test_a_scoped_moderator_lists_only_its_own_site(
    client: FlaskClient, world: tuple[dict[str, str | None], dict[str, Any], dict[str, Any]]
) -> None:
    tokens, in_scope, out_of_scope = world
    for path in ("/v1/comments", "/v1/queue", "/v1/bans"):
        items = client.get(path, headers=auth(tokens["moderator"] or "")).get_json()["items"]
        assert items and {item["site_id"] for item in items} == {in_scope["site"]}
        everything = client.get(path, headers=auth(tokens["moderator_unscoped"] or "")).get_json()
        assert {item["site_id"] for item in everything["items"]} == {in_scope["site"],
                                                                     out_of_scope["site"]}
