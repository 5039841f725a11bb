"""MODERATION_PROXY_HOPS: behind a reverse proxy, submitted_from is the client, not the proxy.

Off by default: without it X-Forwarded-For is ignored, so a client can't choose the
address that lawful exports report.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from moderation import create_app
from moderation.store import SenderDetails
from tests.support.factories import auth, comment_body, make_key, make_site

PROXY = "10.0.0.2"  # the reverse proxy, as the web server sees it


def _app(database_url: str, redis_url: str, **overrides: object) -> Flask:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789", **overrides})
    app.testing = True
    return app


@pytest.fixture
def proxied_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = _app(database_url, redis_url, proxy_hops=1)
    yield app
    app.extensions["db"].dispose()


def _submitted_from(app: Flask, headers: dict[str, str]) -> str | None:
    token = make_key(app, "site", make_site(app))
    response = app.test_client().post("/v1/comments", json=comment_body(),
                                      headers={**auth(token), **headers},
                                      environ_base={"REMOTE_ADDR": PROXY})
    assert response.status_code == 202, response.get_json()
    with app.extensions["db"].session() as session:
        sender = session.get(SenderDetails, response.get_json()["id"])
        assert sender is not None
        return sender.submitted_from


def test_one_trusted_hop_records_the_client_address(proxied_app: Flask) -> None:
    assert _submitted_from(proxied_app, {"X-Forwarded-For": "198.51.100.9"}) == "198.51.100.9"


def test_only_the_trusted_hop_counts_not_what_the_client_sent(proxied_app: Flask) -> None:
    # The client forged a first entry; the proxy appended the real address.
    forged = {"X-Forwarded-For": "192.0.2.66, 198.51.100.9"}
    assert _submitted_from(proxied_app, forged) == "198.51.100.9"


def test_scheme_and_host_come_from_the_proxy(proxied_app: Flask) -> None:
    from flask import request

    @proxied_app.get("/_echo")
    def _echo() -> dict[str, str | None]:
        return {"scheme": request.scheme, "host": request.host, "remote_addr": request.remote_addr}

    response = proxied_app.test_client().get("/_echo", environ_base={"REMOTE_ADDR": PROXY}, headers={
        "X-Forwarded-Proto": "https", "X-Forwarded-Host": "comments.news.example",
        "X-Forwarded-For": "198.51.100.9"})
    assert response.get_json() == {"scheme": "https", "host": "comments.news.example",
                                   "remote_addr": "198.51.100.9"}


def test_off_by_default_forwarded_headers_are_ignored(app: Flask) -> None:
    assert app.extensions["settings"].proxy_hops == 0
    assert _submitted_from(app, {"X-Forwarded-For": "198.51.100.9"}) == PROXY


def test_proxy_hops_is_validated(database_url: str, redis_url: str) -> None:
    from moderation.settings import ConfigurationError

    with pytest.raises(ConfigurationError):
        _app(database_url, redis_url, proxy_hops=-1)
