"""Console test helpers: accounts, CSRF tokens and the sign-in form flow (Flask test client)."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from moderation.domain.actors import CLI
from moderation.services import users
from moderation.store import User

DEFAULT_PASSWORD = "a long test passphrase 42"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def make_user(
    app: Flask, username: str, role: str = "moderator", *, password: str = DEFAULT_PASSWORD,
    sites: Iterable[int] | None = None, display_name: str | None = None, totp: bool = False,
) -> User:
    """Create an account (``sites`` None: all sites). ``totp=True`` turns TOTP on; the secret
    is then ``user.totp_secret``."""
    with app.extensions["db"].session() as session:
        user = users.create_user(
            session, username=username, display_name=display_name or username.title(), role=role,
            password=password, all_sites=sites is None, site_ids=list(sites or []),
            min_length=app.extensions["settings"].password_min_length, actor=CLI)
        if totp:
            secret = pyotp.random_base32()
            users.confirm_enrolment(session, user, secret, pyotp.TOTP(secret).now(), actor=CLI)
            # the enrolment used up the current step: let the next sign-in use it again
            user.totp_last_step = None
            session.commit()
        return user


def csrf_token(client: FlaskClient, path: str = "/console/login") -> str:
    """The CSRF token of the page at ``path`` (the same for every form in this session)."""
    page = client.get(path, follow_redirects=True)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match is not None, f"no csrf_token on {path} ({page.status_code})"
    return match.group(1)


def sign_in(client: FlaskClient, username: str, password: str = DEFAULT_PASSWORD, *,
            totp_secret: str | None = None, next_url: str | None = None) -> TestResponse:
    """Fill in the sign-in form (and the TOTP step when ``totp_secret`` is given); returns the
    last answer (a 302 into the console when it worked)."""
    data = {"username": username, "password": password, "csrf_token": csrf_token(client)}
    if next_url:
        data["next"] = next_url
    answer = client.post("/console/login", data=data)
    if totp_secret is not None and answer.status_code == 302 and \
            answer.headers["Location"].endswith("/console/login/totp"):
        answer = client.post("/console/login/totp", data={
            "totp": pyotp.TOTP(totp_secret).now(),
            "csrf_token": csrf_token(client, "/console/login/totp")})
    return answer
