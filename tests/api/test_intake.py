"""POST /v1/comments: authentication, validation (422 shape), durability, idempotency."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation.store import Comment, SenderDetails
from tests.support.factories import auth, comment_body, make_key, make_site


@pytest.fixture
def site_token(app: Flask) -> str:
    return make_key(app, "site", make_site(app))


def count_comments(app: Flask) -> int:
    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(Comment)) or 0)


def test_accepts_a_valid_comment_and_stores_it_before_answering(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    response = client.post("/v1/comments", json=comment_body(), headers=auth(site_token),
                           environ_base={"REMOTE_ADDR": "198.51.100.20"})
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["links"]["self"] == f"/v1/comments/{body['id']}"
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, body["id"])
        sender = session.get(SenderDetails, body["id"])
    assert comment is not None and comment.status == "pending"
    assert sender is not None
    assert sender.ip == "203.0.113.7"
    assert sender.submitted_from == "198.51.100.20"
    assert sender.email == "asha@example.com"
    assert comment.sender_pseudonym.startswith("snd_")


def test_requires_a_site_key(client: FlaskClient, app: Flask) -> None:
    assert client.post("/v1/comments", json=comment_body()).status_code == 401
    bad = client.post("/v1/comments", json=comment_body(), headers=auth("mod_nope"))
    assert bad.status_code == 401
    assert bad.get_json()["error"]["code"] == "unauthorized"
    moderator = make_key(app, "moderator")
    assert client.post("/v1/comments", json=comment_body(),
                       headers=auth(moderator)).status_code == 403


def _errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    return {detail["field"]: detail["code"] for detail in error["details"]}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("article_id"), "article_id"),
        (lambda b: b.pop("title"), "title"),
        (lambda b: b.update(title="   "), "title"),
        (lambda b: b.pop("comment"), "comment"),
        (lambda b: b.update(comment=""), "comment"),
        (lambda b: b.update(comment="x" * 2001), "comment"),
        (lambda b: b.update(comment=123), "comment"),
        (lambda b: b.update(comment="nul\x00byte"), "comment"),
        (lambda b: b["author"].pop("name"), "author.name"),
        (lambda b: b["author"].pop("email"), "author.email"),
        (lambda b: b["author"].update(email="not-an-email"), "author.email"),
        (lambda b: b["author"].update(email="a@b@c.com"), "author.email"),
        (lambda b: b.pop("author"), "author"),
        (lambda b: b["sender"].pop("ip"), "sender.ip"),
        (lambda b: b["sender"].update(ip="256.1.1.1"), "sender.ip"),
        (lambda b: b["sender"].update(ip="2001:db8::zz"), "sender.ip"),
        (lambda b: b["sender"].update(ip=42), "sender.ip"),
        (lambda b: b.update(surprise=True), "surprise"),
        (lambda b: b["author"].update(phone="123"), "author.phone"),
        (lambda b: b.update(article_url=["x"]), "article_url"),
    ],
)
def test_rejects_invalid_fields_with_field_level_errors(
    app: Flask, client: FlaskClient, site_token: str, mutate: Any, field: str
) -> None:
    body = comment_body()
    mutate(body)
    response = client.post("/v1/comments", json=body, headers=auth(site_token))
    assert field in _errors(response)
    assert count_comments(app) == 0


def test_length_counts_characters_after_nfc(client: FlaskClient, site_token: str) -> None:
    decomposed = "e\u0301" * 2000  # 4,000 code points, 2,000 characters after NFC
    ok = client.post("/v1/comments", json=comment_body(comment=decomposed),
                     headers=auth(site_token))
    assert ok.status_code == 202
    emoji = "👍🏽" * 1000 + "x"  # each thumbs-up + skin tone is two code points
    assert "comment" in _errors(client.post("/v1/comments", json=comment_body(comment=emoji),
                                            headers=auth(site_token)))


@pytest.mark.parametrize(
    ("data", "content_type", "code"),
    [
        (b"{not json", "application/json", "invalid_json"),
        (b"[1, 2]", "application/json", "invalid_type"),
        (b"", "application/json", "missing"),
        (b"\xff\xfe", "application/json", "invalid_json"),
    ],
)
def test_rejects_bodies_that_are_not_json_objects(
    client: FlaskClient, site_token: str, data: bytes, content_type: str, code: str
) -> None:
    response = client.post("/v1/comments", data=data, content_type=content_type,
                           headers=auth(site_token))
    assert _errors(response) == {"body": code}


def test_rejects_bodies_over_64_kb(app: Flask, client: FlaskClient, site_token: str) -> None:
    body = comment_body(notes="x" * 70_000)
    response = client.post("/v1/comments", data=json.dumps(body),
                           content_type="application/json", headers=auth(site_token))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert count_comments(app) == 0


def test_idempotency_key_returns_the_original(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    headers = {**auth(site_token), "Idempotency-Key": "retry-1"}
    first = client.post("/v1/comments", json=comment_body(), headers=headers)
    second = client.post("/v1/comments", json=comment_body(), headers=headers)
    assert first.status_code == 202
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json()["id"] == first.get_json()["id"]
    assert count_comments(app) == 1


def test_repeated_external_id_returns_the_original(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    first = client.post("/v1/comments", json=comment_body(external_id="c-9"),
                        headers=auth(site_token))
    second = client.post("/v1/comments", json=comment_body(external_id="c-9"),
                         headers=auth(site_token))
    assert second.get_json()["id"] == first.get_json()["id"]
    assert count_comments(app) == 1


def test_a_site_sees_only_its_own_comments(app: Flask, client: FlaskClient) -> None:
    one = make_key(app, "site", make_site(app, "one"))
    two = make_key(app, "site", make_site(app, "two"))
    created = client.post("/v1/comments", json=comment_body(), headers=auth(one)).get_json()
    mine = client.get(created["links"]["self"], headers=auth(one))
    assert mine.status_code == 200
    assert mine.get_json()["status"] == "pending"
    assert mine.get_json()["verdict"] is None
    theirs = client.get(created["links"]["self"], headers=auth(two))
    assert theirs.status_code == 404
    assert client.get("/v1/comments/999999", headers=auth(one)).status_code == 404


def test_enqueue_failure_keeps_the_comment_pending(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    app.extensions["celery"].conf.broker_url = "redis://127.0.0.1:1/0"
    response = client.post("/v1/comments", json=comment_body(), headers=auth(site_token))
    assert response.status_code == 202
    with app.extensions["db"].session() as session:
        assert session.get(Comment, response.get_json()["id"]).status == "pending"


def test_errors_are_json_for_unknown_routes_and_methods(client: FlaskClient) -> None:
    missing = client.get("/nope")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.delete("/v1/comments")
    assert wrong.status_code == 405 and "error" in wrong.get_json()
