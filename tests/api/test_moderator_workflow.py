"""Moderators work the queue end to end: queue → decision (409 / override) → history → audit."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation import audit
from moderation.store import AuditEvent, Comment, Decision
from tests.support.factories import auth, make_key, make_site
from tests.support.moderation_data import add_comment


def test_a_moderator_works_the_queue_end_to_end(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    first = add_comment(app, site, text="First held comment")
    second = add_comment(app, site, text="Second held comment")
    add_comment(app, site, status="approved", toxicity=0.1)
    alice = make_key(app, "moderator", site, name="alice")

    queue = client.get("/v1/queue", headers=auth(alice)).get_json()
    assert [item["id"] for item in queue["items"]] == [first, second]  # oldest first
    held = queue["items"][0]
    assert held["verdict"]["reasons"][0]["code"] == "classifier:abusive"
    assert held["verdict"]["spans"] == [{"start": 2, "end": 9, "category": "abusive"}]

    decided = client.post(f"/v1/comments/{first}/decision", headers=auth(alice),
                          json={"decision": "rejected", "reason": "insult"})
    assert decided.status_code == 200
    assert decided.get_json()["decision"]["moderator"] == "alice"
    assert decided.get_json()["status"] == "rejected"

    queue = client.get("/v1/queue", headers=auth(alice)).get_json()
    assert [item["id"] for item in queue["items"]] == [second]

    detail = client.get(f"/v1/comments/{first}", headers=auth(alice)).get_json()
    assert detail["status"] == "rejected"
    assert [(d["decision"], d["moderator"], d["reason"]) for d in detail["decisions"]] == [
        ("rejected", "alice", "insult")]


def test_a_second_decision_conflicts_unless_overridden(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment = add_comment(app, site)
    alice = make_key(app, "moderator", site, name="alice")
    bob = make_key(app, "moderator", name="bob")
    assert client.post(f"/v1/comments/{comment}/decision", headers=auth(alice),
                       json={"decision": "approved"}).status_code == 200
    conflict = client.post(f"/v1/comments/{comment}/decision", headers=auth(bob),
                           json={"decision": "rejected", "reason": "no"})
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "already_decided"
    override = client.post(f"/v1/comments/{comment}/decision", headers=auth(bob),
                           json={"decision": "rejected", "reason": "on reflection", "override": True})
    assert override.status_code == 200
    with app.extensions["db"].session() as session:
        history = list(session.scalars(select(Decision).order_by(Decision.id)))
        assert [(d.actor, d.decision, d.override) for d in history] == [
            ("alice", "approved", False), ("bob", "rejected", True)]
        assert session.get(Comment, comment).status == "rejected"
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "comment.decide")
                                      .order_by(AuditEvent.id)))
        assert [(e.actor_name, e.before["status"], e.after["status"]) for e in events] == [
            ("alice", "needs_review", "approved"), ("bob", "approved", "rejected")]
        # one stable id per actor, recorded on the audit event and the decision alike
        assert [e.actor for e in events] == [d.actor_id for d in history]
        assert len({e.actor for e in events}) == 2
        assert all(e.actor.startswith("key:") for e in events)
        assert all(e.request_id for e in events)


def test_bulk_decisions_give_a_result_per_id(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    ids = [add_comment(app, site) for _ in range(3)]
    mod = make_key(app, "moderator", site)
    client.post(f"/v1/comments/{ids[0]}/decision", headers=auth(mod), json={"decision": "approved"})
    response = client.post("/v1/decisions", headers=auth(mod),
                           json={"ids": [*ids, 999999], "decision": "rejected", "reason": "spam run"})
    assert response.status_code == 200
    body = response.get_json()
    assert [(r["id"], r["result"]) for r in body["results"]] == [
        (ids[0], "conflict"), (ids[1], "decided"), (ids[2], "decided"), (999999, "not_found")]
    assert body["counts"] == {"decided": 2, "conflict": 1, "not_found": 1}


def test_decision_bodies_are_validated(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment = add_comment(app, site)
    mod = make_key(app, "moderator", site)
    for body in ({"decision": "maybe"}, {}, {"decision": "approved", "extra": 1},
                 {"decision": "approved", "override": "yes"}):
        response = client.post(f"/v1/comments/{comment}/decision", headers=auth(mod), json=body)
        assert response.status_code == 422, body
    assert client.post("/v1/decisions", headers=auth(mod),
                       json={"ids": [], "decision": "approved"}).status_code == 422


def test_no_code_path_updates_or_deletes_audit_rows(app: Flask, client: FlaskClient) -> None:
    """Drive every audited action through the API, then check the chain is intact and append-only."""
    admin = make_key(app, "admin", name="root")
    site = client.post("/v1/sites", headers=auth(admin), json={"name": "audited"}).get_json()["id"]
    comment = add_comment(app, site)
    mod = make_key(app, "moderator", site, name="mod")
    snapshots = []
    created: dict[str, int] = {}

    def create_key() -> object:
        response = client.post("/v1/keys", headers=auth(admin), json={"role": "moderator", "site_id": site})
        created["key"] = response.get_json()["id"]
        return response

    def snapshot() -> list[tuple[int, str]]:
        with app.extensions["db"].session() as session:
            return list(session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id)))

    steps = [
        lambda: client.put(f"/v1/sites/{site}/policy", headers=auth(admin), json={"mode": "pre"}),
        create_key,
        lambda: client.delete(f"/v1/keys/{created['key']}", headers=auth(admin)),
        lambda: client.post(f"/v1/comments/{comment}/decision", headers=auth(mod),
                            json={"decision": "approved"}),
        lambda: client.post("/v1/bans", headers=auth(mod),
                            json={"site_id": site, "kind": "email", "value": "troll@example.com"}),
        lambda: client.delete("/v1/bans/1", headers=auth(mod)),
    ]
    for step in steps:
        before = snapshot()
        assert step().status_code < 300  # type: ignore[attr-defined]
        after = snapshot()
        assert after[: len(before)] == before  # earlier rows untouched
        assert len(after) == len(before) + 1
        snapshots.append(after)
    events = client.get("/v1/audit", headers=auth(admin)).get_json()["items"]
    assert [e["action"] for e in events] == ["ban.lift", "ban.create", "comment.decide", "key.revoke",
                                             "key.create", "policy.update", "site.create"]
    assert events[5]["before"]["policy_version"] == 1 and events[5]["after"]["policy_version"] == 2
    with app.extensions["db"].session() as session:
        assert audit.verify_chain(session).ok
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == 7


def test_the_audit_module_has_no_update_or_delete_of_events() -> None:
    import inspect

    from moderation.services import api_keys, bans, decisions, policies, sites

    for module in (audit, api_keys, bans, decisions, policies, sites):
        source = inspect.getsource(module)
        assert "update(AuditEvent" not in source and "delete(AuditEvent" not in source
