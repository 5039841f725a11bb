"""Console fixtures: people with accounts, signing in through the real forms, and (for the
browser tests) the real app served on a loopback port and driven by the system Chromium.

``MODERATION_TEST_BROWSER=required`` (set by ``make test``) turns a missing Chromium or
Playwright into an error instead of a skip.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import BaseWSGIServer, make_server

from moderation.domain.actors import Actor
from moderation.services import users

PASSWORD = "plain-harbour-lantern-42"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_SECRET = re.compile(r"data-totp-secret>([A-Z2-7]+)<")


@dataclass
class Person:
    id: int
    username: str
    display_name: str
    role: str
    password: str = PASSWORD
    totp_secret: str | None = None


def create_person(app: Flask, username: str, role: str = "moderator", *, site_ids: tuple[int, ...] = (),
                  all_sites: bool = False, display_name: str | None = None) -> Person:
    name = display_name or username.replace("-", " ").title()
    with app.extensions["db"].session() as session:
        user = users.create_user(session, username=username, display_name=name, role=role,
                                 password=PASSWORD, all_sites=all_sites or role == "admin",
                                 site_ids=site_ids, actor=Actor.system("test"))
        return Person(user.id, user.username, name, role)


def csrf_token(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF meta tag on the page"
    return found.group(1)


def sign_in(client: FlaskClient, person: Person) -> None:
    """Sign in through the login form (and the TOTP enrolment or step when due)."""
    page = client.get("/console/login")
    response = client.post("/console/login", data={
        "username": person.username, "password": person.password,
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    location = response.headers["Location"]
    if "/totp/enrol" in location:
        page = client.get("/console/totp/enrol")
        html = page.get_data(as_text=True)
        found = _SECRET.search(html)
        assert found, "no TOTP secret on the enrolment page"
        person.totp_secret = found.group(1)
        response = client.post("/console/totp/enrol", data={
            "totp": pyotp.TOTP(person.totp_secret).now(), "csrf_token": csrf_token(html)})
        assert response.status_code in (200, 302, 303), response.get_data(as_text=True)[:500]
    elif "/login/totp" in location:
        assert person.totp_secret
        page = client.get("/console/login/totp")
        client.post("/console/login/totp", data={
            "totp": pyotp.TOTP(person.totp_secret).now(),
            "csrf_token": csrf_token(page.get_data(as_text=True))})


def token_for(client: FlaskClient, path: str = "/console/queue") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


# --- the browser ------------------------------------------------------------------------


def chromium_path() -> str | None:
    return os.environ.get("MODERATION_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    required = os.environ.get("MODERATION_TEST_BROWSER") == "required"
    path = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if required:
            raise
        pytest.skip("playwright is not installed (pip install -r requirements-dev.txt)")
    if path is None:
        if required:
            raise RuntimeError("Chromium is missing; scripts/ensure-test-services.sh installs it")
        pytest.skip("no system Chromium (apt-get install chromium)")
    with sync_playwright() as playwright:
        # Chromium refuses its sandbox as root (containers, CI); the pages are our own.
        instance = playwright.chromium.launch(executable_path=path, headless=True,
                                              args=["--no-sandbox", "--disable-dev-shm-usage"])
        yield instance
        instance.close()


@dataclass
class LiveServer:
    app: Flask
    url: str


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The real application on a free loopback port (werkzeug, threaded), as a browser sees it."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, f"http://127.0.0.1:{server.server_port}")
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    def on_console(msg: Any) -> None:
        # a browser asks for /favicon.ico by itself; that 404 is no error of the pages
        if msg.type == "error" and not str(msg.location.get("url", "")).endswith("/favicon.ico"):
            errors.append(f"{msg.text} ({msg.location.get('url')})")

    tab.on("console", on_console)
    tab.js_errors = errors
    yield tab
    context.close()
