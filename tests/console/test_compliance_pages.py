"""The compliance pages through the Flask client: cases with their countdown, the scope
builder's preview, exports approved by a second *person*, downloads behind a TOTP step-up
that expires, verifying an uploaded file, holds, retention's dry run, the audit check,
site scope, roles and CSRF."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text, update
from werkzeug.test import TestResponse

from moderation.services import disclosure
from moderation.services.scopes import Scope
from moderation.store import AuditEvent, ConsoleSession, DisclosureRequest, Export, LegalHold, User
from tests.console.conftest import Person, create_person, sign_in, token_for
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    audit_actions,
    export_dir,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site

HX = {"HX-Request": "true"}
CASES = "/console/compliance/cases"


def _officer(app: Flask, client: FlaskClient, username: str, *, site_ids: tuple[int, ...] = (),
             role: str = "compliance", display_name: str | None = None) -> Person:
    person = create_person(app, username, role, site_ids=site_ids, all_sites=not site_ids,
                           display_name=display_name)
    sign_in(client, person)  # compliance and admin enrol TOTP at the first sign-in
    assert person.totp_secret
    return person


def _code(app: Flask, person: Person) -> str:
    """A TOTP code the server will take now (the sign-in used up the current step)."""
    with app.extensions["db"].session() as session:
        session.execute(update(User).where(User.id == person.id).values(totp_last_step=None))
        session.commit()
    assert person.totp_secret
    return pyotp.TOTP(person.totp_secret).now()


def _token(client: FlaskClient) -> str:
    return token_for(client, CASES)


def _open_case(client: FlaskClient, **scope: str) -> int:
    form = {"csrf_token": _token(client), "authority": "Cyber Cell, Delhi Police",
            "legal_reference": "Notice 91/2026", "legal_basis": "IT Rules 2021 r.3(1)(j)",
            "received_at": "2026-11-01T09:00", "action": "open", **scope}
    answer = client.post(f"{CASES}/new", data=form)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    return int(answer.headers["Location"].rsplit("/", 1)[1])


def _export(client: FlaskClient, case_id: int) -> int:
    answer = client.post(f"{CASES}/{case_id}/exports", data={"format": "csv", "csrf_token": _token(client)})
    assert answer.status_code == 303
    page = client.get(f"{CASES}/{case_id}").get_data(as_text=True)
    ids = re.findall(r'data-export-id="(\d+)"', page)
    assert ids, page
    return int(ids[0])


def _asks_for_a_code(answer: TestResponse) -> bool:
    """The step-up form came instead of what was asked for."""
    html = answer.get_data(as_text=True)
    return answer.status_code == 200 and "data-step-up" in html and 'name="totp"' in html


def _step_up(app: Flask, client: FlaskClient, person: Person, next_url: str) -> None:
    answer = client.post("/console/compliance/step-up", data={
        "totp": _code(app, person), "next": next_url, "csrf_token": _token(client)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:1000]
    assert answer.headers["Location"].endswith(next_url)


def test_cases_list_the_countdown_in_colour_and_words(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    _officer(app, client, "officer-a")
    now = datetime.now(UTC)
    ids = {}
    with app.extensions["db"].session() as session:
        for state, due in (("overdue", now - timedelta(hours=2)), ("due_soon", now + timedelta(hours=5)),
                           ("on_track", now + timedelta(hours=60))):
            case = disclosure.create_request(
                session, disclosure.CaseInput("Police", f"ref-{state}", "law", now - timedelta(hours=1),
                                              due, ""),
                Scope(site_id=site), disclosure.Actor.system("test"), default_due_hours=72)
            ids[state] = case.id
    html = client.get(CASES).get_data(as_text=True)
    for state, label in (("overdue", "Overdue"), ("due_soon", "Due soon"), ("on_track", "On track")):
        row = re.search(rf'<tr data-case-id="{ids[state]}" data-due-state="{state}">(.*?)</tr>', html, re.S)
        assert row, state
        assert f'class="due due-{state}"' in row.group(1) and f"<strong>{label}</strong>" in row.group(1)
    assert re.search(r"overdue by (1 h 59 min|2 h 0 min)", html)
    assert re.search(r"(4 h 59 min|5 h 0 min) left", html) and "2 d 11 h left" in html
    assert 'data-overdue-count="1"' in html
    # overdue first, then by deadline
    assert [int(i) for i in re.findall(r'data-case-id="(\d+)"', html)] == [
        ids["overdue"], ids["due_soon"], ids["on_track"]]


def test_scope_builder_previews_counts_then_opens_the_case(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    make_site(app, "news-two")
    for _ in range(2):
        seed_comment(app, site, email="reader@example.com")
    seed_comment(app, site, email="other@example.com", ip="198.51.100.9")
    person = _officer(app, client, "officer-a", display_name="Asha Officer")
    preview = client.post("/console/compliance/scope-preview", headers=HX, data={
        "csrf_token": _token(client), "site_id": str(site), "sender_email": "reader@example.com"})
    body = preview.get_data(as_text=True)
    assert 'data-preview-comments="2"' in body and 'data-preview-senders="1"' in body
    wide = client.post("/console/compliance/scope-preview", headers=HX, data={
        "csrf_token": _token(client), "sender_ip": "203.0.113.0/24"}).get_data(as_text=True)
    assert 'data-preview-comments="2"' in wide
    bad = client.post("/console/compliance/scope-preview", headers=HX, data={
        "csrf_token": _token(client), "sender_ip": "not-an-ip"}).get_data(as_text=True)
    assert "Type an address" in bad and "data-preview-comments" not in bad
    empty = client.post("/console/compliance/scope-preview", headers=HX, data={
        "csrf_token": _token(client)}).get_data(as_text=True)
    assert "Name at least one of" in empty
    # without JavaScript the preview button posts the form and the page comes back with counts
    nojs = client.post(f"{CASES}/new", data={"csrf_token": _token(client), "action": "preview",
                                             "site_id": str(site), "sender_email": "reader@example.com"})
    assert nojs.status_code == 200 and 'data-preview-comments="2"' in nojs.get_data(as_text=True)
    assert not [a for a in audit_actions(app) if a.startswith("compliance.")]  # a preview is no case

    case_id = _open_case(client, site_id=str(site), sender_email="reader@example.com")
    page = client.get(f"{CASES}/{case_id}").get_data(as_text=True)
    assert 'data-preview-comments="2"' in page
    assert f"Asha Officer <span class=\"person-id\">(user:{person.id})" in page
    assert "reader@example.com" in page  # the scope the officer typed
    assert "203.0.113.7" not in page  # senders stay masked until a reveal
    missing = client.post(f"{CASES}/new", data={"csrf_token": _token(client), "action": "open",
                                                "site_id": str(site)})
    assert missing.status_code == 422 and "Required." in missing.get_data(as_text=True)


def test_export_needs_a_second_person_then_downloads_after_step_up(
        app: Flask, client: FlaskClient, export_dir: Path) -> None:  # noqa: F811
    site = make_site(app)
    seed_comment(app, site, email="reader@example.com")
    a = _officer(app, client, "officer-a", display_name="Asha Officer")
    other = app.test_client()
    b = _officer(app, other, "officer-b", display_name="Bala Officer")
    case_id = _open_case(client, site_id=str(site), sender_email="reader@example.com")
    export_id = _export(client, case_id)

    mine = client.get(f"{CASES}/{case_id}").get_data(as_text=True)
    row = re.search(rf'<tr data-export-id="{export_id}".*?</tr>', mine, re.S)
    assert row and 'data-action="approve"' not in row.group(0)
    assert "You are waiting for a second person" in row.group(0)
    refused = client.post(f"/console/compliance/exports/{export_id}/approve",
                          data={"csrf_token": _token(client)}, follow_redirects=True)
    assert "different person" in refused.get_data(as_text=True)
    assert "compliance.export.approve_refused" in audit_actions(app)

    theirs = other.get("/console/compliance/exports").get_data(as_text=True)
    assert 'data-waiting-for-me="1"' in theirs
    assert "Asha Officer is waiting for a second person" in theirs
    assert 'data-action="approve"' in theirs
    forged = other.post(f"/console/compliance/exports/{export_id}/approve")
    assert forged.status_code == 400  # no CSRF token
    approved = other.post(f"/console/compliance/exports/{export_id}/approve",
                          data={"csrf_token": _token(other), "back": "exports"})
    assert approved.status_code == 303
    with app.extensions["db"].session() as session:
        export = session.get(Export, export_id)
        assert export is not None and export.status == "ready"
        sha = export.sha256
    after = client.get(f"{CASES}/{case_id}").get_data(as_text=True)
    assert f"Bala Officer <span class=\"person-id\">(user:{b.id})" in after

    download = f"/console/compliance/exports/{export_id}/download"
    prompt = client.get(download)
    assert _asks_for_a_code(prompt) and "X-Content-SHA256" not in prompt.headers
    wrong = client.post("/console/compliance/step-up", data={
        "totp": "000000", "next": download, "csrf_token": _token(client)})
    assert wrong.status_code == 401 and "not valid" in wrong.get_data(as_text=True)
    _step_up(app, client, a, download)
    file = client.get(download)
    assert file.status_code == 200 and file.headers["X-Content-SHA256"] == sha
    assert hashlib.sha256(file.data).hexdigest() == sha and b"reader@example.com" in file.data
    assert audit_actions(app).count("compliance.export.download") == 1
    assert "auth.step_up" in audit_actions(app)
    with app.extensions["db"].session() as session:
        case = session.get(DisclosureRequest, case_id)
        assert case is not None and case.answered_at is not None

    # eleven minutes later the step-up has lapsed: the code is asked for again
    with app.extensions["db"].session() as session:
        session.execute(update(ConsoleSession).where(ConsoleSession.user_id == a.id)
                        .values(stepped_up_at=datetime.now(UTC) - timedelta(minutes=11)))
        session.commit()
    assert _asks_for_a_code(client.get(download))
    # B's session never stepped up, even though A's did
    assert _asks_for_a_code(other.get(download))


def test_verify_an_uploaded_file(app: Flask, client: FlaskClient, export_dir: Path) -> None:  # noqa: F811
    site = make_site(app)
    seed_comment(app, site)
    a = _officer(app, client, "officer-a")
    other = app.test_client()
    _officer(app, other, "officer-b")
    case_id = _open_case(client, site_id=str(site))
    export_id = _export(client, case_id)
    other.post(f"/console/compliance/exports/{export_id}/approve", data={"csrf_token": _token(other)})
    download = f"/console/compliance/exports/{export_id}/download"
    _step_up(app, client, a, download)
    content = client.get(download).data

    def verify(data: bytes, name: str = "answer.csv") -> tuple[int, str]:
        from io import BytesIO

        answer = client.post(f"/console/compliance/exports/{export_id}/verify",
                             data={"csrf_token": _token(client), "file": (BytesIO(data), name)},
                             content_type="multipart/form-data")
        return answer.status_code, answer.get_data(as_text=True)

    status, html = verify(content)
    assert status == 200 and 'data-verify-result="match"' in html
    assert hashlib.sha256(content).hexdigest() in html
    status, html = verify(content + b"extra\r\n")
    assert status == 422 and 'data-verify-result="mismatch"' in html
    # the encrypted file as stored on the server decrypts to the recorded content
    with app.extensions["db"].session() as session:
        export = session.get(Export, export_id)
        assert export is not None
        stored = (export_dir / export.file_name).read_bytes()
    status, html = verify(stored, "stored.enc")
    assert status == 200 and "encrypted export file" in html
    status, html = verify(stored[:-5] + b"xxxxx", "stored.enc")
    assert status == 422 and "doesn&#39;t decrypt" in html
    # bigger than the JSON API's body limit (64 KiB) is still taken
    status, html = verify(content + b"x" * 200_000)
    assert status == 422 and 'data-verify-result="mismatch"' in html


def test_sender_details_need_an_approved_export_and_a_step_up(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, email="reader@example.com", ip="203.0.113.7")
    a = _officer(app, client, "officer-a")
    other = app.test_client()
    _officer(app, other, "officer-b")
    case_id = _open_case(client, site_id=str(site))
    reveal = f"{CASES}/{case_id}/comments/{comment}/sender"
    first = client.get(reveal)
    assert _asks_for_a_code(first) and "203.0.113.7" not in first.get_data(as_text=True)
    _step_up(app, client, a, reveal)
    refused = client.get(reveal, follow_redirects=True).get_data(as_text=True)
    assert "no approved export" in refused and "203.0.113.7" not in refused
    export_id = _export(client, case_id)
    other.post(f"/console/compliance/exports/{export_id}/approve", data={"csrf_token": _token(other)})
    shown = client.get(reveal)
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "203.0.113.7" in html and "reader@example.com" in html
    assert audit_actions(app).count("sender.view") == 1


def test_close_needs_a_reason_until_answered(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    _officer(app, client, "officer-a")
    case_id = _open_case(client, site_id=str(site))
    no_reason = client.post(f"{CASES}/{case_id}/close", data={"csrf_token": _token(client)},
                            follow_redirects=True).get_data(as_text=True)
    assert "needs a reason" in no_reason
    client.post(f"{CASES}/{case_id}/close", data={"csrf_token": _token(client),
                                                 "reason": "refused: order invalid"})
    with app.extensions["db"].session() as session:
        case = session.get(DisclosureRequest, case_id)
        assert case is not None and case.status == "closed" and case.close_reason == "refused: order invalid"
    assert f'data-case-id="{case_id}"' not in client.get(CASES).get_data(as_text=True)
    assert f'data-case-id="{case_id}"' in client.get(f"{CASES}?show=closed").get_data(as_text=True)


def test_holds_placed_listed_and_released(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    seed_comment(app, site, email="reader@example.com")
    person = _officer(app, client, "officer-a", display_name="Asha Officer")
    placed = client.post("/console/compliance/holds/new", data={
        "csrf_token": _token(client), "reference": "Matter 12", "site_id": str(site),
        "sender_email": "reader@example.com", "expires_at": "2099-01-31"})
    assert placed.status_code == 303
    html = client.get("/console/compliance/holds").get_data(as_text=True)
    [hold_id] = re.findall(r'data-hold-id="(\d+)"', html)
    assert 'data-hold-covers="1"' in html and "2099-01-31 23:59 UTC" in html
    assert f"Asha Officer <span class=\"person-id\">(user:{person.id})" in html
    past = client.post("/console/compliance/holds/new", data={
        "csrf_token": _token(client), "reference": "Old", "site_id": str(site), "expires_at": "2020-01-01"})
    assert past.status_code == 422 and "already expired" in past.get_data(as_text=True)
    client.post(f"/console/compliance/holds/{hold_id}/release", data={"csrf_token": _token(client)})
    assert f'data-hold-id="{hold_id}"' not in client.get("/console/compliance/holds").get_data(as_text=True)
    assert "released" in client.get("/console/compliance/holds?show=all").get_data(as_text=True)
    with app.extensions["db"].session() as session:
        hold = session.get(LegalHold, int(hold_id))
        assert hold is not None and hold.released_at is not None
    assert audit_actions(app)[-2:] == ["compliance.hold.create", "compliance.hold.release"]


def test_retention_page_and_dry_run_change_nothing(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    old = datetime.now(UTC) - timedelta(days=400)
    seed_comment(app, site, email="gone@example.com", created_at=old)
    seed_comment(app, site, email="held@example.com", created_at=old)
    _officer(app, client, "officer-a")
    _open_case(client, site_id=str(site), sender_email="held@example.com")
    page = client.get("/console/compliance/retention").get_data(as_text=True)
    assert "03:17 UTC" in page and "Retention has not run yet" in page
    dry = client.post("/console/compliance/retention/dry-run", data={"csrf_token": _token(client)})
    html = dry.get_data(as_text=True)
    assert 'data-dry-erased>1<' in html and 'data-dry-kept>1<' in html
    assert "retention.purge" not in audit_actions(app)
    with app.extensions["db"].session() as session:
        assert session.scalar(text("SELECT count(*) FROM sender_details WHERE email IS NULL")) == 0


def test_audit_page_verifies_and_names_the_first_broken_event(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    _officer(app, client, "officer-a")
    ok = client.get("/console/compliance/audit?verify=1").get_data(as_text=True)
    assert 'data-audit-result="ok"' in ok
    with app.extensions["db"].session() as session:
        count = len(list(session.scalars(select(AuditEvent.id))))
        first = session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).first()
    assert f"data-event-count>{count}<" in ok
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'nobody' WHERE id = :id"), {"id": first})
    broken = client.get("/console/compliance/audit?verify=1").get_data(as_text=True)
    assert f'data-first-broken="{first}"' in broken


def test_roles_and_site_scope(app: Flask, client: FlaskClient) -> None:
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    seed_comment(app, two)
    officer = _officer(app, client, "officer-one", site_ids=(one,))
    # the console's front door takes a compliance officer to the cases, not the moderators' queue
    assert client.get("/console/").headers["Location"].endswith(CASES)
    for path in ("/console/queue", "/console/comments", "/console/bans", "/console/dashboard"):
        assert client.get(path).status_code == 403, path
    foreign_officer = make_key(app, "compliance", two)
    foreign = client.application.test_client()
    answer = foreign.post("/v1/compliance/requests", headers=auth(foreign_officer), json={
        "authority": "x", "legal_reference": "y", "legal_basis": "z", "scope": {"site": two}})
    foreign_case = answer.get_json()["id"]
    assert client.get(f"{CASES}/{foreign_case}").status_code == 404
    assert f'data-case-id="{foreign_case}"' not in client.get(CASES).get_data(as_text=True)
    # naming another site in the scope builder is refused like a site that doesn't exist
    refused = client.post(f"{CASES}/new", data={
        "csrf_token": _token(client), "authority": "a", "legal_reference": "b", "legal_basis": "c",
        "action": "open", "site_id": str(two)})
    assert refused.status_code == 422 and "Choose a site from the list" in refused.get_data(as_text=True)
    assert officer.id

    moderator = create_person(app, "desk-asha", site_ids=(one,))
    desk = app.test_client()
    sign_in(desk, moderator)
    for path in (CASES, "/console/compliance/exports", "/console/compliance/holds",
                 "/console/compliance/retention", "/console/compliance/audit", f"{CASES}/new"):
        assert desk.get(path).status_code == 403, path
    assert desk.post("/console/compliance/retention/dry-run",
                     data={"csrf_token": token_for(desk)}).status_code == 403


def test_the_api_names_people_not_keys(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    token = make_key(app, "compliance", name="desk laptop")
    answer = client.post("/v1/compliance/requests", headers=auth(token), json={
        "authority": "x", "legal_reference": "y", "legal_basis": "z", "scope": {"site": site},
        "received_at": "2026-11-01T09:00:00Z"})
    body = answer.get_json()
    assert body["created_by"]["name"] == "desk laptop" and body["created_by"]["id"].startswith("key:")
    assert body["received_at"] == "2026-11-01T09:00:00+00:00"
    hold = client.post("/v1/compliance/holds", headers=auth(token), json={
        "reference": "m", "scope": {"site": site}}).get_json()
    assert hold["created_by"]["name"] == "desk laptop"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", hold["created_at"])
