"""The site-models page in a real browser (headless system Chromium via Playwright): an
admin goes from the sites page to a site's models, activates an earlier one and rolls
back, by role and the page's ``data-*`` hooks; the page passes axe's WCAG A/AA rules."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest
from flask import Flask

from moderation.classifier.artifact import load_classifier
from moderation.domain.actors import Actor
from moderation.services import adaptation
from moderation.store import Site
from moderation.training.adapt import AdaptConfig
from tests.console.conftest import LiveServer, create_person
from tests.console.test_browser_console import _axe, _sign_in
from tests.support.adapt_data import seed_decisions, stream
from tests.support.factories import make_site

pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.timeout(180)]


def test_an_admin_activates_an_earlier_site_model_and_rolls_back(
        page: Any, live_server: LiveServer) -> None:
    app: Flask = live_server.app
    site_id = make_site(app, "news-kn")
    seed_decisions(app, site_id, stream(400))
    base = load_classifier()
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        for _ in range(2):
            adaptation.run_adaptation(session, site, base, AdaptConfig(),
                                      actor=Actor.system("cli", "test"))
    create_person(app, "chief", "admin", display_name="Chief Editor")
    _sign_in(page, "chief")
    page.wait_for_url("**/console/totp/enrol**")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_selector("[data-recovery-codes]")
    page.get_by_role("link", name="I have saved them; continue").click()
    page.wait_for_selector("[data-signed-in-as='chief']")

    page.goto("/console/admin/sites")
    page.locator(f'[data-site="{site_id}"]').get_by_role("link", name="Site models").click()
    page.wait_for_selector("[data-site-models]")
    assert page.locator('[data-site-model="2"]').get_attribute("data-status") == "active"
    assert page.locator('[data-site-model="1"]').get_attribute("data-status") == "inactive"
    assert _axe(page) == []

    page.get_by_role("button", name=f"Activate site{site_id}.v1").click()
    page.wait_for_selector(".flash-success")
    assert f"now uses site{site_id}.v1" in page.locator(".flash-success").inner_text()
    assert page.locator('[data-site-model="1"]').get_attribute("data-status") == "active"
    assert "by user:" in page.locator('[data-site-model="1"] [data-activated-by]').inner_text()

    page.get_by_role("button", name=f"Roll back site{site_id}.v1").click()
    page.wait_for_selector(".flash-success")
    assert page.locator('[data-site-model="2"]').get_attribute("data-status") == "active"
    assert page.locator("[data-site-models-active]").get_attribute(
        "data-site-models-active") == f"site{site_id}.v2"
    assert page.js_errors == []
