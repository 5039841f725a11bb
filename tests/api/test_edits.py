"""Nothing accepted is silently dropped: retries vs different bodies, edits (PUT) as new
revisions that are moderated again, and withdrawals (DELETE)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation.services.moderation import moderate_comment
from moderation.store import AuditEvent, Comment, CommentRevision, SenderDetails, Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.fake_classifier import FakeClassifier

CLEAN = FakeClassifier()
ABUSIVE = FakeClassifier(scores={"abusive": 0.95, "toxicity": 0.95})


@pytest.fixture
def enqueued(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Moderation tasks sent (none reach a worker: the tests moderate in-process)."""
    sent: list[Any] = []
    monkeypatch.setattr(app.extensions["celery"], "send_task",
                        lambda *args, **kwargs: sent.append(kwargs.get("args") or args))
    return sent


@pytest.fixture
def site_token(app: Flask) -> str:
    return make_key(app, "site", make_site(app))


def _moderate(app: Flask, comment_id: int, classifier: FakeClassifier = CLEAN) -> int | None:
    with app.extensions["db"].session() as session:
        return moderate_comment(session, comment_id, classifier).verdict_id


def _count(app: Flask, model: Any) -> int:
    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _post(client: FlaskClient, token: str, body: dict[str, Any], **headers: str) -> Any:
    return client.post("/v1/comments", json=body, headers={**auth(token), **headers})


# --- retries and different bodies -----------------------------------------------------


def test_a_reused_idempotency_key_with_a_different_body_is_a_422(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    first = _post(client, site_token, comment_body(), **{"Idempotency-Key": "k-1"})
    second = _post(client, site_token, comment_body(comment="Something else entirely."),
                   **{"Idempotency-Key": "k-1"})
    assert first.status_code == 202
    assert second.status_code == 422, second.get_data(as_text=True)
    error = second.get_json()["error"]
    assert error["code"] == "idempotency_key_reused"
    assert error["details"][0]["field"] == "header.Idempotency-Key"
    assert "Idempotent-Replayed" not in second.headers
    assert _count(app, Comment) == 1


def test_an_identical_retry_stays_a_replay_whatever_its_json_spelling(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    body = comment_body(external_id="c-1")
    first = _post(client, site_token, body, **{"Idempotency-Key": "k-2"})
    # Same content, other key order and spacing, the email domain in upper case.
    respelled = json.dumps(dict(reversed(list({**body, "author": {
        "email": "asha@EXAMPLE.COM", "name": "Asha Rao"}}.items()))), indent=2)
    for attempt in (json.dumps(body), respelled):
        again = client.post("/v1/comments", data=attempt, content_type="application/json",
                            headers={**auth(site_token), "Idempotency-Key": "k-2"})
        assert again.status_code == 200, again.get_data(as_text=True)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_json()["id"] == first.get_json()["id"]
    by_external_id = _post(client, site_token, body)  # a retry without the key
    assert by_external_id.status_code == 200
    assert _count(app, Comment) == 1


def test_a_known_external_id_with_different_text_is_a_409_that_points_at_put(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    first = _post(client, site_token, comment_body(external_id="c-9")).get_json()
    edited = _post(client, site_token, comment_body(external_id="c-9", comment="Edited text."))
    assert edited.status_code == 409, edited.get_data(as_text=True)
    error = edited.get_json()["error"]
    assert error["code"] == "external_id_conflict"
    assert f"PUT /v1/comments/{first['id']}" in error["message"]
    assert error["details"][0]["field"] == "external_id"
    with app.extensions["db"].session() as session:
        assert session.get(Comment, first["id"]).text == comment_body()["comment"]  # type: ignore[union-attr]


def test_a_retry_of_the_original_post_after_an_edit_is_still_a_replay(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    body = comment_body(external_id="c-3")
    created = _post(client, site_token, body).get_json()
    client.put(f"/v1/comments/{created['id']}", json={"comment": "Second thoughts."},
               headers=auth(site_token))
    again = _post(client, site_token, body)
    assert again.status_code == 200 and again.get_json()["id"] == created["id"]


# --- edits ------------------------------------------------------------------------------


def test_an_edit_is_a_new_revision_moderated_again_with_the_old_verdict_kept(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    moderator = make_key(app, "moderator")
    created = _post(client, site_token, comment_body(external_id="c-5")).get_json()
    assert _moderate(app, created["id"]) is not None
    before = client.get(created["links"]["self"], headers=auth(site_token)).get_json()
    assert (before["status"], before["revision"], before["decided_by"]) == ("approved", 1, "system")

    enqueued.clear()
    response = client.put(created["links"]["self"], headers=auth(site_token),
                          json={"comment": "You are a pathetic idiot.", "base_revision": 1})
    assert response.status_code == 202, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["status"], body["revision"], body["decided_by"]) == ("pending", 2, None)
    assert len(enqueued) == 1  # queued for moderation
    assert body["updated_at"] > before["updated_at"]

    assert _moderate(app, created["id"], ABUSIVE) is not None
    after = client.get(created["links"]["self"], headers=auth(site_token)).get_json()
    assert after["status"] == "rejected" and after["verdict"]["revision"] == 2
    assert after["decided_by"] == "system"

    detail = client.get(created["links"]["self"], headers=auth(moderator)).get_json()
    assert detail["text"] == "You are a pathetic idiot."
    revisions = detail["revisions"]
    assert [(r["revision"], r["text"]) for r in revisions] == [
        (1, comment_body()["comment"]), (2, "You are a pathetic idiot.")]
    assert [v["decision"] for v in revisions[0]["verdicts"]] == ["approved"]
    assert [v["decision"] for v in revisions[1]["verdicts"]] == ["rejected"]
    assert revisions[0]["superseded_at"] is not None and revisions[1]["superseded_at"] is None
    with app.extensions["db"].session() as session:
        assert session.scalars(select(Verdict.revision).where(
            Verdict.comment_id == created["id"]).order_by(Verdict.id)).all() == [1, 2]
        actions = session.scalars(select(AuditEvent.action)).all()
    assert "comment.edit" in actions


def test_editing_a_comment_a_moderator_decided_keeps_the_decision_in_history(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    moderator = make_key(app, "moderator", name="mona")
    created = _post(client, site_token, comment_body()).get_json()
    _moderate(app, created["id"])
    decided = client.post(f"/v1/comments/{created['id']}/decision", headers=auth(moderator),
                          json={"decision": "rejected", "reason": "off topic"})
    assert decided.status_code == 200
    assert client.get(created["links"]["self"],
                      headers=auth(site_token)).get_json()["decided_by"] == "moderator"

    client.put(created["links"]["self"], headers=auth(site_token), json={"comment": "On topic now."})
    _moderate(app, created["id"])
    now = client.get(created["links"]["self"], headers=auth(moderator)).get_json()
    assert (now["status"], now["decided_by"], now["revision"]) == ("approved", "system", 2)
    assert [(d["decision"], d["revision"]) for d in now["decisions"]] == [("rejected", 1)]
    assert now["revisions"][0]["decisions"][0]["moderator"] == "mona"
    # The new revision needs a decision of its own, and gets one without override.
    again = client.post(f"/v1/comments/{created['id']}/decision", headers=auth(moderator),
                        json={"decision": "approved"})
    assert again.status_code == 200 and again.get_json()["decision"]["revision"] == 2


def test_sending_the_current_text_again_changes_nothing(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    created = _post(client, site_token, comment_body()).get_json()
    enqueued.clear()
    same = client.put(created["links"]["self"], headers=auth(site_token),
                      json={"comment": comment_body()["comment"]})
    assert same.status_code == 200 and same.get_json()["revision"] == 1
    assert enqueued == [] and _count(app, CommentRevision) == 0


def test_an_edit_against_an_old_revision_is_a_409(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    created = _post(client, site_token, comment_body()).get_json()
    url = created["links"]["self"]
    assert client.put(url, headers=auth(site_token),
                      json={"comment": "One.", "base_revision": 1}).status_code == 202
    late = client.put(url, headers=auth(site_token), json={"comment": "Two.", "base_revision": 1})
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "revision_conflict"


def test_edit_bodies_are_validated_field_by_field(
    app: Flask, client: FlaskClient, enqueued: list[Any]
) -> None:
    token = make_key(app, "site", make_site(app, "short", policy={"max_length": 20}))
    url = _post(client, token, comment_body(comment="Short.")).get_json()["links"]["self"]
    for body, field in (({}, "comment"), ({"comment": "   "}, "comment"),
                        ({"comment": "x" * 21}, "comment"), ({"comment": "ok", "extra": 1}, "extra"),
                        ({"comment": "ok", "title": ""}, "title"),
                        ({"comment": "ok", "base_revision": 0}, "base_revision")):
        response = client.put(url, headers=auth(token), json=body)
        assert response.status_code == 422, (body, response.get_data(as_text=True))
        assert field in {d["field"] for d in response.get_json()["error"]["details"]}


def test_a_site_edits_and_withdraws_only_its_own_comments(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    other = make_key(app, "site", make_site(app, "other"))
    url = _post(client, site_token, comment_body()).get_json()["links"]["self"]
    assert client.put(url, headers=auth(other), json={"comment": "Hijack."}).status_code == 404
    assert client.delete(url, headers=auth(other)).status_code == 404
    assert client.put("/v1/comments/999999", headers=auth(site_token),
                      json={"comment": "x"}).status_code == 404
    assert client.delete(url, headers=auth(make_key(app, "moderator"))).status_code == 403
    with app.extensions["db"].session() as session:
        comment = session.scalars(select(Comment)).one()
    assert (comment.revision, comment.status) == (1, "pending")


def test_a_worker_still_scoring_the_old_text_writes_no_verdict_for_it(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    created = _post(client, site_token, comment_body()).get_json()

    class EditWhileScoring(FakeClassifier):
        def predict(self, text: str) -> Any:  # the reader edits while the batch is scored
            client.put(created["links"]["self"], headers=auth(site_token),
                       json={"comment": "Edited mid-flight."})
            return super().predict(text)

    assert _moderate(app, created["id"], EditWhileScoring()) is None
    pending = client.get(created["links"]["self"], headers=auth(site_token)).get_json()
    assert (pending["status"], pending["revision"], pending["verdict"]) == ("pending", 2, None)
    assert _moderate(app, created["id"]) is not None  # the edit's own task
    done = client.get(created["links"]["self"], headers=auth(site_token)).get_json()
    assert done["status"] == "approved" and done["verdict"]["revision"] == 2
    assert _count(app, Verdict) == 1


# --- withdrawals ----------------------------------------------------------------------


def test_a_withdrawn_comment_leaves_the_queue_but_the_record_stays(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    moderator = make_key(app, "moderator")
    created = _post(client, site_token, comment_body()).get_json()
    _moderate(app, created["id"], FakeClassifier(scores={"abusive": 0.6}))
    queue = client.get("/v1/queue", headers=auth(moderator)).get_json()["items"]
    assert [c["id"] for c in queue] == [created["id"]]

    withdrawn = client.delete(created["links"]["self"], headers=auth(site_token))
    assert withdrawn.status_code == 200, withdrawn.get_data(as_text=True)
    assert withdrawn.get_json()["status"] == "withdrawn"
    assert withdrawn.get_json()["withdrawn_at"] is not None
    again = client.delete(created["links"]["self"], headers=auth(site_token))
    assert again.status_code == 200 and again.get_json() == withdrawn.get_json()

    assert client.get("/v1/queue", headers=auth(moderator)).get_json()["items"] == []
    assert client.get("/v1/comments", headers=auth(moderator)).get_json()["items"] == []
    asked = client.get("/v1/comments?status=withdrawn", headers=auth(moderator)).get_json()
    assert [c["id"] for c in asked["items"]] == [created["id"]]
    assert asked["items"][0]["withdrawn_at"] is not None
    with app.extensions["db"].session() as session:
        assert session.get(SenderDetails, created["id"]).email == "asha@example.com"  # type: ignore[union-attr]
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "comment.withdraw")).all()
    assert len(events) == 1 and events[0].before["status"] == "needs_review"
    edit = client.put(created["links"]["self"], headers=auth(site_token), json={"comment": "Back."})
    assert edit.status_code == 409 and edit.get_json()["error"]["code"] == "comment_withdrawn"


def test_a_comment_withdrawn_before_moderation_is_never_moderated(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    created = _post(client, site_token, comment_body()).get_json()
    client.delete(created["links"]["self"], headers=auth(site_token))
    assert _moderate(app, created["id"]) is None
    assert _count(app, Verdict) == 0
    body = client.get(created["links"]["self"], headers=auth(site_token)).get_json()
    assert (body["status"], body["decided_by"]) == ("withdrawn", None)


def test_a_withdrawn_comment_cant_be_decided(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "withdraw-decide")
    key = make_key(app, "site", site)
    moderator = make_key(app, "moderator")
    created = client.post("/v1/comments", json=comment_body(), headers=auth(key))
    comment_id = created.get_json()["id"]
    assert client.delete(f"/v1/comments/{comment_id}", headers=auth(key)).status_code == 200
    for override in (False, True):
        answer = client.post(f"/v1/comments/{comment_id}/decision", headers=auth(moderator),
                             json={"decision": "approved", "override": override})
        assert answer.status_code == 409 and answer.get_json()["error"]["code"] == "comment_withdrawn"
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment_id).status == "withdrawn"  # old main: "approved"


def test_a_decision_on_a_revision_the_site_has_since_edited_is_a_409(
    app: Flask, client: FlaskClient, site_token: str, enqueued: list[Any]
) -> None:
    """A moderator who read revision 1 must not approve revision 2 unread."""
    moderator = make_key(app, "moderator", name="mona")
    created = _post(client, site_token, comment_body()).get_json()
    _moderate(app, created["id"], ABUSIVE)
    client.put(created["links"]["self"], headers=auth(site_token), json={"comment": "Edited text."})
    _moderate(app, created["id"], ABUSIVE)
    url = f"/v1/comments/{created['id']}/decision"
    late = client.post(url, headers=auth(moderator), json={"decision": "approved", "revision": 1})
    assert late.status_code == 409
    error = late.get_json()["error"]
    assert error["code"] == "revision_conflict" and "now revision 2" in error["message"]
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, created["id"])
        assert (comment.status, comment.decided_at) == ("rejected", None)  # nothing changed
    current = client.post(url, headers=auth(moderator), json={"decision": "approved", "revision": 2})
    assert current.status_code == 200 and current.get_json()["decision"]["revision"] == 2
    bad = client.post(url, headers=auth(moderator), json={"decision": "approved", "revision": 0})
    assert bad.status_code == 422
