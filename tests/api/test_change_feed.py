"""A site's change feed (``GET /v1/comments`` with a site key): its own comments in
commit order, with a cursor that never skips a change committed concurrently."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from moderation.services.moderation import moderate_comment
from moderation.store import Comment, change_seq
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.fake_classifier import FakeClassifier


@pytest.fixture(autouse=True)
def no_broker(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.extensions["celery"], "send_task", lambda *a, **k: None)


@pytest.fixture
def site_token(app: Flask) -> str:
    return make_key(app, "site", make_site(app))


def _feed(client: FlaskClient, token: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/comments", query_string=params, headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def _post(client: FlaskClient, token: str, text: str) -> int:
    response = client.post("/v1/comments", json=comment_body(comment=text), headers=auth(token))
    assert response.status_code == 202
    return int(response.get_json()["id"])


def test_a_site_lists_its_own_comments_and_then_only_what_changed(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    other = make_key(app, "site", make_site(app, "other"))
    _post(client, other, "Someone else's comment.")
    ids = [_post(client, site_token, f"Comment number {n}.") for n in range(3)]

    first = _feed(client, site_token, limit=2)
    assert [c["id"] for c in first["items"]] == ids[:2] and first["has_more"] is True
    item = first["items"][0]
    assert item["status"] == "pending" and item["decided_by"] is None
    assert {"updated_at", "revision", "withdrawn_at", "external_id"} <= item.keys()
    rest = _feed(client, site_token, cursor=first["next_cursor"])
    assert [c["id"] for c in rest["items"]] == ids[2:] and rest["has_more"] is False

    quiet = _feed(client, site_token, cursor=rest["next_cursor"])
    assert quiet["items"] == [] and quiet["next_cursor"] == rest["next_cursor"]

    with app.extensions["db"].session() as session:
        moderate_comment(session, ids[0], FakeClassifier())
    changed = _feed(client, site_token, cursor=quiet["next_cursor"])
    assert [(c["id"], c["status"], c["decided_by"]) for c in changed["items"]] == [
        (ids[0], "approved", "system")]


def test_a_moderators_later_rejection_reaches_the_site_without_webhooks(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    moderator = make_key(app, "moderator")
    comment = _post(client, site_token, "Published at first.")
    with app.extensions["db"].session() as session:
        moderate_comment(session, comment, FakeClassifier())
    synced = _feed(client, site_token)
    assert synced["items"][0]["status"] == "approved"

    client.post(f"/v1/comments/{comment}/decision", headers=auth(moderator),
                json={"decision": "rejected", "reason": "reported"})
    changes = _feed(client, site_token, cursor=synced["next_cursor"])
    assert [(c["id"], c["status"], c["decided_by"]) for c in changes["items"]] == [
        (comment, "rejected", "moderator")]
    assert changes["items"][0]["decided_at"] is not None


def test_edits_and_withdrawals_appear_in_the_feed(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    edited, withdrawn = (_post(client, site_token, t) for t in ("First text.", "Going away."))
    start = _feed(client, site_token)["next_cursor"]
    client.put(f"/v1/comments/{edited}", headers=auth(site_token), json={"comment": "New text."})
    client.delete(f"/v1/comments/{withdrawn}", headers=auth(site_token))
    items = _feed(client, site_token, cursor=start)["items"]
    assert [(c["id"], c["status"], c["revision"]) for c in items] == [
        (edited, "pending", 2), (withdrawn, "withdrawn", 1)]
    assert items[1]["withdrawn_at"] is not None


def test_updated_after_starts_a_first_sync_at_a_time(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    old, new = _post(client, site_token, "Old one."), _post(client, site_token, "New one.")
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id == old)
                        .values(updated_at=datetime.now(UTC) - timedelta(days=2))
                        .execution_options(synchronize_session=False))
        session.commit()
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    page = _feed(client, site_token, updated_after=since)
    assert [c["id"] for c in page["items"]] == [new]
    future = _feed(client, site_token, updated_after=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert future["items"] == []
    # The cursor of an empty first page is current: later changes follow it.
    later = _post(client, site_token, "Later one.")
    assert [c["id"] for c in _feed(client, site_token, cursor=future["next_cursor"])["items"]] == [later]


@pytest.mark.parametrize(("params", "field"), [
    ({"cursor": "not-a-cursor"}, "query.cursor"),
    ({"cursor": "eyJ2IjoxLCJzZXEiOi0xfQ"}, "query.cursor"),  # {"v":1,"seq":-1}
    ({"updated_after": "yesterday"}, "query.updated_after"),
    ({"updated_after": "0001-01-01T00:20:14+04:01"}, "query.updated_after"),
    ({"updated_after": "2026-01-01T00:00:00Z", "cursor": "eyJ2IjoxLCJzZXEiOjB9"},
     "query.updated_after"),
    ({"status": "approved"}, "query.status"),  # the moderators' filters aren't the feed's
    ({"limit": "0"}, "query.limit"),
])
def test_bad_feed_parameters_are_field_level_422s(
    client: FlaskClient, site_token: str, params: dict[str, str], field: str
) -> None:
    response = client.get("/v1/comments", query_string=params, headers=auth(site_token))
    assert response.status_code == 422, response.get_data(as_text=True)
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}


def test_the_change_triggers_exist_at_head(app: Flask) -> None:
    with app.extensions["db"].engine.connect() as connection:
        assert change_seq.installed(connection)


def test_a_change_committed_late_is_not_skipped_by_a_cursor_already_past_it(
    app: Flask, client: FlaskClient, site_token: str, database_url: str
) -> None:
    """Transaction A changes comment 1 first but commits last; a reader that paged past
    B's change meanwhile must still get A's. (A statement-time sequence or a timestamp
    would give A the lower position and the reader would never see it.)"""
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serialises writers: a second writer can't commit while A is open")
    first, second = _post(client, site_token, "One."), _post(client, site_token, "Two.")
    cursor = _feed(client, site_token)["next_cursor"]
    db = app.extensions["db"]
    a_changed, a_may_commit = threading.Event(), threading.Event()

    def transaction_a() -> None:
        with db.session() as session:
            session.execute(update(Comment).where(Comment.id == first).values(status="approved")
                            .execution_options(synchronize_session=False))
            a_changed.set()
            a_may_commit.wait(10)
            session.commit()

    thread = threading.Thread(target=transaction_a)
    thread.start()
    assert a_changed.wait(10)
    with db.session() as session:  # transaction B: changed after A, committed before it
        session.execute(update(Comment).where(Comment.id == second).values(status="rejected")
                        .execution_options(synchronize_session=False))
        session.commit()
    seen = _feed(client, site_token, cursor=cursor)
    assert [c["id"] for c in seen["items"]] == [second]
    a_may_commit.set()
    thread.join(10)
    late = _feed(client, site_token, cursor=seen["next_cursor"])
    assert [(c["id"], c["status"]) for c in late["items"]] == [(first, "approved")]


def test_a_workers_lease_does_not_move_a_comment_in_the_feed(
    app: Flask, client: FlaskClient, site_token: str
) -> None:
    comment = _post(client, site_token, "Leased.")
    cursor = _feed(client, site_token)["next_cursor"]
    with app.extensions["db"].session() as session:
        session.execute(update(Comment).where(Comment.id == comment)
                        .values(claimed_by="task-1", claimed_until=datetime.now(UTC))
                        .execution_options(synchronize_session=False))
        session.commit()
    assert _feed(client, site_token, cursor=cursor)["items"] == []
