"""A disclosure case from order to verified download, in a real browser, with two people.

Officer A opens the case with the scope builder (previewing what it matches) and creates
the export; officer B, in another browser, approves it; A downloads it after a TOTP
step-up and uploads the file to verify it. Goes by label, role and the documented hooks
(``data-case-id``, ``data-export-id``, ``data-action="approve"``). SQLite only, like the
other browser tests.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from moderation.domain.actors import Actor
from moderation.services import disclosure
from moderation.services.scopes import Scope
from tests.console.conftest import PASSWORD, LiveServer, create_person
from tests.console.test_browser_console import _axe
from tests.support.compliance_data import export_dir, seed_comment  # noqa: F401 (fixture)
from tests.support.factories import make_site

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.timeout(120)]
ROOT = Path(__file__).resolve().parents[2]


def _enrol(page: Any, username: str) -> str:
    """Sign in for the first time: compliance officers must set up TOTP; returns the secret."""
    page.goto("/console/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/totp/enrol**")
    secret: str = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("link", name="I have saved them; continue").click()
    page.wait_for_selector("[data-cases]")
    return secret


def _earlier_cases(app: Flask, site: int) -> None:
    """Two older cases: one past its deadline, one due within the due-soon window."""
    now = datetime.now(UTC)
    with app.extensions["db"].session() as session:
        for reference, authority, received in (("FIR 88/2026", "Cyber Crime Police, Mumbai", 75),
                                               ("Order 19/2026", "Election Commission", 60)):
            disclosure.create_request(
                session, disclosure.CaseInput(authority, reference, "IT Rules 2021 r.3(1)(j)",
                                              now - timedelta(hours=received), None, ""),
                Scope(site_id=site), Actor.system("test", "setup"), default_due_hours=72)


def test_a_case_from_order_to_verified_download_with_two_people(
        browser: Any, page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    started = time.monotonic()
    app: Flask = live_server.app
    site = make_site(app, "news-one")
    for _ in range(2):
        seed_comment(app, site, email="troll@example.net", ip="203.0.113.50")
    seed_comment(app, site, email="someone.else@example.org")
    create_person(app, "officer-asha", "compliance", all_sites=True, display_name="Asha Menon")
    create_person(app, "officer-bala", "compliance", all_sites=True, display_name="Bala Iyer")

    # A: sign in (TOTP enrolment), open a case with the scope builder, preview, open it
    secret_a = _enrol(page, "officer-asha")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Authority").fill("Cyber Cell, Bengaluru Police")
    page.get_by_label("Legal reference").fill("Notice 112/2026")
    page.get_by_label("Legal basis").fill("IT Act s.91 CrPC")
    page.get_by_label("Site").select_option(str(site))
    page.get_by_label("Sender email").fill("troll@example.net")
    page.get_by_role("button", name="Preview the scope").click()
    expect(page.locator("[data-preview-comments]")).to_have_attribute("data-preview-comments", "2")
    assert page.locator("[data-preview-senders]").get_attribute("data-preview-senders") == "1"
    assert "/cases/new" in page.url  # the preview came in place (htmx), no navigation
    assert _axe(page) == []
    page.get_by_role("button", name="Open the case").click()
    page.wait_for_selector("[data-case-page]")
    case_id = page.locator("[data-case-page]").get_attribute("data-case-page")
    page.get_by_role("button", name="Create export").click()
    export_row = page.locator("[data-export-id]").first
    export_id = export_row.get_attribute("data-export-id")
    expect(export_row).to_contain_text("You are waiting for a second person")
    assert export_row.locator('[data-action="approve"]').count() == 0  # never for its creator
    sha256 = export_row.locator("[data-sha256]").inner_text().strip()
    _earlier_cases(app, site)  # so the list shows every deadline state
    page.goto("/console/compliance/cases")
    expect(page.locator('[data-due-state="overdue"]').first).to_contain_text("Overdue")
    expect(page.locator('[data-due-state="due_soon"]').first).to_contain_text("Due soon")
    row = page.locator(f'[data-case-id="{case_id}"]')
    expect(row).to_contain_text("On track")  # received now: 72 hours to go
    assert _axe(page) == []
    if os.environ.get("MODERATION_SCREENSHOTS") == "1":
        page.screenshot(path=str(ROOT / "docs" / "screenshots" / "compliance-cases.png"))

    # B, in another browser: sees who waits for whom, approves
    other = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    other.set_default_timeout(10_000)
    b = other.new_page()
    _enrol(b, "officer-bala")
    b.get_by_role("link", name="Exports").click()
    theirs = b.locator(f'[data-export-id="{export_id}"]')
    expect(theirs).to_contain_text("Asha Menon is waiting for a second person")
    theirs.locator('[data-action="approve"]').click()
    b.wait_for_selector(".flash-success")
    expect(b.locator(f'[data-export-id="{export_id}"]')).to_contain_text("Approved by Bala Iyer")
    assert _axe(b) == []
    other.close()

    # A downloads: the step-up asks for a fresh code first, then the file comes
    page.goto(f"/console/compliance/cases/{case_id}")
    row = page.locator(f'[data-export-id="{export_id}"]')
    row.get_by_role("link", name=f"Download export {export_id}").click()
    page.wait_for_selector("[data-step-up]")
    assert _axe(page) == []
    page.get_by_label("Authentication code").fill(pyotp.TOTP(secret_a).at(time.time() + 30))
    with page.expect_download() as info:
        page.get_by_role("button", name="Confirm").click()
    saved = tmp_path / "answer.csv"
    info.value.save_as(str(saved))
    content = saved.read_bytes()
    assert hashlib.sha256(content).hexdigest() == sha256
    assert b"troll@example.net" in content and b"someone.else" not in content

    # ... and uploads the file to verify it against the recorded SHA-256
    page.goto(f"/console/compliance/cases/{case_id}")
    page.get_by_label(f"File to verify against export {export_id}").set_input_files(str(saved))
    page.locator(f'[data-export-id="{export_id}"]').get_by_role("button", name="Verify", exact=True).click()
    expect(page.locator("[data-verify-result]")).to_have_attribute("data-verify-result", "match")
    assert page.locator("[data-recorded-sha256]").inner_text() == sha256
    page.goto("/console/compliance/cases?show=all")
    expect(page.locator(f'[data-case-id="{case_id}"]')).to_contain_text("Answered")
    assert not page.js_errors
    assert time.monotonic() - started < 30
