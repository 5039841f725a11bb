"""The console's webhook pages through the Flask client: endpoints added, disabled,
re-enabled, rotated and deleted through the API's service functions (same audit, same
rules: role admin, scope), field errors on the form for an unsafe URL or an unknown event,
the delivery log (newest first, paged, with the last answer) and audited redelivery;
deliveries go to a real loopback receiver."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation import create_app
from moderation.console.pages import admin_webhooks
from moderation.domain.actors import Actor
from moderation.services import webhook_delivery, webhooks
from moderation.store import AuditEvent, WebhookDelivery, WebhookEndpoint
from tests.console.conftest import Person, create_person, sign_in, token_for
from tests.support.factories import make_site
from tests.support.moderation_data import add_comment
from tests.support.webhook_receiver import receiving

LOOPBACK = "127.0.0.0/8,::1/128"
SETUP = Actor.system("test", "setup")


@pytest.fixture
def app(database_url: str, redis_url: str) -> Iterator[Flask]:
    """The console's app, allowed to send webhooks to loopback (the test receiver) only."""
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789",
                      "webhook_allowed_networks": LOOPBACK})
    app.testing = True
    yield app
    app.extensions["db"].dispose()


def _admin(app: Flask, client: FlaskClient) -> Person:
    person = create_person(app, "chief", "admin", display_name="Chief Editor")
    sign_in(client, person)
    return person


def _endpoint(app: Flask, site: int, url: str,
              events: tuple[str, ...] = ("comment.decided",)) -> tuple[int, str]:
    with app.extensions["db"].session() as session:
        endpoint, secret = webhooks.create_endpoint(
            session, site_id=site, url=url, description="", event_types=list(events), compliance=False,
            actor=SETUP, request_id=None, allowed=app.extensions["settings"].webhook_networks)
        return endpoint.id, secret


def _events(app: Flask, site: int, count: int) -> list[int]:
    """``count`` comment.decided events for fresh comments; their comment ids, oldest first."""
    ids = [add_comment(app, site, status="approved") for _ in range(count)]
    with app.extensions["db"].session() as session:
        for comment_id in ids:
            assert webhooks.record_comment_events(session, "comment.decided", [comment_id], actor=SETUP) == 1
        session.commit()
    return ids


def _deliver(app: Flask) -> None:
    # the default retry delays: a failed attempt is retried seconds later, not in this run
    config = webhook_delivery.config_from(app.extensions["settings"])
    with app.extensions["db"].session() as session:
        webhook_delivery.deliver_due(session, config, budget_seconds=5)


def _deliveries(app: Flask, endpoint_id: int) -> list[WebhookDelivery]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint_id).order_by(WebhookDelivery.id)))


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _row_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-delivery-id="(\d+)"', html)]


def test_an_admin_adds_an_endpoint_and_sees_its_secret_once(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    admin = _admin(app, client)
    sites = client.get("/console/admin/sites").get_data(as_text=True)
    assert f'href="/console/admin/sites/{site}/webhooks"' in sites
    assert 'href="/console/admin/webhooks"' in sites  # in the navigation
    with receiving() as receiver:
        response = client.post(f"/console/admin/sites/{site}/webhooks", data={
            "url": receiver.url, "description": "CMS", "event_types": ["comment.decided", "comment.edited"],
            "csrf_token": token_for(client, f"/console/admin/sites/{site}/webhooks")})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    secret = re.search(r"data-new-secret>(whsec_[A-Za-z0-9+/=]+)<", html)
    assert secret
    with app.extensions["db"].session() as session:
        endpoint = session.scalars(select(WebhookEndpoint)).one()
        assert endpoint.event_types == ["comment.decided", "comment.edited"]
        assert webhooks.active_secrets(endpoint, endpoint.created_at) == [secret.group(1)]
    [created] = _audit(app, "webhook.endpoint.create")
    assert created.actor == f"user:{admin.id}" and created.actor_name == "Chief Editor"
    assert created.request_id and "secret" not in str(created.after).replace("secrets", "")
    again = client.get(f"/console/admin/sites/{site}/webhooks").get_data(as_text=True)
    assert secret.group(1) not in again and f'data-endpoint-id="{endpoint.id}"' in again
    assert "comment.decided, comment.edited" in again


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"url": "http://10.1.2.3/hooks", "event_types": ["comment.decided"]}, "url", "a private address"),
    ({"url": "ftp://127.0.0.1/hooks", "event_types": ["comment.decided"]}, "url", ""),
    ({"url": "http://127.0.0.1:9/hooks", "event_types": ["comment.exploded"]}, "event_types",
     "Unknown event types"),
    ({"url": "http://127.0.0.1:9/hooks", "event_types": ["case.due_soon"]}, "event_types",
     "compliance endpoints only"),
    ({"url": "http://127.0.0.1:9/hooks"}, "event_types", "at least one event type"),
    ({"url": "x", "event_types": ["comment.decided"]}, "url", "characters"),
])
def test_bad_input_is_shown_on_the_form_never_a_500(
        app: Flask, client: FlaskClient, form: dict[str, object], field: str, message: str) -> None:
    site = make_site(app, "news-one")
    _admin(app, client)
    path = f"/console/admin/sites/{site}/webhooks"
    response = client.post(path, data={**form, "csrf_token": token_for(client, path)})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    errors = re.findall(r'class="field-error"[^>]*role="alert">([^<]+)<', html)
    assert errors and message in " ".join(errors), errors
    if field == "url":
        assert 'id="hook-url-error"' in html
    assert f'value="{form["url"]}"' in html  # what was typed stays in the form
    with app.extensions["db"].session() as session:
        assert session.scalars(select(WebhookEndpoint)).all() == []


def test_the_delivery_log_is_newest_first_paged_with_the_last_answer(
        app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_webhooks, "PAGE_SIZE", 2)
    site = make_site(app, "news-one")
    _admin(app, client)
    with receiving(plan=[503, 200, 200]) as receiver:
        endpoint_id, secret = _endpoint(app, site, receiver.url)
        receiver.secrets.append(secret)
        comments = _events(app, site, 3)
        _deliver(app)
    rows = _deliveries(app, endpoint_id)
    assert [d.status for d in rows] == ["pending", "delivered", "delivered"]  # the 503 retries later
    html = client.get(f"/console/admin/webhooks/{endpoint_id}").get_data(as_text=True)
    assert _row_ids(html) == [rows[2].id, rows[1].id]
    assert f'href="/console/comments/{comments[2]}"' in html and "comment.decided" in html
    older = re.search(r'href="([^"]+before=\d+)" rel="next"', html)
    assert older
    page_two = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert _row_ids(page_two) == [rows[0].id]
    first = re.search(rf'data-delivery-id="{rows[0].id}".*?</tr>', page_two, re.S)
    assert first and "503" in first.group(0) and 'data-status="pending"' in first.group(0)
    assert "rel=\"next\"" not in page_two
    only_pending = client.get(f"/console/admin/webhooks/{endpoint_id}?status=pending").get_data(as_text=True)
    assert _row_ids(only_pending) == [rows[0].id]


def test_redeliver_is_a_csrf_protected_post_audited_like_the_api(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    admin = _admin(app, client)
    with receiving() as receiver:
        endpoint_id, secret = _endpoint(app, site, receiver.url)
        receiver.secrets.append(secret)
        _events(app, site, 1)
        _deliver(app)
        [delivery] = _deliveries(app, endpoint_id)
        assert delivery.status == "delivered"
        path = f"/console/admin/webhooks/{endpoint_id}/deliveries/{delivery.id}/redeliver"
        assert client.post(path).status_code == 400  # no token
        assert _deliveries(app, endpoint_id)[0].status == "delivered"
        token = token_for(client, f"/console/admin/webhooks/{endpoint_id}")
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 303
        assert response.headers["Location"].endswith(f"/console/admin/webhooks/{endpoint_id}")
        assert _deliveries(app, endpoint_id)[0].status == "pending"
        [audit] = _audit(app, "webhook.delivery.redeliver")
        assert (audit.actor, audit.target_type, audit.target_id, audit.site_id) == (
            f"user:{admin.id}", "webhook_delivery", str(delivery.id), site)
        assert audit.before == {"status": "delivered", "attempts": 1}
        assert audit.after == {"status": "pending", "endpoint_id": endpoint_id}
        assert audit.request_id
        assert "is pending again" in client.get(response.headers["Location"]).get_data(as_text=True)
        _deliver(app)
        assert len(receiver.accepted()) == 2
    # a delivery of another endpoint is a 404 under this one
    other_id, _ = _endpoint(app, site, "http://127.0.0.1:9/other")
    token = token_for(client, f"/console/admin/webhooks/{endpoint_id}")
    assert client.post(f"/console/admin/webhooks/{other_id}/deliveries/{delivery.id}/redeliver",
                       data={"csrf_token": token}).status_code == 404


def test_moderators_cannot_see_or_redeliver_not_even_of_their_own_site(
        app: Flask, client: FlaskClient) -> None:
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    endpoint_id, _secret = _endpoint(app, one, "http://127.0.0.1:9/hooks")
    _events(app, one, 1)
    [delivery] = _deliveries(app, endpoint_id)
    for username, sites in (("desk-other", (two,)), ("desk-same", (one,))):
        person = create_person(app, username, site_ids=sites)
        other = app.test_client()
        sign_in(other, person)
        token = token_for(other)
        for path in ("/console/admin/webhooks", f"/console/admin/sites/{one}/webhooks",
                     f"/console/admin/webhooks/{endpoint_id}"):
            assert other.get(path).status_code == 403, path
        for path in (f"/console/admin/webhooks/{endpoint_id}/deliveries/{delivery.id}/redeliver",
                     f"/console/admin/webhooks/{endpoint_id}/disable",
                     f"/console/admin/webhooks/{endpoint_id}/rotate",
                     f"/console/admin/webhooks/{endpoint_id}/delete",
                     f"/console/admin/sites/{one}/webhooks"):
            assert other.post(path, data={"csrf_token": token, "url": "http://127.0.0.1:9/x",
                                          "event_types": "comment.decided"}).status_code == 403, path
        assert "Webhooks" not in other.get("/console/queue").get_data(as_text=True)
    assert _audit(app, "webhook.delivery.redeliver") == []
    with app.extensions["db"].session() as session:
        assert session.get(WebhookDelivery, delivery.id).attempts == 0  # type: ignore[union-attr]
        assert len(session.scalars(select(WebhookEndpoint)).all()) == 1
        assert len(session.get(WebhookEndpoint, endpoint_id).secrets) == 1  # type: ignore[union-attr]


def test_unknown_or_missing_ids_are_404_pages(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    for path in ("/console/admin/sites/999/webhooks", "/console/admin/webhooks/999",
                 "/console/admin/webhooks/99999999999"):
        assert client.get(path).status_code == 404, path


def test_disable_enable_rotate_and_delete_from_the_endpoint_page(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    _admin(app, client)
    endpoint_id, first_secret = _endpoint(app, site, "http://127.0.0.1:9/hooks")
    page = f"/console/admin/webhooks/{endpoint_id}"
    token = token_for(client, page)
    response = client.post(f"{page}/disable", data={"csrf_token": token, "disabled_reason": "CMS migration"})
    assert response.status_code == 303
    html = client.get(page).get_data(as_text=True)
    assert 'data-endpoint-state="disabled"' in html and "CMS migration" in html
    listing = client.get(f"/console/admin/sites/{site}/webhooks").get_data(as_text=True)
    assert 'data-enabled="no"' in listing and "CMS migration" in listing
    assert client.post(f"{page}/enable", data={"csrf_token": token}).status_code == 303
    assert 'data-endpoint-state="enabled"' in client.get(page).get_data(as_text=True)

    rotated = client.post(f"{page}/rotate", data={"csrf_token": token})
    assert rotated.status_code == 201
    new_secret = re.search(r"data-new-secret>(whsec_[A-Za-z0-9+/=]+)<", rotated.get_data(as_text=True))
    assert new_secret and new_secret.group(1) != first_secret
    with app.extensions["db"].session() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        signing = set(webhooks.active_secrets(endpoint, endpoint.updated_at))
        assert signing == {first_secret, new_secret.group(1)}
    assert [a.action for a in _audit(app, "webhook.endpoint.update")] == ["webhook.endpoint.update"] * 2
    assert len(_audit(app, "webhook.endpoint.rotate_secret")) == 1

    deleted = client.post(f"{page}/delete", data={"csrf_token": token})
    assert deleted.status_code == 303
    assert deleted.headers["Location"].endswith(f"/console/admin/sites/{site}/webhooks")
    with app.extensions["db"].session() as session:
        assert session.get(WebhookEndpoint, endpoint_id) is None  # no delivery log: removed
    assert len(_audit(app, "webhook.endpoint.delete")) == 1
