"""Rate limits per key and per sender IP, counted in a real Redis (shared across app instances)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from tests.support.factories import auth, comment_body, make_key, make_site


def _site_with_limits(app: Flask, **limits: str) -> int:
    return make_site(app, policy={"rate_limits": limits})


def test_a_key_over_its_limit_gets_429_with_retry_after(app: Flask, client: FlaskClient) -> None:
    site = _site_with_limits(app, per_key="3/minute")
    token = make_key(app, "moderator", site)
    statuses = [client.get("/v1/queue", headers=auth(token)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/v1/queue", headers=auth(token))
    assert limited.status_code == 429
    assert limited.get_json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    other = make_key(app, "moderator", site)  # limits are per key
    assert client.get("/v1/queue", headers=auth(other)).status_code == 200


def test_the_limit_holds_across_web_processes(app: Flask, client: FlaskClient, database_url: str,
                                              redis_url: str) -> None:
    site = _site_with_limits(app, per_key="2/minute")
    token = make_key(app, "moderator", site)
    second = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                         "secret_key": "test-secret-key-0123456789"}).test_client()
    assert client.get("/v1/queue", headers=auth(token)).status_code == 200
    assert second.get("/v1/queue", headers=auth(token)).status_code == 200
    assert client.get("/v1/queue", headers=auth(token)).status_code == 429
    assert second.get("/v1/queue", headers=auth(token)).status_code == 429


def test_intake_is_limited_per_sender_ip(app: Flask, client: FlaskClient) -> None:
    site = _site_with_limits(app, per_sender_ip="2/minute")
    token = make_key(app, "site", site)

    def post(ip: str) -> int:
        body = comment_body(sender={"ip": ip})
        return client.post("/v1/comments", json=body, headers=auth(token)).status_code

    assert [post("198.51.100.1") for _ in range(3)] == [202, 202, 429]
    assert post("198.51.100.2") == 202  # another reader is not affected


def test_an_unreachable_redis_does_not_block_requests(database_url: str) -> None:
    app = create_app({"database_url": database_url, "redis_url": "redis://127.0.0.1:1/0", "env": "test",
                      "secret_key": "test-secret-key-0123456789"})
    site = _site_with_limits(app, per_key="1/minute")
    token = make_key(app, "moderator", site)
    client = app.test_client()
    assert [client.get("/v1/queue", headers=auth(token)).status_code for _ in range(2)] == [200, 200]
