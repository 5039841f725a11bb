"""The moderation console: server-rendered pages for people, under ``/console/``.

:func:`init_app` builds the ``console`` blueprint (sign-in and account views from this
package, the work pages from ``moderation.console.pages``), and sets up what every
console response needs:

- CSRF protection (Flask-WTF's ``CSRFProtect``) on every state-changing console
  request, and only there: the JSON API authenticates with bearer keys, which a
  browser never sends on its own, so it needs none;
- the session cookie (``moderation_console``, path ``/console``): Flask's signed cookie
  holding only the id of a server-side session row (``console_sessions``) and the CSRF
  secret; ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the request came over HTTPS
  (MODERATION_CONSOLE_SECURE_COOKIE);
- security headers: a Content-Security-Policy without inline scripts or styles,
  ``frame-ancestors 'none'`` and ``X-Frame-Options: DENY``, ``Referrer-Policy``,
  ``X-Content-Type-Options`` and ``Cache-Control: no-store``;
- HTML error pages for errors raised in console views (the API keeps JSON).
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from flask import Blueprint, Flask, current_app, g, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask.wrappers import Response
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from moderation.domain.errors import DomainError

log = logging.getLogger(__name__)

URL_PREFIX = "/console"
COOKIE_NAME = "moderation_console"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

csrf = CSRFProtect()


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session with ``Secure`` decided per request in "auto" mode."""

    def get_cookie_secure(self, app: Flask) -> bool:
        mode = app.extensions["settings"].console_secure_cookie
        if mode == "always":
            return True
        if mode == "never":
            return False
        from moderation.console.auth import is_https

        return bool(request) and is_https()


def _protect() -> None:
    csrf.protect()


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, message=message), status


def _csrf_failed(error: CSRFError) -> tuple[str, int]:
    log.info("console CSRF check failed: %s", error.description)
    return _error_page(400, "This form has expired",
                       "The page was open too long or came from somewhere else. Go back, reload "
                       "the page and try again.")


def _domain_error(error: DomainError) -> Any:
    if request.headers.get("HX-Request"):
        return render_template("error_fragment.html", status=error.status,
                               message=error.message, details=error.details), error.status
    return _error_page(error.status, error.message, "; ".join(d.get("message", "") for d in error.details))


def _http_error(error: HTTPException) -> Any:
    status = error.code or 500
    if status == 405 or status < 400:
        return error
    return _error_page(status, error.name, error.description or "")


def _template_context() -> dict[str, Any]:
    return {"console_user": g.get("console_user"), "console_actor": g.get("actor"),
            "has_endpoint": lambda name: name in current_app.view_functions}


def _database_error(error: DBAPIError) -> tuple[str, int]:
    log.warning("database error in the console: %s", error.orig)
    return _error_page(503, "The service is busy or unavailable",
                       "The database did not answer. Try again in a moment.")


def _unexpected(error: Exception) -> tuple[str, int]:
    log.exception("unhandled error in the console")
    return _error_page(500, "Something went wrong", "The error is logged. Try again in a moment.")


def make_blueprint() -> Blueprint:
    """A fresh ``console`` blueprint with every console route on it (one per app)."""
    from moderation.console import account, admin_users, auth

    bp = Blueprint("console", __name__, url_prefix=URL_PREFIX, template_folder="templates",
                   static_folder="static", static_url_path="/static")
    auth.register(bp)
    account.register(bp)
    admin_users.register(bp)
    if importlib.util.find_spec("moderation.console.pages") is not None:
        from moderation.console import pages

        pages.register(bp)
    bp.before_request(_protect)
    bp.before_request(auth.load_session)
    bp.after_request(_security_headers)
    bp.register_error_handler(CSRFError, _csrf_failed)
    bp.register_error_handler(DomainError, _domain_error)
    bp.register_error_handler(HTTPException, _http_error)
    bp.register_error_handler(DBAPIError, _database_error)
    bp.register_error_handler(Exception, _unexpected)
    bp.context_processor(_template_context)
    return bp


def init_app(app: Flask) -> None:
    settings = app.extensions["settings"]
    app.config.update(
        # Only the console blueprint checks tokens (its before_request), not the JSON API.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as the longest session, not Flask-WTF's default hour.
        WTF_CSRF_TIME_LIMIT=int(settings.console_session_hours * 3600),
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_PATH=URL_PREFIX,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.session_interface = ConsoleSessionInterface()
    csrf.init_app(app)
    from moderation.console import auth

    auth.init_app(app)
    app.register_blueprint(make_blueprint())
