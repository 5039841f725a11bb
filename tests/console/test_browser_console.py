"""The console in a real browser (headless system Chromium via Playwright), as a person uses it.

The app is the real one, served on a loopback port; the tests go by label, role and the
documented hooks (``data-comment-id``, ``data-decision``, ``mark[data-category]``) and wait
for what a person would wait for, never a fixed time. SQLite only: the pages' queries are
proved on both databases by test_pages.py.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from moderation.store import Ban, Comment, SenderDetails
from tests.console.conftest import PASSWORD, LiveServer, create_person
from tests.support.factories import make_key, make_site
from tests.support.moderation_data import add_comment

expect = pytest.importorskip("playwright.sync_api").expect

pytestmark = [pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
              pytest.mark.timeout(120)]

XSS = "<script>window.__xss=1;alert(1)</script><img src=x onerror=\"window.__xss=2\">"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
ROOT = Path(__file__).resolve().parents[2]


def _screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """Into docs/screenshots when MODERATION_SCREENSHOTS=1 (how the README's are made)."""
    folder = ROOT / "docs" / "screenshots" if os.environ.get("MODERATION_SCREENSHOTS") == "1" else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def _axe(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2 A/AA violations on the current page (run through DevTools, not CSP)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.html)}));
    }""")
    violations: list[dict[str, Any]] = result
    return violations


def _dress(app: Flask, comment_id: int, title: str, author: str, article: str) -> None:
    """Give a seeded comment a real-looking title, author and article (for the screenshots)."""
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        comment.title, comment.article_id = title, article
        comment.article_url = f"https://news.example/{article}"
        details = session.get(SenderDetails, comment_id)
        if details is not None:
            details.name = author
        session.commit()


def _sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/console/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def _focused_comment(page: Any) -> str | None:
    value: str | None = page.evaluate(
        "document.activeElement && document.activeElement.getAttribute('data-comment-id')")
    return value


def test_work_the_queue_by_keyboard_and_the_api_shows_the_persons_name(
        page: Any, live_server: LiveServer, tmp_path: Path) -> None:
    app: Flask = live_server.app
    one = make_site(app, "news-one")
    create_person(app, "desk-asha", site_ids=(one,), display_name="Asha Rao")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    first = add_comment(app, one, text="You absolute idiot, " + XSS, email="reader@example.org",
                        ip="198.51.100.23", reasons=[
                            {"code": "classifier:abusive", "message": "The comment looks abusive.",
                             "spans": [{"start": 13, "end": 18, "category": "abusive"}]},
                            {"code": "personal_information:phone_number",
                             "message": "Comment contains a phone number", "spans": []}])
    second = add_comment(app, one, text="Call me on 98450 12345 about the flood relief.", reasons=[
        {"code": "personal_information:phone_number", "message": "Comment contains a phone number",
         "spans": [{"start": 11, "end": 22, "category": "personal_information"}]}])
    third = add_comment(app, one, text="The minister is a crook and a thief.", reasons=[
        {"code": "defamatory:accusation", "message": "Accuses a named person of a crime",
         "spans": [{"start": 18, "end": 23, "category": "defamatory"}]}])
    _dress(app, first, "Re: the budget speech", "Vikram S", "budget-2026")
    _dress(app, second, "Flood relief camps", "Lakshmi N", "flood-relief-bengaluru")
    _dress(app, third, "The minister's statement", "R. Menon", "minister-statement")

    _sign_in(page, "desk-asha")
    page.wait_for_selector(f'[data-comment-id="{first}"]')
    assert page.locator('mark[data-category="abusive"]').first.inner_text() == "idiot"
    # the XSS comment is text: nothing ran, no element came from it
    text = page.locator(f'[data-comment-id="{first}"] .comment-text').inner_text()
    assert "<script>window.__xss=1;alert(1)</script>" in text
    assert page.evaluate("window.__xss") is None and not dialogs
    assert page.locator(".comment-text img, .comment-text script").count() == 0
    html = page.content()
    assert "198.51.100.23" not in html and "reader@example.org" not in html
    assert _axe(page) == []
    _screenshot(page, "queue", tmp_path)

    page.keyboard.press("j")
    assert _focused_comment(page) == str(first)
    page.keyboard.press("a")
    page.wait_for_selector(f'[data-decided="{first}"]')
    assert page.locator(f'[data-comment-id="{first}"]').count() == 0
    expect(page.locator(f'[data-comment-id="{second}"]')).to_be_focused()
    page.keyboard.press("e")
    page.keyboard.type("phone number")
    page.keyboard.press("Escape")
    page.keyboard.press("r")
    page.wait_for_selector(f'[data-decided="{second}"]')
    expect(page.locator(f'[data-comment-id="{third}"]')).to_be_focused()
    assert page.url.endswith("/console/")  # no reload happened on the way
    assert not page.js_errors

    key = make_key(app, "moderator", one, "api-check")
    answer = page.request.get(f"/v1/comments/{second}", headers={"Authorization": f"Bearer {key}"})
    body = answer.json()
    assert body["status"] == "rejected"
    assert "Asha Rao" in body["decisions"][0]["moderator"]
    assert body["decisions"][0]["reason"] == "phone number"

    page.goto(f"/console/comments/{first}")
    assert page.locator("[data-decided-by]").first.inner_text().startswith("Asha Rao")
    assert _axe(page) == []
    _screenshot(page, "comment", tmp_path)
    page.goto("/console/dashboard")
    page.wait_for_selector('svg[data-chart="per-day"]')
    assert _axe(page) == []
    _screenshot(page, "dashboard", tmp_path)
    for path in ("/console/comments?q=minister", "/console/bans"):
        page.goto(path)
        assert _axe(page) == [], path


def test_forged_post_cross_site_404_and_lifting_a_ban(page: Any, live_server: LiveServer) -> None:
    app: Flask = live_server.app
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    create_person(app, "desk-ravi", site_ids=(one,), display_name="Ravi K")
    mine, foreign = add_comment(app, one), add_comment(app, two)
    with app.extensions["db"].session() as session:
        ban = Ban(site_id=one, kind="pseudonym", value="snd_0123456789abcdef0123", reason="abuse",
                  created_by="setup")
        session.add(ban)
        session.commit()
        ban_id = ban.id
    _sign_in(page, "desk-ravi")
    page.wait_for_selector(f'[data-comment-id="{mine}"]')

    forged = page.request.post(f"/console/comments/{mine}/decision", form={"decision": "approved"})
    assert forged.status == 400  # the session cookie went along, but no CSRF token
    assert page.goto(f"/console/comments/{foreign}").status == 404
    assert page.goto(f"/console/comments/{mine}").status == 200

    page.goto("/console/bans")
    row = page.locator(f'[data-ban-id="{ban_id}"]')
    row.get_by_role("button", name=f"Lift ban {ban_id}").click()
    page.wait_for_selector(".flash-success")
    assert page.locator(f'[data-ban-id="{ban_id}"]').count() == 0
    page.get_by_label("Show").select_option("all")
    page.get_by_role("button", name="Show").click()
    assert "lifted" in page.locator(f'[data-ban-id="{ban_id}"]').inner_text()


def test_totp_enrolment_lockout_and_sign_out(page: Any, live_server: LiveServer, browser: Any) -> None:
    app: Flask = live_server.app
    make_site(app, "news-one")
    create_person(app, "chief", "admin", display_name="Chief Editor")
    create_person(app, "desk-mira", all_sites=True, display_name="Mira")

    # an admin must enrol a second factor at the first sign-in, then use it
    _sign_in(page, "chief")
    page.wait_for_url("**/console/totp/enrol**")
    secret = page.locator("[data-totp-secret]").inner_text().strip()
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_selector("[data-recovery-codes]")
    page.get_by_role("link", name="I have saved them; continue").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login**")
    _sign_in(page, "chief")
    page.wait_for_url("**/console/login/totp**")
    # the code of the next 30-second step: the one just used can't be replayed
    page.get_by_label("Authentication code or recovery code").fill(
        pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_selector("[data-signed-in-as='chief']")
    assert page.goto("/console/admin/sites").status == 200

    # sign-out ends the session on the server: the old cookie is worthless afterwards
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/login**")
    replay = browser.new_context(base_url=live_server.url)
    replay.add_cookies(cookies)
    stale = replay.new_page()
    stale.goto("/console/queue")
    assert "/console/login" in stale.url
    replay.close()

    # repeated wrong passwords lock the account, with a clear message
    for _ in range(6):
        _sign_in(page, "desk-mira", "wrong-password-123")
    page.wait_for_selector("[data-sign-in-error]")
    _sign_in(page, "desk-mira")
    error = page.locator("[data-sign-in-error]")
    assert error.get_attribute("data-locked") is not None, error.inner_text()
    assert "/console/login" in page.url
    assert _axe(page) == []
    json.dumps(page.js_errors)  # collected for the failure message only
