"""An admin adds a webhook endpoint in a real browser, sees the first delivery in its log
and redelivers it; a real loopback receiver verifies both signatures with the secret the
page showed once. Goes by label, role and the documented hooks (``data-endpoint-id``,
``data-delivery-id``, ``data-action="redeliver"``). SQLite only, like the other browser tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask

from moderation import create_app
from moderation.domain.actors import Actor
from moderation.services import webhook_delivery, webhooks
from tests.console.conftest import PASSWORD, LiveServer, create_person
from tests.console.test_browser_console import _axe
from tests.support.factories import make_site
from tests.support.moderation_data import add_comment
from tests.support.webhook_receiver import receiving

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.timeout(120)]


@pytest.fixture
def app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789",
                      "webhook_allowed_networks": "127.0.0.0/8"})
    app.testing = True
    yield app
    app.extensions["db"].dispose()


def _deliver(app: Flask) -> None:
    config = webhook_delivery.config_from(app.extensions["settings"])
    with app.extensions["db"].session() as session:
        webhook_delivery.deliver_due(session, config, budget_seconds=5)


def test_an_admin_adds_an_endpoint_sees_the_delivery_and_redelivers_it(
        page: Any, live_server: LiveServer) -> None:
    app: Flask = live_server.app
    site = make_site(app, "news-one")
    create_person(app, "chief", "admin", display_name="Chief Editor")
    page.goto("/console/login")
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/totp/enrol**")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name="I have saved them; continue").click()

    with receiving() as receiver:
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Sites").click()
        page.get_by_role("link", name="Webhooks of news-one").click()
        # an unsafe URL first: the form says why, nothing is added
        page.get_by_label("URL").fill("http://10.20.30.40/hooks")
        page.get_by_label("comment.decided").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.locator("#hook-url-error")).to_contain_text("private address")
        assert page.locator("[data-endpoint-id]").count() == 0
        page.get_by_label("URL").fill(receiver.url)
        expect(page.get_by_label("comment.decided")).to_be_checked()  # kept from the first try
        page.get_by_role("button", name="Add endpoint").click()
        signing = page.locator("[data-new-secret]").inner_text().strip()
        assert signing.startswith("whsec_")
        receiver.secrets.append(signing)
        row = page.locator("[data-endpoint-id]")
        expect(row).to_contain_text(receiver.url)
        assert _axe(page) == []

        # something happens on the site: a person's decision, delivered by the worker's code
        comment_id = add_comment(app, site, status="approved")
        with app.extensions["db"].session() as session:
            webhooks.record_comment_events(session, "comment.decided", [comment_id],
                                           actor=Actor.system("test", "setup"))
            session.commit()
        _deliver(app)
        assert len(receiver.accepted()) == 1

        row.get_by_role("link", name="Delivery log of endpoint").click()
        delivery = page.locator("[data-delivery-id]")
        expect(delivery).to_have_count(1)
        expect(delivery).to_have_attribute("data-status", "delivered")
        expect(delivery).to_contain_text("comment.decided")
        expect(delivery).to_contain_text(str(comment_id))
        expect(delivery.locator("[data-attempts]")).to_have_text("1")
        assert _axe(page) == []
        delivery.locator('[data-action="redeliver"]').click()
        page.wait_for_selector(".flash-success")
        expect(page.locator("[data-delivery-id]")).to_have_attribute("data-status", "pending")
        _deliver(app)
        page.reload()
        expect(page.locator("[data-delivery-id]")).to_have_attribute("data-status", "delivered")
        expect(page.locator("[data-delivery-id] [data-attempts]")).to_have_text("2")
        accepted = receiver.accepted()
        assert len(accepted) == 2 and accepted[0]["id"] == accepted[1]["id"]  # the same event again
    # the browser logs the refused form's 422 answer itself; nothing else may fail
    assert [e for e in page.js_errors if "status of 422" not in e] == []
