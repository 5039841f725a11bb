"""The admin users page and the own-account page: every change is the person's, audited
with their user id; password and scope changes take effect on open sessions at once."""

from __future__ import annotations

import re

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.services import users
from moderation.store import AuditEvent, ConsoleSession, User
from tests.support.console import DEFAULT_PASSWORD, csrf_token, make_user, sign_in
from tests.support.factories import make_site


def _admin(app: Flask, client: FlaskClient) -> User:
    admin = make_user(app, "root", "admin", display_name="Ravi Admin", totp=True)
    assert admin.totp_secret is not None
    assert sign_in(client, "root", totp_secret=admin.totp_secret).status_code == 302
    return admin


def _user(app: Flask, username: str) -> User:
    with app.extensions["db"].session() as session:
        user = users.find_user(session, username)
        assert user is not None
        return user


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_admin_creates_a_scoped_moderator_with_a_generated_password(app: Flask, client: FlaskClient) -> None:
    admin = _admin(app, client)
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    token = csrf_token(client, "/console/admin/users")
    answer = client.post("/console/admin/users", data={
        "username": "Desk.Asha", "display_name": "Asha Rao", "role": "moderator",
        "site_ids": [str(one)], "password": "", "csrf_token": token})
    assert answer.status_code == 200
    password = re.search(r"data-new-password>([^<]+)<", answer.get_data(as_text=True))
    assert password is not None
    created = _user(app, "desk.asha")
    assert created.role == "moderator" and not created.all_sites
    with app.extensions["db"].session() as session:
        assert users.user_site_ids(session, created) == [one]
    [event] = [e for e in _audit(app, "user.create") if e.target_id == str(created.id)]
    assert event.actor == f"user:{admin.id}"
    assert event.after is not None and event.after["site_ids"] == [one]
    assert "password" not in str(event.after).lower().replace("password_", "")
    listing = client.get("/console/admin/users").get_data(as_text=True)
    assert 'data-user="desk.asha"' in listing and "Asha Rao" in listing

    moderator = app.test_client()
    assert sign_in(moderator, "desk.asha", password.group(1)).status_code == 302
    page = moderator.get("/console/account").get_data(as_text=True)
    assert f"{one}" in page and "all sites" not in page
    assert two  # the other site exists but is not theirs


def test_bad_input_gets_field_messages_not_an_error(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    make_user(app, "taken")
    token = csrf_token(client, "/console/admin/users")
    cases = [
        ({"username": "x", "display_name": "X", "role": "moderator", "all_sites": "1"}, "lowercase letters"),
        ({"username": "newbie", "display_name": "N", "role": "boss", "all_sites": "1"}, "Choose one of"),
        ({"username": "newbie", "display_name": "N", "role": "moderator"}, "at least one site"),
        ({"username": "newbie", "display_name": "N", "role": "moderator", "all_sites": "1",
          "password": "password1234"}, "too common"),
        ({"username": "newbie", "display_name": "N", "role": "moderator", "all_sites": "1",
          "password": "short"}, "at least 12"),
        ({"username": "newbie", "display_name": "N", "role": "moderator", "site_ids": "999"}, "No such site"),
        ({"username": "newbie", "display_name": "N", "role": "moderator", "site_ids": "abc"}, "Choose sites"),
    ]
    for data, message in cases:
        answer = client.post("/console/admin/users", data={**data, "csrf_token": token})
        assert answer.status_code == 422, data
        assert message in answer.get_data(as_text=True), (data, message)
    duplicate = client.post("/console/admin/users", data={
        "username": "TAKEN", "display_name": "T", "role": "moderator", "all_sites": "1",
        "csrf_token": token})
    assert duplicate.status_code == 409 and "already exists" in duplicate.get_data(as_text=True)


def test_disable_and_scope_change_end_the_persons_sessions(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    site = make_site(app)
    person = make_user(app, "asha")
    theirs = app.test_client()
    sign_in(theirs, "asha")
    token = csrf_token(client, "/console/admin/users")
    changed = client.post(f"/console/admin/users/{person.id}", data={
        "display_name": "Asha R.", "role": "moderator", "site_ids": [str(site)], "csrf_token": token})
    assert changed.status_code == 302
    assert theirs.get("/console/account").status_code == 302  # signed out by the change
    sign_in(theirs, "asha")
    assert client.post(f"/console/admin/users/{person.id}/disable", data={"csrf_token": token}
                       ).status_code == 302
    assert theirs.get("/console/account").status_code == 302
    assert sign_in(theirs, "asha").status_code == 401
    assert [e.after["disabled_at"] is not None for e in _audit(app, "user.disable") if e.after] == [True]
    client.post(f"/console/admin/users/{person.id}/enable", data={"csrf_token": token})
    assert sign_in(theirs, "asha").status_code == 302


def test_admin_cannot_disable_themselves(app: Flask, client: FlaskClient) -> None:
    admin = _admin(app, client)
    token = csrf_token(client, "/console/admin/users")
    answer = client.post(f"/console/admin/users/{admin.id}/disable", data={"csrf_token": token})
    assert answer.status_code == 409
    assert _user(app, "root").disabled_at is None


def test_password_reset_lifts_a_lockout_and_ends_sessions(app: Flask, client: FlaskClient) -> None:
    _admin(app, client)
    person = make_user(app, "asha", "compliance", totp=True)
    other = app.test_client()
    for _ in range(5):
        sign_in(other, "asha", "not the password at all")
    assert sign_in(other, "asha").status_code == 429
    token = csrf_token(client, "/console/admin/users")
    answer = client.post(f"/console/admin/users/{person.id}/reset-password",
                         data={"reset_totp": "1", "csrf_token": token})
    new = re.search(r"data-new-password>([^<]+)<", answer.get_data(as_text=True))
    assert answer.status_code == 200 and new is not None
    # unlocked, the new password works, and TOTP must be set up again (compliance role)
    assert sign_in(other, "asha", new.group(1)).headers["Location"] == "/console/totp/enrol"
    assert sign_in(other, "asha", DEFAULT_PASSWORD).status_code == 401
    assert len(_audit(app, "user.password_reset")) == 1


def test_own_password_change_keeps_this_browser_and_signs_out_the_others(app: Flask,
                                                                       client: FlaskClient) -> None:
    make_user(app, "asha")
    sign_in(client, "asha")
    elsewhere = app.test_client()
    sign_in(elsewhere, "asha")
    token = csrf_token(client, "/console/account")
    wrong = client.post("/console/account/password", data={
        "current_password": "nope", "new_password": "a brand new passphrase", "confirm_password":
        "a brand new passphrase", "csrf_token": token})
    assert wrong.status_code == 422 and "not your current password" in wrong.get_data(as_text=True)
    weak = client.post("/console/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "asha-asha-asha-1",
        "confirm_password": "asha-asha-asha-1", "csrf_token": token})
    assert weak.status_code == 422 and "username" in weak.get_data(as_text=True)
    done = client.post("/console/account/password", data={
        "current_password": DEFAULT_PASSWORD, "new_password": "a brand new passphrase",
        "confirm_password": "a brand new passphrase", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/console/account").status_code == 200
    assert elsewhere.get("/console/account").status_code == 302
    with app.extensions["db"].session() as session:
        open_rows = session.scalars(select(ConsoleSession).where(ConsoleSession.ended_at.is_(None))).all()
        assert len(open_rows) == 1
    assert [e.action for e in _audit(app, "user.password_change")] == ["user.password_change"]


def test_new_recovery_codes_replace_the_old_ones(app: Flask, client: FlaskClient) -> None:
    person = make_user(app, "asha", "compliance", totp=True)
    assert person.totp_secret is not None
    sign_in(client, "asha", totp_secret=person.totp_secret)
    token = csrf_token(client, "/console/account")
    assert "10 recovery codes left" in client.get("/console/account").get_data(as_text=True)
    answer = client.post("/console/account/recovery-codes", data={
        "current_password": DEFAULT_PASSWORD, "csrf_token": token})
    codes = re.findall(r"<li><code>([a-z0-9-]{19})</code></li>", answer.get_data(as_text=True))
    assert len(codes) == 10
    assert pyotp.TOTP(person.totp_secret).now()  # still the same app secret
    assert len(_audit(app, "user.recovery_codes_regenerate")) == 1
