"""Console sign-in through the Flask client: the form, CSRF, cookies and headers, session
expiry and sign-out on the server, throttling and lockout, TOTP and recovery codes."""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from moderation.store import AuditEvent, ConsoleSession, User
from tests.support.console import DEFAULT_PASSWORD, csrf_token, make_user, sign_in


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                    .order_by(AuditEvent.id)))


def _sessions(app: Flask) -> list[ConsoleSession]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(ConsoleSession).order_by(ConsoleSession.id)))


def test_unsigned_visitor_is_sent_to_the_login_form_with_next(client: FlaskClient) -> None:
    answer = client.get("/console/account?tab=1")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/console/login?next=/console/account?tab%3D1"
    htmx = client.get("/console/account", headers={"HX-Request": "true"})
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"].startswith("/console/login")
    form = client.get("/console/login").get_data(as_text=True)
    assert 'name="username"' in form and 'name="password"' in form and 'name="csrf_token"' in form


def test_sign_in_sets_a_hardened_cookie_and_the_person_is_the_actor(app: Flask, client: FlaskClient) -> None:
    user = make_user(app, "asha", display_name="Asha Rao")
    answer = sign_in(client, "asha", next_url="/console/account")
    assert answer.status_code == 302 and answer.headers["Location"] == "/console/account"
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("moderation_console=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    page = client.get("/console/account")
    assert page.status_code == 200 and "Asha Rao" in page.get_data(as_text=True)
    [event] = _events(app, "auth.sign_in")
    assert event.actor == f"user:{user.id}" and event.after and event.after["method"] == "password"


def test_cookie_is_secure_over_https(app: Flask) -> None:
    make_user(app, "asha")
    client = app.test_client()
    page = client.get("/console/login", base_url="https://console.example")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    answer = client.post("/console/login", base_url="https://console.example",
                         headers={"Referer": "https://console.example/console/login"},
                         data={"username": "asha", "password": DEFAULT_PASSWORD,
                               "csrf_token": token.group(1)})
    assert answer.status_code == 302
    assert "Secure" in answer.headers["Set-Cookie"]


def test_console_answers_carry_security_headers_and_the_api_does_not_get_a_cookie(
        client: FlaskClient) -> None:
    page = client.get("/console/login")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert page.headers["Cache-Control"] == "no-store"
    assert '<meta name="csrf-token" content="' in page.get_data(as_text=True)
    api = client.get("/healthz")
    assert "Content-Security-Policy" not in api.headers and "Set-Cookie" not in api.headers


def test_a_forged_post_without_the_token_fails(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    forged = client.post("/console/login", data={"username": "asha", "password": DEFAULT_PASSWORD})
    assert forged.status_code == 400 and "expired" in forged.get_data(as_text=True)
    assert _sessions(app) == []
    sign_in(client, "asha")
    # signed in, a state-changing request without (or with a wrong) token still fails
    assert client.post("/console/logout").status_code == 400
    assert client.post("/console/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/console/account").status_code == 200  # still signed in
    other = app.test_client()  # another browser's token is not this one's
    assert client.post("/console/logout", data={"csrf_token": csrf_token(other)}).status_code == 400


def test_wrong_password_unknown_user_and_disabled_account_look_the_same(app: Flask,
                                                                       client: FlaskClient) -> None:
    make_user(app, "asha")
    disabled = make_user(app, "gone")
    with app.extensions["db"].session() as session:
        session.execute(update(User).where(User.id == disabled.id).values(disabled_at=datetime.now(UTC)))
        session.commit()
    for username, password in (("asha", "wrong password here"), ("nobody", DEFAULT_PASSWORD),
                               ("gone", DEFAULT_PASSWORD)):
        answer = sign_in(client, username, password)
        assert answer.status_code == 401
        assert "The username or password is not right." in answer.get_data(as_text=True)
    assert _sessions(app) == []


def test_sign_out_ends_the_session_on_the_server(app: Flask, client: FlaskClient) -> None:
    user = make_user(app, "asha")
    sign_in(client, "asha")
    stolen = client.get_cookie("moderation_console", path="/console")
    assert stolen is not None
    assert client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/account")}
                       ).status_code == 302
    [row] = _sessions(app)
    assert row.ended_at is not None and row.end_reason == "signed_out"
    replay = app.test_client()
    replay.set_cookie("moderation_console", stolen.value, path="/console")
    assert replay.get("/console/account").status_code == 302  # the old cookie is worthless
    assert [e.actor for e in _events(app, "auth.sign_out")] == [f"user:{user.id}"]


def test_idle_timeout_and_absolute_lifetime_end_sessions(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    db = app.extensions["db"]
    sign_in(client, "asha")
    assert client.get("/console/account").status_code == 200
    with db.session() as session:  # 31 minutes without a request
        session.execute(update(ConsoleSession).values(
            last_seen_at=datetime.now(UTC) - timedelta(minutes=31)))
        session.commit()
    assert client.get("/console/account").status_code == 302
    assert _sessions(app)[-1].end_reason == "idle"

    sign_in(client, "asha")
    with db.session() as session:  # active all along, but past the 12-hour lifetime
        session.execute(update(ConsoleSession).where(ConsoleSession.ended_at.is_(None)).values(
            created_at=datetime.now(UTC) - timedelta(hours=13),
            expires_at=datetime.now(UTC) - timedelta(minutes=1)))
        session.commit()
    assert client.get("/console/account").status_code == 302
    assert _sessions(app)[-1].end_reason == "expired"


def test_session_lifetimes_come_from_settings(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    sign_in(client, "asha")
    [row] = _sessions(app)
    assert timedelta(hours=11, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=12)


def test_disabling_an_account_ends_its_open_sessions(app: Flask, client: FlaskClient) -> None:
    user = make_user(app, "asha")
    sign_in(client, "asha")
    with app.extensions["db"].session() as session:
        session.execute(update(User).where(User.id == user.id).values(disabled_at=datetime.now(UTC)))
        session.commit()
    assert client.get("/console/account").status_code == 302
    assert _sessions(app)[-1].end_reason == "disabled"


def test_next_never_leaves_the_console(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    for target in ("https://evil.example/", "//evil.example/console/", "/v1/comments",
                   "/console\\@evil.example", "/console/logout"):
        client.post("/console/logout", data={"csrf_token": csrf_token(client)})
        answer = sign_in(client, "asha", next_url=target)
        assert answer.status_code == 302
        assert answer.headers["Location"] in ("/console/account", "/console/queue", "/console/"), target


def test_failed_sign_ins_lock_the_account_with_a_message_and_an_audit_event(
        app: Flask, client: FlaskClient) -> None:
    user = make_user(app, "asha")
    for _ in range(4):
        assert sign_in(client, "asha", "wrong password here").status_code == 401
    fifth = sign_in(client, "asha", "wrong password here")
    assert fifth.status_code == 429
    assert "Too many failed sign-ins for this account" in fifth.get_data(as_text=True)
    # locked: even the right password is refused, with the same clear message
    locked = sign_in(client, "asha")
    assert locked.status_code == 429 and "try again later" in locked.get_data(as_text=True)
    assert _sessions(app) == []
    [event] = _events(app, "auth.lockout")
    assert event.target_id == str(user.id) and event.after is not None
    assert event.after["scope"] == "account" and event.after["username"] == "asha"
    # a different account from the same address is not locked
    make_user(app, "bina")
    assert sign_in(client, "bina").status_code == 302


def test_failures_per_ip_lock_the_address_across_accounts(app: Flask, client: FlaskClient) -> None:
    app.extensions["sign_in_throttle"].limits = type(app.extensions["sign_in_throttle"].limits)(
        max_failures_account=50, max_failures_ip=3, window_seconds=60, lockout_seconds=60)
    make_user(app, "asha")
    for name in ("x1", "x2"):
        assert sign_in(client, name, "wrong password here").status_code == 401
    third = sign_in(client, "x3", "wrong password here")
    assert third.status_code == 429 and "your network address" in third.get_data(as_text=True)
    assert sign_in(client, "asha").status_code == 429
    [event] = _events(app, "auth.lockout")
    assert event.after is not None and event.after["scope"] == "ip"
    other_ip = app.test_client()
    other_ip.environ_base["REMOTE_ADDR"] = "198.51.100.9"
    assert sign_in(other_ip, "asha").status_code == 302


def test_sign_in_still_works_when_redis_is_down(app: Flask, client: FlaskClient) -> None:
    import redis

    throttle = app.extensions["sign_in_throttle"]
    throttle.redis = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5,
                                          socket_timeout=0.5)  # as init_app builds it
    make_user(app, "asha")
    assert sign_in(client, "asha", "wrong password here").status_code == 401
    assert sign_in(client, "asha").status_code == 302


# --- second factor ----------------------------------------------------------------------------------
def test_admin_must_enrol_totp_before_reaching_any_page(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    answer = sign_in(client, "root")
    assert answer.headers["Location"] == "/console/totp/enrol"
    assert client.get("/console/account").headers["Location"] == "/console/totp/enrol"
    assert client.get("/console/admin/users").headers["Location"] == "/console/totp/enrol"
    page = client.get("/console/totp/enrol").get_data(as_text=True)
    found = re.search(r"data-totp-secret>([A-Z2-7]+)<", page)
    assert found is not None and "otpauth://totp/" in page
    secret = found.group(1)
    token = csrf_token(client, "/console/totp/enrol")
    wrong = client.post("/console/totp/enrol", data={"totp": "000000", "csrf_token": token})
    assert wrong.status_code == 422
    done = client.post("/console/totp/enrol", data={"totp": pyotp.TOTP(secret).now(), "csrf_token": token})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9-]{19})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/console/admin/users").status_code == 200
    assert [e.after["method"] for e in _events(app, "auth.sign_in") if e.after] == ["totp_enrolment"]
    assert len(_events(app, "user.totp_enable")) == 1


def test_totp_step_accepts_a_code_once_and_refuses_replays(app: Flask, client: FlaskClient) -> None:
    user = make_user(app, "asha", "compliance", totp=True)
    assert user.totp_secret is not None
    answer = client.post("/console/login", data={"username": "asha", "password": DEFAULT_PASSWORD,
                                                 "csrf_token": csrf_token(client)})
    assert answer.headers["Location"] == "/console/login/totp"
    assert 'name="totp"' in client.get("/console/login/totp").get_data(as_text=True)
    assert client.get("/console/account").headers["Location"] == "/console/login/totp"
    before = client.get_cookie("moderation_console", path="/console")
    code = pyotp.TOTP(user.totp_secret).now()
    token = csrf_token(client, "/console/login/totp")
    assert client.post("/console/login/totp", data={"totp": code, "csrf_token": token}).status_code == 302
    assert client.get("/console/account").status_code == 200
    # the token was rotated at the step-up: the pre-TOTP cookie gives nothing
    assert before is not None
    old = app.test_client()
    old.set_cookie("moderation_console", before.value, path="/console")
    assert old.get("/console/account").status_code == 302
    # a second browser can't reuse the same code
    other = app.test_client()
    other.post("/console/login", data={"username": "asha", "password": DEFAULT_PASSWORD,
                                       "csrf_token": csrf_token(other)})
    replay = other.post("/console/login/totp", data={"totp": code,
                                                     "csrf_token": csrf_token(other, "/console/login/totp")})
    assert replay.status_code == 401


def test_recovery_codes_work_once_each(app: Flask, client: FlaskClient) -> None:
    make_user(app, "root", "admin")
    sign_in(client, "root")
    page = client.get("/console/totp/enrol").get_data(as_text=True)
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)  # type: ignore[union-attr]
    done = client.post("/console/totp/enrol", data={"totp": pyotp.TOTP(secret).now(),
                                                    "csrf_token": csrf_token(client, "/console/totp/enrol")})
    code = re.findall(r"<li><code>([a-z0-9-]{19})</code></li>", done.get_data(as_text=True))[0]
    for attempt, expected in ((code.upper(), 302), (code, 401)):
        browser = app.test_client()
        browser.post("/console/login", data={"username": "root", "password": DEFAULT_PASSWORD,
                                             "csrf_token": csrf_token(browser)})
        answer = browser.post("/console/login/totp", data={
            "totp": attempt, "csrf_token": csrf_token(browser, "/console/login/totp")})
        assert answer.status_code == expected
    [event] = _events(app, "user.recovery_code_use")
    assert event.after == {"username": "root", "remaining": 9}


def test_wrong_totp_codes_count_towards_the_lockout(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha", "compliance", totp=True)
    client.post("/console/login", data={"username": "asha", "password": DEFAULT_PASSWORD,
                                        "csrf_token": csrf_token(client)})
    token = csrf_token(client, "/console/login/totp")
    statuses = [client.post("/console/login/totp", data={"totp": "123456", "csrf_token": token}).status_code
                for _ in range(5)]
    assert statuses == [401, 401, 401, 401, 429]
    assert _sessions(app)[-1].end_reason == "locked"
    assert len(_events(app, "auth.lockout")) == 1


def test_moderators_may_skip_totp_unless_settings_require_it(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    assert sign_in(client, "asha").headers["Location"] in ("/console/account", "/console/queue")
    app.extensions["settings"].console_totp_roles = "moderator,compliance,admin"
    client.post("/console/logout", data={"csrf_token": csrf_token(client, "/console/account")})
    assert sign_in(client, "asha").headers["Location"] == "/console/totp/enrol"


def test_wrong_role_gets_a_403_page(app: Flask, client: FlaskClient) -> None:
    make_user(app, "asha")
    sign_in(client, "asha")
    page = client.get("/console/admin/users")
    assert page.status_code == 403 and "admin" in page.get_data(as_text=True)
    assert page.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("variable", ["proxy_hops", "console_proxy_hops"])
def test_behind_a_trusted_proxy_the_forwarded_address_and_scheme_count(
        database_url: str, redis_url: str, variable: str) -> None:
    """One setting, MODERATION_PROXY_HOPS, for the API and the console; the old console-only
    name still works, with a deprecation warning."""
    from moderation import create_app

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                          "secret_key": "test-secret-key-0123456789", variable: 1})
    deprecated = [w for w in caught if issubclass(w.category, DeprecationWarning)
                  and "MODERATION_CONSOLE_PROXY_HOPS" in str(w.message)]
    assert len(deprecated) == (1 if variable == "console_proxy_hops" else 0)
    assert app.extensions["settings"].proxy_hops == 1
    try:
        _locks_the_forwarded_address(app, "203.0.113.5" if variable == "proxy_hops" else "203.0.113.6")
    finally:
        app.extensions["db"].dispose()


def test_the_new_proxy_setting_wins_over_the_old_name(monkeypatch: pytest.MonkeyPatch) -> None:
    from moderation.settings import load_settings

    monkeypatch.setenv("MODERATION_CONSOLE_PROXY_HOPS", "2")
    with pytest.warns(DeprecationWarning, match="MODERATION_CONSOLE_PROXY_HOPS"):
        assert load_settings().proxy_hops == 2
    monkeypatch.setenv("MODERATION_PROXY_HOPS", "1")
    with pytest.warns(DeprecationWarning, match="ignored"):
        assert load_settings().proxy_hops == 1


def _locks_the_forwarded_address(app: Flask, attacker: str) -> None:
    app.extensions["sign_in_throttle"].limits = type(app.extensions["sign_in_throttle"].limits)(
        max_failures_account=50, max_failures_ip=2, window_seconds=60, lockout_seconds=60)
    make_user(app, "asha")
    client = app.test_client()
    # Over HTTPS (as the proxy says) Flask-WTF also checks that the Referer is this site,
    # which a browser sends (Referrer-Policy: same-origin).
    client.environ_base["HTTP_REFERER"] = "https://localhost/console/login"
    for _ in range(2):
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"10.9.9.9, {attacker}"
        client.environ_base["HTTP_X_FORWARDED_PROTO"] = "https"
        last = sign_in(client, "asha", "wrong password here")
    assert last.status_code == 429  # the attacker's address is locked ...
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.7"  # ... not the proxy's
    answer = sign_in(client, "asha")
    assert answer.status_code == 302 and "Secure" in answer.headers["Set-Cookie"]
    [event] = _events(app, "auth.lockout")
    assert event.after is not None and event.after["ip"] == attacker


def test_the_same_totp_code_cannot_pass_twice_in_racing_requests(app: Flask) -> None:
    from moderation.services import users

    user = make_user(app, "asha", "compliance", totp=True)
    assert user.totp_secret is not None
    code = pyotp.TOTP(user.totp_secret).now()
    db = app.extensions["db"]
    with db.session() as first, db.session() as second:
        stale = second.get(User, user.id)  # the second request read the account before ...
        second.commit()
        fresh = first.get(User, user.id)
        assert stale is not None and fresh is not None
        assert users.verify_second_factor(first, fresh, code) == "totp"  # ... the first used the code
        first.commit()
        assert users.verify_second_factor(second, stale, code) is None
