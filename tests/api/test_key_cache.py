"""The web side caches active API keys (and their sites) for a few seconds per process;
revocations and policy changes still take effect: at once here, within the TTL elsewhere."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, update

from moderation import create_app
from moderation.store import ApiKey
from tests.support.factories import auth, comment_body, make_key, make_site


def make_app(database_url: str, redis_url: str, **config: Any) -> Flask:
    return create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                       "secret_key": "test-secret-key-0123456789", **config})


@pytest.fixture
def short_ttl_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = make_app(database_url, redis_url, key_cache_seconds=0.5)
    yield app
    app.extensions["db"].dispose()


def _revoke_elsewhere(app: Flask, token_prefix: str) -> None:
    """As another web process or the CLI would: straight in the database."""
    with app.extensions["db"].session() as session:
        session.execute(update(ApiKey).where(ApiKey.token_prefix == token_prefix)
                        .values(revoked_at=datetime.now(UTC)))
        session.commit()


def test_a_cached_request_reads_neither_the_key_nor_its_site(app: Flask) -> None:
    token = make_key(app, "site", make_site(app))
    client = app.test_client()
    assert client.post("/v1/comments", json=comment_body(), headers=auth(token)).status_code == 202
    statements: list[str] = []
    engine = app.extensions["db"].engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.post("/v1/comments", json=comment_body(), headers=auth(token))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 202
    assert not [s for s in statements if "FROM api_keys" in s or "FROM sites" in s], statements


def test_a_key_revoked_in_this_process_is_refused_at_once(app: Flask) -> None:
    client = app.test_client()
    admin = make_key(app, "admin")
    victim = make_key(app, "moderator")
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 200  # now cached
    keys = client.get("/v1/keys", headers=auth(admin)).get_json()["items"]
    victim_id = next(k["id"] for k in keys if k["role"] == "moderator")
    assert client.delete(f"/v1/keys/{victim_id}", headers=auth(admin)).status_code == 200
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 401


def test_a_key_revoked_elsewhere_is_refused_within_the_cache_ttl(short_ttl_app: Flask) -> None:
    app = short_ttl_app
    now = [1000.0]
    app.extensions["key_cache"].clock = lambda: now[0]  # steps, not the wall clock
    client = app.test_client()
    victim = make_key(app, "moderator")
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 200  # now cached
    _revoke_elsewhere(app, victim[:10])
    now[0] += 0.49  # within the 0.5 s TTL: the cached key still works here
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 200
    now[0] += 0.01  # the TTL is up
    assert client.get("/v1/queue", headers=auth(victim)).status_code == 401


def test_without_a_cache_a_revocation_elsewhere_is_refused_at_once(
    database_url: str, redis_url: str
) -> None:
    app = make_app(database_url, redis_url, key_cache_seconds=0)
    try:
        client = app.test_client()
        victim = make_key(app, "moderator")
        assert client.get("/v1/queue", headers=auth(victim)).status_code == 200
        _revoke_elsewhere(app, victim[:10])
        assert client.get("/v1/queue", headers=auth(victim)).status_code == 401
    finally:
        app.extensions["db"].dispose()


def test_a_policy_change_applies_to_the_next_request_despite_the_cache(app: Flask) -> None:
    client = app.test_client()
    admin = make_key(app, "admin")
    site = make_site(app)
    token = make_key(app, "site", site)
    long_comment = comment_body(comment="word " * 100)  # 500 characters
    assert client.post("/v1/comments", json=long_comment, headers=auth(token)).status_code == 202
    assert client.put(f"/v1/sites/{site}/policy", headers=auth(admin),
                      json={"max_length": 100}).status_code == 200
    assert client.post("/v1/comments", json=long_comment, headers=auth(token)).status_code == 422


def test_an_unknown_token_is_never_cached(app: Flask) -> None:
    client = app.test_client()
    for _ in range(2):
        assert client.get("/v1/queue", headers=auth("mod_not-a-key")).status_code == 401
    assert app.extensions["key_cache"]._entries == {}
