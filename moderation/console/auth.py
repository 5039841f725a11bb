"""Console sign-in: the password form, the second step (TOTP or a recovery code), TOTP
enrolment, sign-out, and :func:`login_required` for every other console view.

The session is server-side (``console_sessions``); Flask's signed cookie only carries
its token under ``sid``. A session is at stage ``password`` after the first factor and
``full`` once the person is signed in; only ``full`` sessions reach console pages.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, ParamSpec, TypeVar
from urllib.parse import urlsplit

import redis
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from moderation import audit
from moderation.api.context import db_session, settings
from moderation.domain.actors import Actor
from moderation.domain.errors import Forbidden, Invalid
from moderation.services import console_sessions, users
from moderation.services.sign_in_throttle import Limits, Lockout, SignInThrottle
from moderation.store import ConsoleSession, User

P = ParamSpec("P")
R = TypeVar("R")

SIGN_IN = Actor.system("sign-in", "sign-in")


# --- wiring -----------------------------------------------------------------------------------
def init_app(app: Flask) -> None:
    conf = app.extensions["settings"]
    client = redis.Redis.from_url(conf.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)
    limits = Limits(conf.console_max_failures_account, conf.console_max_failures_ip,
                    conf.console_failure_window_seconds, conf.console_lockout_seconds)
    app.extensions["sign_in_throttle"] = SignInThrottle(client, limits, conf.database_url)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/login/totp", "login_totp", login_totp, methods=["GET", "POST"])
    bp.add_url_rule("/totp/enrol", "totp_enrol", totp_enrol, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])


def throttle() -> SignInThrottle:
    value: SignInThrottle = current_app.extensions["sign_in_throttle"]
    return value


def lifetimes() -> console_sessions.Lifetimes:
    conf = settings()
    return console_sessions.Lifetimes(idle=timedelta(minutes=conf.console_idle_minutes),
                                      absolute=timedelta(hours=conf.console_session_hours))


def totp_required(user: User) -> bool:
    """The role requires a second factor, or a site this moderator acts on does."""
    return users.totp_required(db_session(), user, settings().totp_roles)


# --- the signed-in person -----------------------------------------------------------------------
def load_session() -> None:
    """Before every console request: find the live session and its person (if any).

    Sets ``g.console_session`` and ``g.console_user``; for a fully signed-in person also
    ``g.actor``. An expired session, or one whose account was disabled, is ended.
    """
    g.console_session = g.console_user = None
    token = session.get("sid")
    if not isinstance(token, str):
        return
    db = db_session()
    row = console_sessions.load(db, token, lifetimes=lifetimes())
    user = db.get(User, row.user_id) if row is not None else None
    if row is not None and (user is None or not user.is_active):
        console_sessions.end(row, "disabled")
        row = user = None
    if db.dirty:
        db.commit()
    if row is None or user is None:
        session.pop("sid", None)
        return
    g.console_session, g.console_user = row, user
    if row.stage == console_sessions.STAGE_FULL:
        g.actor = users.actor_for(db, user)


def current_actor() -> Actor:
    """The signed-in person as an :class:`Actor` (inside a :func:`login_required` view)."""
    actor: Actor = g.actor
    return actor


def current_user() -> User:
    """The signed-in person's ``User`` row (inside a :func:`login_required` view)."""
    user: User = g.console_user
    return user


def _to(endpoint: str, **values: Any) -> Response:
    """A redirect; for an htmx request a 401 with ``HX-Redirect`` so the whole page changes."""
    target = url_for(endpoint, **values)
    if request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def login_required(*roles: str) -> Callable[[Callable[P, R]], Callable[P, R | Response]]:
    """Only a signed-in person (with one of ``roles``, when given) reaches the view.

    Not signed in: redirect to ``/console/login?next=<this page>``. Password given but the
    second step still due: to the TOTP step, or to enrolment when the role requires a
    second factor that isn't set up. A role not in ``roles``: 403. The view finds the
    person in ``g.actor`` / :func:`current_actor` (``site_ids`` None: every site).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R | Response]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | Response:
            row: ConsoleSession | None = g.get("console_session")
            user: User | None = g.get("console_user")
            if row is None or user is None:
                next_url = request.full_path.rstrip("?") if request.method == "GET" else None
                return _to("console.login", next=next_url)
            if row.stage != console_sessions.STAGE_FULL:
                return _to("console.login_totp" if user.totp_enabled else "console.totp_enrol")
            if not user.totp_enabled and user.role == "moderator" and totp_required(user):
                # A site of theirs started requiring it during this session: no page until
                # it is set up (the set-up page and sign-out stay reachable).
                return _to("console.totp_enrol")
            if roles and user.role not in roles:
                if request.endpoint == "console.queue_home":  # /console/ is everyone's way in
                    return redirect(_home())
                raise Forbidden(f"This page needs one of the roles: {', '.join(roles)}.")
            return view(*args, **kwargs)

        return wrapper

    return decorator


# --- helpers ------------------------------------------------------------------------------------
def safe_next(value: str | None) -> str | None:
    """``value`` when it is a console path on this site (never an open redirect), else None."""
    if not value or "\\" in value or any(ch.isspace() for ch in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not value.startswith("/"):
        return None
    if not (parts.path == "/console" or parts.path.startswith("/console/")):
        return None
    if parts.path.startswith(("/console/login", "/console/logout")):
        return None
    return value


def _home() -> str:
    user: User | None = g.get("console_user")
    if user is not None and user.role == "compliance" \
            and "console.compliance_cases" in current_app.view_functions:
        return url_for("console.compliance_cases")
    return url_for("console.account") if "console.queue" not in current_app.view_functions \
        else url_for("console.queue")


def client_ip() -> str:
    """The browser's address. Behind MODERATION_PROXY_HOPS trusted proxies the app's ProxyFix
    (moderation/__init__.py) has already taken it from X-Forwarded-For."""
    return (request.remote_addr or "unknown")[:64]


def is_https() -> bool:
    """Over HTTPS (behind trusted proxies, as X-Forwarded-Proto says: ProxyFix again)."""
    return request.is_secure


def _request_id() -> str | None:
    value = g.get("request_id")
    return value if isinstance(value, str) else None


def _audit_lockouts(lockouts: list[Lockout], username: str, user: User | None) -> None:
    db = db_session()
    for lockout in lockouts:
        audit.record(db, actor=SIGN_IN, action="auth.lockout", target_type="user",
                     target_id=user.id if user is not None else None,
                     after={"scope": lockout.scope, "username": username, "ip": client_ip(),
                            "lockout_seconds": lockout.retry_after},
                     request_id=_request_id())
    if lockouts:
        db.commit()


def _begin(user: User, stage: str) -> ConsoleSession:
    """A new session for ``user`` (the old cookie's contents are dropped: no fixation)."""
    db = db_session()
    old = g.get("console_session")
    if old is not None:
        console_sessions.end(old, "replaced")
    row, token = console_sessions.start(db, user, stage=stage, lifetimes=lifetimes(), ip=client_ip(),
                                        user_agent=request.headers.get("User-Agent"))
    session.clear()
    session["sid"] = token
    g.console_session, g.console_user = row, user
    return row


def _signed_in(row: ConsoleSession, user: User, method: str) -> None:
    """Mark the session fully signed in, audit it and commit."""
    db = db_session()
    if row.stage != console_sessions.STAGE_FULL:
        row.stage = console_sessions.STAGE_FULL
        session["sid"] = console_sessions.rotate(row)
    user.last_login_at = datetime.now(UTC)
    audit.record(db, actor=users.actor_for(db, user), action="auth.sign_in", target_type="user",
                 target_id=user.id, after={"username": user.username, "method": method,
                                           "ip": client_ip()},
                 request_id=_request_id())
    db.commit()
    g.actor = users.actor_for(db, user)


# --- views --------------------------------------------------------------------------------------
def login() -> ResponseReturnValue:
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        row = g.get("console_session")
        if row is not None and row.stage == console_sessions.STAGE_FULL:
            return redirect(next_url or _home())
        return render_template("login.html", next=next_url, username="", error=None)
    username = users.normalise_username(request.form.get("username", ""))[:200]
    password = request.form.get("password", "")
    if not username or not password:
        return render_template("login.html", next=next_url, username=username,
                               error="Enter your username and password."), 422
    locked = throttle().locked(username, client_ip())
    if locked is not None:
        return render_template("login.html", next=next_url, username=username, error=locked.message,
                               locked=True), 429
    db = db_session()
    user = users.authenticate(db, username, password)
    if user is None:
        started = throttle().failed(username, client_ip())
        _audit_lockouts(started, username, users.find_user(db, username))
        if started:
            return render_template("login.html", next=next_url, username=username,
                                   error=started[0].message, locked=True), 429
        return render_template("login.html", next=next_url, username=username,
                               error="The username or password is not right."), 401
    throttle().succeeded(username)
    if user.totp_enabled or totp_required(user):
        _begin(user, console_sessions.STAGE_PASSWORD)
        db.commit()
        session["next"] = next_url
        return redirect(url_for("console.login_totp" if user.totp_enabled else "console.totp_enrol"))
    row = _begin(user, console_sessions.STAGE_FULL)
    _signed_in(row, user, "password")
    return redirect(next_url or _home())


def _pending() -> tuple[ConsoleSession, User] | None:
    row: ConsoleSession | None = g.get("console_session")
    user: User | None = g.get("console_user")
    if row is None or user is None:
        return None
    return row, user


def login_totp() -> ResponseReturnValue:
    """The second step: a code from the authenticator app, or a recovery code."""
    pending = _pending()
    if pending is None:
        return redirect(url_for("console.login"))
    row, user = pending
    if row.stage == console_sessions.STAGE_FULL:
        return redirect(_home())
    if not user.totp_enabled:
        return redirect(url_for("console.totp_enrol"))
    if request.method == "GET":
        return render_template("login_totp.html", error=None)
    db = db_session()
    locked = throttle().locked(user.username, client_ip())
    if locked is not None:
        console_sessions.end(row, "locked")
        db.commit()
        session.pop("sid", None)
        return render_template("login.html", next=None, username=user.username, error=locked.message,
                               locked=True), 429
    method = users.verify_second_factor(db, user, request.form.get("totp", "")[:64],
                                        request_id=_request_id())
    if method is None:
        db.rollback()
        started = throttle().failed(user.username, client_ip())
        _audit_lockouts(started, user.username, user)
        if started:
            console_sessions.end(row, "locked")
            db.commit()
            session.pop("sid", None)
            return render_template("login.html", next=None, username=user.username,
                                   error=started[0].message, locked=True), 429
        return render_template("login_totp.html", error="That code is not valid; try again."), 401
    throttle().succeeded(user.username)
    _signed_in(row, user, method)
    if method == "recovery_code":
        left = users.remaining_recovery_codes(db, user)
        flash(f"You used a recovery code; {left} left. Make new ones on your account page.", "warning")
    next_url = safe_next(session.pop("next", None))
    return redirect(next_url or _home())


def totp_enrol() -> ResponseReturnValue:
    """Set up an authenticator app: show a new secret, confirm it with a code, then show the
    recovery codes once. Reached right after the password when the role requires a second
    factor, or from the account page."""
    pending = _pending()
    if pending is None:
        return _to("console.login", next=url_for("console.totp_enrol"))
    row, user = pending
    if user.totp_enabled:
        if row.stage != console_sessions.STAGE_FULL:
            return redirect(url_for("console.login_totp"))
        flash("Two-step sign-in is already set up.", "info")
        return redirect(url_for("console.account"))
    db = db_session()
    if row.totp_pending_secret is None:
        row.totp_pending_secret = users.start_enrolment(user).secret
        db.commit()
    enrolment = users.start_enrolment(user, row.totp_pending_secret)
    required = totp_required(user)
    by_sites = [] if user.role in settings().totp_roles else users.sites_requiring_totp(db, user)
    if request.method == "GET":
        return render_template("totp_enrol.html", enrolment=enrolment, required=required,
                               required_by_sites=by_sites, error=None)
    actor = users.actor_for(db, user)
    try:
        codes = users.confirm_enrolment(db, user, enrolment.secret, request.form.get("totp", "")[:64],
                                        actor=actor, request_id=_request_id())
    except Invalid as error:
        return render_template("totp_enrol.html", enrolment=enrolment, required=required,
                               required_by_sites=by_sites, error=error.details[0]["message"]), 422
    row.totp_pending_secret = None
    if row.stage != console_sessions.STAGE_FULL:
        _signed_in(row, user, "totp_enrolment")
    else:
        db.commit()
    next_url = safe_next(session.pop("next", None))
    # Shown once, as the answer to this POST: the codes never go into a cookie or a redirect.
    return render_template("totp_recovery_codes.html", codes=codes, next=next_url or _home())


def logout() -> ResponseReturnValue:
    row: ConsoleSession | None = g.get("console_session")
    user: User | None = g.get("console_user")
    if row is not None and user is not None:
        db = db_session()
        console_sessions.end(row, "signed_out")
        audit.record(db, actor=users.actor_for(db, user), action="auth.sign_out", target_type="user",
                     target_id=user.id, after={"username": user.username}, request_id=_request_id())
        db.commit()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("console.login"))
