"""Webhook endpoints through the admin API, the outbox written in the change's own
transaction, and delivery to a real local receiver that verifies every signature
(delivery run in-process here; tests/integration/test_webhooks_end_to_end.py uses a worker)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation import create_app
from moderation.domain.actors import Actor
from moderation.services import decisions, webhook_delivery, webhooks
from moderation.services import moderation as moderation_service
from moderation.services.revisions import edit_comment
from moderation.services.withdrawals import withdraw_comment
from moderation.store import AuditEvent, DisclosureRequest, WebhookAttempt, WebhookDelivery, WebhookEvent
from tests.support.factories import auth, make_key, make_site
from tests.support.fake_classifier import FakeClassifier
from tests.support.moderation_data import add_comment
from tests.support.webhook_receiver import receiving

LOOPBACK = "127.0.0.0/8,::1/128"
MODERATOR = Actor.for_user(user_id=7, display_name="Meera", role="moderator", site_ids=None)


@pytest.fixture
def hook_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789",
                      "webhook_allowed_networks": LOOPBACK})
    app.testing = True
    yield app
    app.extensions["db"].dispose()


def fast_config(app: Flask, **changes: Any) -> webhook_delivery.DeliveryConfig:
    config = webhook_delivery.config_from(app.extensions["settings"])
    return replace(config, **{"retry_base": 0.05, "retry_max_delay": 0.2, **changes})


def add_endpoint(client: FlaskClient, admin: str, site_id: int, url: str,
                 events: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    response = client.post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin), json={
        "url": url, "event_types": events or list(webhooks.COMMENT_EVENTS), **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def deliver(app: Flask, config: webhook_delivery.DeliveryConfig) -> webhook_delivery.RunReport:
    with app.extensions["db"].session() as session:
        return webhook_delivery.deliver_due(session, config, budget_seconds=5)


def deliver_until(
    app: Flask, config: webhook_delivery.DeliveryConfig, done: Any, timeout: float = 15
) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "not delivered in time"
        deliver(app, config)
        time.sleep(0.05)


def moderate(app: Flask, comment_id: int) -> None:
    with app.extensions["db"].session() as session:
        assert moderation_service.moderate_comment(session, comment_id, FakeClassifier()).verdict_id


def decide(app: Flask, comment_id: int, decision: str = "rejected", override: bool = False) -> str:
    with app.extensions["db"].session() as session:
        return decisions.decide(session, comment_id=comment_id, decision=decision, reason="off topic",
                                override=override, actor=MODERATOR, request_id=None).outcome


def count(app: Flask, model: Any) -> int:
    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_admins_manage_endpoints_and_secrets_are_shown_once(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    created = add_endpoint(client, admin, site_id, "http://127.0.0.1:9/hooks", ["comment.decided"],
                           description="newsroom CMS")
    assert created["secret"].startswith("whsec_") and created["enabled"] is True
    assert created["created_by"].startswith("key:") and created["secrets"][0]["expires_at"] is None
    listed = client.get(f"/v1/sites/{site_id}/webhooks", headers=auth(admin)).get_json()["items"]
    assert [e["id"] for e in listed] == [created["id"]]
    assert created["secret"] not in json.dumps(listed)
    one = client.get(f"/v1/webhooks/{created['id']}", headers=auth(admin))
    assert one.status_code == 200 and "secret" not in one.get_json()

    moderator = make_key(hook_app, "moderator")
    assert client.get(f"/v1/sites/{site_id}/webhooks", headers=auth(moderator)).status_code == 403
    assert client.get("/v1/sites/999/webhooks", headers=auth(admin)).status_code == 404
    assert client.get("/v1/webhooks/999", headers=auth(admin)).status_code == 404

    patched = client.patch(f"/v1/webhooks/{created['id']}", headers=auth(admin),
                           json={"enabled": False, "disabled_reason": "maintenance",
                                 "event_types": ["comment.decided", "comment.withdrawn"]})
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert patched.get_json()["enabled"] is False and patched.get_json()["disabled_reason"] == "maintenance"

    rotated = client.post(f"/v1/webhooks/{created['id']}/secrets", headers=auth(admin),
                          json={"expire_previous_after_seconds": 3600})
    assert rotated.status_code == 201
    assert rotated.get_json()["secret"] != created["secret"]
    assert [s["expires_at"] is None for s in rotated.get_json()["secrets"]] == [False, True]

    with hook_app.extensions["db"].session() as session:
        actions = session.scalars(select(AuditEvent.action).where(
            AuditEvent.target_type == "webhook_endpoint").order_by(AuditEvent.id)).all()
        trail = json.dumps([e.after for e in session.scalars(select(AuditEvent))])
    assert actions == ["webhook.endpoint.create", "webhook.endpoint.update", "webhook.endpoint.rotate_secret"]
    assert created["secret"] not in trail and rotated.get_json()["secret"] not in trail
    assert client.delete(f"/v1/webhooks/{created['id']}", headers=auth(admin)).status_code == 204
    assert client.get(f"/v1/webhooks/{created['id']}", headers=auth(admin)).status_code == 404


@pytest.mark.parametrize("url, why", [
    ("http://127.0.0.1:8080/hooks", "loopback"), ("http://localhost/hooks", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "metadata"), ("http://10.0.0.8/hooks", "private"),
    ("ftp://example.com/hooks", "http and https"), ("https://user:secret@example.com/", "credentials"),
])
def test_endpoints_to_unsafe_addresses_are_refused_at_creation(
    app: Flask, client: FlaskClient, url: str, why: str
) -> None:
    """The default configuration allows public addresses only."""
    admin, site_id = make_key(app, "admin"), make_site(app)
    response = client.post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin),
                           json={"url": url, "event_types": ["comment.moderated"]})
    assert response.status_code == 422
    detail = response.get_json()["error"]["details"][0]
    assert detail["field"] == "url" and why in detail["message"]
    assert count(app, AuditEvent) == 0


def test_case_events_go_to_compliance_endpoints_only(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    refused = client.post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin),
                          json={"url": "http://127.0.0.1:9/", "event_types": ["case.due_soon"]})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["code"] == "compliance_only"
    unknown = client.post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin),
                          json={"url": "http://127.0.0.1:9/", "event_types": ["comment.liked"]})
    assert unknown.status_code == 422
    with receiving() as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url, ["case.due_soon"], compliance=True)
        receiver.secrets.append(endpoint["secret"])
        now = datetime.now(UTC)
        with hook_app.extensions["db"].session() as session:
            for due in (now + timedelta(hours=3), now + timedelta(days=10)):
                session.add(DisclosureRequest(site_id=site_id, authority="Cyber cell", legal_reference="ref",
                                              legal_basis="s.91", received_at=now, due_at=due, scope={},
                                              created_by="key:1"))
            session.commit()
            assert webhook_delivery.emit_due_soon(session, within_hours=24) == 1
            assert webhook_delivery.emit_due_soon(session, within_hours=24) == 0  # once per case
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.accepted()) == 1)
    event = receiver.accepted()[0]
    assert event["type"] == "case.due_soon" and event["data"]["overdue"] is False
    assert "authority" not in event["data"]


def test_each_change_writes_its_event_in_its_own_transaction(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    other_site = make_site(hook_app, "other")
    add_endpoint(client, admin, site_id, "http://127.0.0.1:9/hooks")
    add_endpoint(client, admin, other_site, "http://127.0.0.1:9/other", ["comment.moderated"])
    comment = add_comment(hook_app, site_id, status="pending", email="asha@example.com", ip="203.0.113.7")
    moderate(hook_app, comment)
    assert decide(hook_app, comment) == "decided"
    assert decide(hook_app, comment, "approved") == "conflict"  # rolled back: no event
    with hook_app.extensions["db"].session() as session:
        edit_comment(session, comment_id=comment, actor=MODERATOR, text="A calmer comment.", title=None,
                     base_revision=None, request_id=None, enqueue=lambda _i, _r: None)
        withdraw_comment(session, comment_id=comment, actor=MODERATOR, request_id=None)
    errored = add_comment(hook_app, site_id, status="pending")
    with hook_app.extensions["db"].session() as session:
        assert moderation_service.mark_error(session, errored, "ValueError: bad input")
        events = session.scalars(select(WebhookEvent).order_by(WebhookEvent.id)).all()
        per_event = dict(session.execute(select(WebhookDelivery.event_id, func.count())
                                         .group_by(WebhookDelivery.event_id)).tuples().all())
    assert [(e.type, e.subject) for e in events] == [
        ("comment.moderated", f"comment:{comment}"), ("comment.decided", f"comment:{comment}"),
        ("comment.edited", f"comment:{comment}"), ("comment.withdrawn", f"comment:{comment}"),
        ("comment.error", f"comment:{errored}")]
    assert set(per_event.values()) == {1}  # the other site's endpoint got none of them
    decided = events[1].data
    assert decided["status"] == "rejected" and decided["decided_by"] == "user:7"
    assert decided["decision"] == "rejected" and decided["external_id"].startswith("ext-")
    assert events[0].data["decided_by"] == "pipeline" and events[4].data["status"] == "error"
    sent = json.dumps([webhooks.envelope(e).decode() for e in events])
    for personal in ("asha", "203.0.113.7", "Asha Rao", "calmer"):
        assert personal not in sent


def test_no_endpoint_no_outbox_rows(hook_app: Flask) -> None:
    comment = add_comment(hook_app, make_site(hook_app), status="pending")
    moderate(hook_app, comment)
    decide(hook_app, comment)
    assert count(hook_app, WebhookEvent) == 0 and count(hook_app, WebhookDelivery) == 0


def test_deliveries_are_signed_with_every_active_secret_and_verified(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving() as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        comment = add_comment(hook_app, site_id, status="pending")
        moderate(hook_app, comment)
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.received) == 1)
        first = receiver.received[0]
        assert first.verified is False  # the receiver doesn't know the secret yet
        assert webhooks.verify(endpoint["secret"], first.headers, first.body)
        payload = first.payload
        assert set(payload) == {"id", "type", "created_at", "site", "data"}
        assert payload["type"] == "comment.moderated" and payload["site"] == site_id
        assert payload["id"] == first.headers["webhook-id"] and payload["id"].startswith("msg_")
        assert payload["data"]["comment_id"] == comment and payload["data"]["status"] == "approved"
        assert first.headers["content-type"] == "application/json"

        rotated = client.post(f"/v1/webhooks/{endpoint['id']}/secrets", headers=auth(admin),
                              json={}).get_json()
        receiver.secrets.append(rotated["secret"])
        decide(hook_app, comment)
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.received) == 2)
        second = receiver.received[1]
        assert len(second.headers["webhook-signature"].split(" ")) == 2
        assert second.verified and webhooks.verify(endpoint["secret"], second.headers, second.body)

        client.post(f"/v1/webhooks/{endpoint['id']}/secrets", headers=auth(admin),
                    json={"expire_previous_after_seconds": 0})
        decide(hook_app, comment, "approved", override=True)
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.received) == 3)
        third = receiver.received[2]
    assert len(third.headers["webhook-signature"].split(" ")) == 1
    assert not third.verified  # neither earlier secret signs any more


def test_a_failing_receiver_is_retried_with_backoff_in_order_per_comment(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving(plan=[500, 503, 200]) as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        receiver.secrets.append(endpoint["secret"])
        comment = add_comment(hook_app, site_id, status="pending")
        moderate(hook_app, comment)
        decide(hook_app, comment)  # the second event about the comment waits for the first
        deliver_until(hook_app, fast_config(hook_app, retry_base=0.3, retry_max_delay=1.0),
                      lambda: len(receiver.accepted()) == 2)
    types = [(r.payload["type"], r.answered) for r in receiver.received]
    assert types == [("comment.moderated", 500), ("comment.moderated", 503), ("comment.moderated", 200),
                     ("comment.decided", 200)]
    assert len({r.payload["id"] for r in receiver.received[:3]}) == 1  # the same webhook-id each time
    gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:3], strict=False)]
    assert gaps[0] >= 0.15 and gaps[1] >= 0.3  # jittered 0.15-0.3 s, then 0.3-0.6 s
    log = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers=auth(admin)).get_json()["items"]
    assert [d["event_type"] for d in log] == ["comment.decided", "comment.moderated"]
    assert [a["status_code"] for a in log[1]["log"]] == [500, 503, 200]
    assert log[1]["status"] == "delivered" and log[1]["attempts"] == 3
    assert all(a["latency_ms"] >= 0 and a["address"] == "127.0.0.1" for a in log[1]["log"])
    assert log[1]["log"][0]["error"] == "answered 500"


def test_a_delivery_gives_up_after_its_window_and_the_next_event_goes(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving(plan=[500] * 50) as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        comment = add_comment(hook_app, site_id, status="pending")
        moderate(hook_app, comment)
        decide(hook_app, comment)
        config = fast_config(hook_app, retry_window=0.5)
        deliver_until(hook_app, config, lambda: any(r.payload["type"] == "comment.decided"
                                                    for r in receiver.received))
    with hook_app.extensions["db"].session() as session:
        first = session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).first()
        assert first is not None and first.status == "failed" and first.attempts >= 2
    failed = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries?status=failed",
                        headers=auth(admin)).get_json()["items"]
    assert [d["event_type"] for d in failed] == ["comment.moderated"]


def test_an_endpoint_failing_for_too_long_is_disabled_and_audited(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving(plan=[500] * 1000) as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        comment = add_comment(hook_app, site_id, status="pending")
        moderate(hook_app, comment)
        config = fast_config(hook_app, disable_after=0.3)

        def disabled() -> bool:
            state = client.get(f"/v1/webhooks/{endpoint['id']}", headers=auth(admin)).get_json()
            return state["enabled"] is False

        deliver_until(hook_app, config, disabled)
        tries = len(receiver.received)
        deliver(hook_app, config)
        assert len(receiver.received) == tries  # nothing goes to a disabled endpoint
        state = client.get(f"/v1/webhooks/{endpoint['id']}", headers=auth(admin)).get_json()
        assert "every attempt failed since" in state["disabled_reason"]
        with hook_app.extensions["db"].session() as session:
            audit = session.scalars(select(AuditEvent).where(
                AuditEvent.action == "webhook.endpoint.disable")).one()
            assert audit.actor == "system:webhooks" and audit.target_id == str(endpoint["id"])
        # re-enabled, its pending delivery goes out at once (the receiver now answers 200)
        receiver.plan.clear()
        client.patch(f"/v1/webhooks/{endpoint['id']}", headers=auth(admin), json={"enabled": True})
        deliver_until(hook_app, config, lambda: receiver.received[-1].answered == 200)


def test_a_410_answer_disables_the_endpoint(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving(plan=[410]) as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        moderate(hook_app, add_comment(hook_app, site_id, status="pending"))
        deliver(hook_app, fast_config(hook_app))
    state = client.get(f"/v1/webhooks/{endpoint['id']}", headers=auth(admin)).get_json()
    assert state["enabled"] is False and "410" in state["disabled_reason"]


def test_the_address_is_checked_again_at_delivery_time(hook_app: Flask) -> None:
    """An endpoint allowed when it was created is refused once its address no longer is."""
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving() as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        moderate(hook_app, add_comment(hook_app, site_id, status="pending"))
        deliver(hook_app, fast_config(hook_app, allowed=()))
        assert receiver.received == []
    log = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers=auth(admin)).get_json()["items"]
    attempt = log[0]["log"][0]
    assert attempt["status_code"] is None and "refused" in attempt["error"] and "loopback" in attempt["error"]
    assert log[0]["status"] == "pending"


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving(plan=["redirect"]) as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        moderate(hook_app, add_comment(hook_app, site_id, status="pending"))
        deliver(hook_app, fast_config(hook_app, retry_base=30))
        assert len(receiver.received) == 1
    log = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries", headers=auth(admin)).get_json()["items"]
    assert log[0]["status"] == "pending" and log[0]["log"][0]["status_code"] == 307
    assert "redirect not followed" in log[0]["log"][0]["error"]


def test_manual_redelivery_sends_the_same_event_again(hook_app: Flask) -> None:
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving() as receiver:
        endpoint = add_endpoint(client, admin, site_id, receiver.url)
        receiver.secrets.append(endpoint["secret"])
        moderate(hook_app, add_comment(hook_app, site_id, status="pending"))
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.accepted()) == 1)
        delivery = client.get(f"/v1/webhooks/{endpoint['id']}/deliveries",
                              headers=auth(admin)).get_json()["items"][0]
        assert delivery["status"] == "delivered"
        again = client.post(f"/v1/webhooks/{endpoint['id']}/deliveries/{delivery['id']}/redeliver",
                            headers=auth(admin))
        assert again.status_code == 202 and again.get_json()["status"] == "pending"
        assert client.post(f"/v1/webhooks/{endpoint['id']}/deliveries/999/redeliver",
                           headers=auth(admin)).status_code == 404
        deliver_until(hook_app, fast_config(hook_app), lambda: len(receiver.accepted()) == 2)
    first, second = receiver.received
    assert first.payload == second.payload and first.headers["webhook-id"] == second.headers["webhook-id"]
    assert count(hook_app, WebhookAttempt) == 2
    with hook_app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "webhook.delivery.redeliver")) == 1


def test_a_receiver_is_told_apart_from_others(hook_app: Flask) -> None:
    """Two endpoints of one site each get the event, each signed with its own secret."""
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    with receiving() as one, receiving() as two:
        first = add_endpoint(client, admin, site_id, one.url)
        second = add_endpoint(client, admin, site_id, two.url)
        one.secrets.append(first["secret"])
        two.secrets.append(second["secret"])
        moderate(hook_app, add_comment(hook_app, site_id, status="pending"))
        deliver_until(hook_app, fast_config(hook_app), lambda: len(one.received) == len(two.received) == 1)
    assert one.received[0].verified and two.received[0].verified
    assert not webhooks.verify(second["secret"], one.received[0].headers, one.received[0].body)


def test_outbox_rows_and_the_nudge_follow_the_transaction(hook_app: Flask) -> None:
    """Rolled back with the change: no event and no nudge; committed: both, one nudge."""
    client = hook_app.test_client()
    admin, site_id = make_key(hook_app, "admin"), make_site(hook_app)
    add_endpoint(client, admin, site_id, "http://127.0.0.1:9/hooks")
    comment = add_comment(hook_app, site_id, status="pending")
    nudges: list[int] = []
    with hook_app.extensions["db"].session() as session:
        session.info["webhook_notify"] = lambda: nudges.append(1)
        assert webhooks.record_comment_events(session, "comment.edited", [comment], actor=MODERATOR) == 1
        session.rollback()
        assert nudges == [] and session.scalar(select(func.count()).select_from(WebhookEvent)) == 0
        webhooks.record_comment_events(session, "comment.edited", [comment], actor=MODERATOR)
        webhooks.record_comment_events(session, "comment.withdrawn", [comment], actor=MODERATOR)
        session.commit()
        assert nudges == [1]
        assert session.scalar(select(func.count()).select_from(WebhookEvent)) == 2
