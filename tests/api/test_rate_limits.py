"""Rate limits per key and per sender IP, counted in a real Redis (shared across app instances)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits import parse_many

from moderation import create_app
from moderation.api import ratelimit
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


def test_intake_counts_both_limits_in_one_redis_round_trip(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = _site_with_limits(app, per_key="3/minute", per_sender_ip="2/minute")
    token = make_key(app, "site", site)
    calls: list[list[str]] = []
    original = ratelimit._hit_all_script

    def counting() -> Any:
        script = original()

        def run(keys: list[str], args: list[int]) -> Any:
            calls.append(keys)
            return script(keys=keys, args=args)

        return run

    monkeypatch.setattr(ratelimit, "_hit_all_script", counting)

    def post(ip: str) -> int:
        return client.post("/v1/comments", json=comment_body(sender={"ip": ip}),
                           headers=auth(token)).status_code

    assert [post("198.51.100.1") for _ in range(3)] == [202, 202, 429]  # the sender IP's limit
    assert len(calls) == 3 and all(len(keys) == 2 for keys in calls)  # one call, both limits
    assert post("198.51.100.2") == 429  # the key's 4th request: over its own limit


def test_a_key_over_its_limit_is_429_before_its_body_is_judged(app: Flask, client: FlaskClient) -> None:
    site = _site_with_limits(app, per_key="2/minute")
    token = make_key(app, "site", site)
    bad = client.post("/v1/comments", json={"comment": ""}, headers=auth(token))
    assert bad.status_code == 422  # an invalid body still counts against the key...
    assert client.post("/v1/comments", json=comment_body(), headers=auth(token)).status_code == 202
    over = client.post("/v1/comments", json={"comment": ""}, headers=auth(token))
    assert over.status_code == 429  # ...and over the limit the answer is 429, as before
    assert int(over.headers["Retry-After"]) >= 1


def test_an_exceeded_key_limit_does_not_count_the_sender_ip(app: Flask, client: FlaskClient) -> None:
    site = _site_with_limits(app, per_key="1/minute", per_sender_ip="1/minute")
    first, second = make_key(app, "site", site), make_key(app, "site", site)
    body = comment_body(sender={"ip": "198.51.100.9"})
    assert client.post("/v1/comments", json=body, headers=auth(first)).status_code == 202
    assert client.post("/v1/comments", json=body, headers=auth(first)).status_code == 429
    # the refused request was stopped at the key's limit, so the IP's counter is still 1
    limiter, prefix = app.extensions["rate_limits"]
    item = parse_many("1/minute")[0]
    assert limiter.limiter.storage.get(item.key_for(prefix, f"ip:{site}", "198.51.100.9")) == 1
    assert client.post("/v1/comments", json=body, headers=auth(second)).status_code == 429
