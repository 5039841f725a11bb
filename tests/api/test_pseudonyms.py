"""Sender pseudonyms are keyed per site with their own key: a moderator's pseudonym ban
stops the sender on that site, and tells nothing about (nor blocks) the same reader
on another site."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from moderation import create_app
from moderation.senders import pseudonym
from moderation.services import moderation as moderation_service
from moderation.store import Comment, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.fake_classifier import FakeClassifier

SECRET = "test-secret-key-0123456789"
PSEUDONYM_KEY = "test-pseudonym-key-9876543210"


@pytest.fixture
def keyed_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": SECRET, "pseudonym_key": PSEUDONYM_KEY})
    app.extensions["celery"].send_task = lambda *args, **kwargs: None  # moderated below, directly
    yield app
    app.extensions["db"].dispose()


def submit(app: Flask, token: str, email: str) -> int:
    response = app.test_client().post(
        "/v1/comments", headers=auth(token),
        json=comment_body(author={"name": "A Reader", "email": email}))
    assert response.status_code == 202, response.get_json()
    return int(response.get_json()["id"])


def stored_pseudonym(app: Flask, comment_id: int) -> str:
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        assert comment is not None
        return comment.sender_pseudonym


def reason_codes(app: Flask, comment_id: int) -> set[str]:
    with app.extensions["db"].session() as session:
        moderation_service.moderate_batch(session, comment_id, FakeClassifier())
        verdict = session.query(Verdict).filter_by(comment_id=comment_id).one()
        return {reason["code"] for reason in verdict.reasons}


def test_a_pseudonym_ban_holds_on_its_site_and_says_nothing_about_another(keyed_app: Flask) -> None:
    app = keyed_app
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    token_one, token_two = make_key(app, "site", one), make_key(app, "site", two)
    first_one = submit(app, token_one, "Reader@Example.com")
    first_two = submit(app, token_two, "reader@example.com")
    on_one, on_two = stored_pseudonym(app, first_one), stored_pseudonym(app, first_two)
    assert on_one == pseudonym(PSEUDONYM_KEY, one, "reader@example.com")
    assert on_two == pseudonym(PSEUDONYM_KEY, two, "reader@example.com")
    assert on_one != on_two  # no linking readers across tenants
    assert on_one != pseudonym(SECRET, one, "reader@example.com")  # not the session secret

    moderator = make_key(app, "moderator", one)
    created = app.test_client().post("/v1/bans", headers=auth(moderator), json={
        "site_id": one, "kind": "pseudonym", "value": on_one, "reason": "repeated abuse"})
    assert created.status_code == 201, created.get_json()

    assert "blocklist:sender" in reason_codes(app, submit(app, token_one, "reader@example.com"))
    assert "blocklist:sender" not in reason_codes(app, submit(app, token_two, "reader@example.com"))
