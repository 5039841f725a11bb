"""Coral Talk's external moderation phase: Coral's signed request, answered within Coral's
response schema, and the comment recorded like any other (SQLite and PostgreSQL).

The request is built exactly as Coral's ``external.ts`` builds it
(``JSON.stringify(request, null, 2)``, signed by ``generateSignatures``: one
``sha256=<hex HMAC-SHA256 of the body>`` per active secret, comma-separated).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from moderation.senders import pseudonym
from moderation.store import (
    AuditEvent,
    Comment,
    CommentRevision,
    CoralSecret,
    IntegrationComment,
    SenderDetails,
    Verdict,
)
from moderation.store.base import utcnow
from tests.support.factories import auth, make_key, make_site

SECRET = "empsec_6a1f0c2e9b7d4a3c8e5f1b2d7c9a0e4f"
ROTATED = "empsec_0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"
OTHER_SITE_SECRET = "empsec_ffeeddccbbaa99887766554433221100"

# --- Coral's response schema, written out from its Joi schema (external.ts) -----------------
#: COMMENT_STATUS (GraphQL enum)
COMMENT_STATUS = {"NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"}
#: the flag reasons an external phase may send (of COMMENT_FLAG_DETECTED_REASON)
FLAG_REASONS = {"COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"}
#: TAG values a phase may add
TAGS = {"FEATURED", "STAFF"}
#: REJECTION_REASON_CODE (GraphQL enum)
REJECTION_CODES = {"OFFENSIVE", "ABUSIVE", "SPAM", "BANNED_WORD", "AD", "ILLEGAL_CONTENT",
                   "HARASSMENT_BULLYING", "MISINFORMATION", "HATE_SPEECH", "IRRELEVANT_CONTENT",
                   "OTHER"}


def assert_coral_schema(status_code: int, raw: bytes) -> dict[str, Any]:
    """Coral's rules for a phase's answer, stricter where Coral would only strip:

    - 204, an empty body or ``{}``: no decision (Coral continues with its other phases);
    - otherwise a JSON object with only ``status``, ``moderationAction``, ``actions``, ``tags``;
    - ``status``: one of COMMENT_STATUS;
    - ``actions``: a list of ``{actionType: "FLAG", reason: TOXIC|SPAM}``, both required,
      nothing else in them;
    - ``tags``: a list of FEATURED/STAFF;
    - ``moderationAction``: ``{status (required, COMMENT_STATUS), rejectionReason?: {code
      (required, REJECTION_REASON_CODE)}}``; a rejection reason only with REJECTED.
    """
    assert status_code in (200, 204), status_code
    if status_code == 204 or raw in (b"", b"{}"):
        assert status_code == 204 or raw == b"{}"
        return {}
    answer = json.loads(raw)
    assert isinstance(answer, dict)
    assert set(answer) <= {"status", "moderationAction", "actions", "tags"}, answer
    if "status" in answer:
        assert answer["status"] in COMMENT_STATUS
    for action in answer.get("actions", []):
        assert set(action) == {"actionType", "reason"}, action
        assert action["actionType"] == "FLAG" and action["reason"] in FLAG_REASONS
    assert isinstance(answer.get("actions", []), list) and isinstance(answer.get("tags", []), list)
    assert set(answer.get("tags", [])) <= TAGS
    if "moderationAction" in answer:
        moderation_action = answer["moderationAction"]
        assert set(moderation_action) <= {"status", "rejectionReason"}, moderation_action
        assert moderation_action["status"] in COMMENT_STATUS
        if "rejectionReason" in moderation_action:
            assert moderation_action["status"] == "REJECTED"
            assert set(moderation_action["rejectionReason"]) == {"code"}
            assert moderation_action["rejectionReason"]["code"] in REJECTION_CODES
        if "status" in answer:
            assert answer["status"] == moderation_action["status"]
    return answer


def test_the_schema_rules_refuse_what_coral_refuses() -> None:
    """The validator above can fail: each of these is outside Coral's schema."""
    for bad in ({"status": "approved"}, {"status": "fail"}, {"tags": ["NOT_REAL"]},
                {"actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_NOT_REAL"}]},
                {"actions": [{"actionType": "ALSO_NOT_REAL", "reason": "COMMENT_DETECTED_SPAM"}]},
                {"actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC", "x": 1}]},
                {"moderationAction": {"status": "REJECTED", "rejectionReason": {"code": "RUDE"}}},
                {"verdict": "rejected"}):
        with pytest.raises(AssertionError):
            assert_coral_schema(200, json.dumps(bad).encode())


# --- building Coral's request -----------------------------------------------------------------

def coral_request(body: str = "<p>Thanks for the clear report on the council budget.</p>", *,
                  action: str = "NEW", author: str = "5e3c1a2b-author", story: str = "story-42",
                  parent: str | None = None, role: str = "COMMENTER") -> dict[str, Any]:
    return {
        "action": action,
        "comment": {"body": body, "parentID": parent},
        "author": {"id": author, "role": role},
        "story": {"id": story, "url": f"https://news.example.com/{story}"},
        "site": {"id": "coral-site-1"},
        "tenantID": "tenant-9",
        "tenantDomain": "comments.news.example.com",
    }


def coral_bytes(request: dict[str, Any]) -> bytes:
    """``JSON.stringify(request, null, 2)``."""
    return json.dumps(request, indent=2, ensure_ascii=False).encode()


def signature(body: bytes, *secrets: str) -> str:
    return ",".join("sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)


def post(client: FlaskClient, site_id: int, body: bytes, header: str | None) -> Any:
    headers = {"Content-Type": "application/json"}
    if header is not None:
        headers["X-Coral-Signature"] = header
    return client.post(f"/v1/integrations/coral/{site_id}", data=body, headers=headers)


def send(client: FlaskClient, site_id: int, request: dict[str, Any], *secrets: str) -> Any:
    body = coral_bytes(request)
    return post(client, site_id, body, signature(body, *(secrets or (SECRET,))))


def add_secret(client: FlaskClient, admin: str, site_id: int, secret: str, **extra: Any) -> Any:
    return client.post(f"/v1/sites/{site_id}/coral/secrets", json={"secret": secret, **extra},
                       headers=auth(admin))


@pytest.fixture
def admin(app: Flask) -> str:
    return make_key(app, "admin")


@pytest.fixture
def site_id(app: Flask, client: FlaskClient, admin: str) -> int:
    site = make_site(app, "coral-news")
    assert add_secret(client, admin, site, SECRET).status_code == 201
    return site


def _stored(app: Flask, comment_id: int) -> tuple[Comment, IntegrationComment, SenderDetails, list[Verdict]]:
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, comment_id)
        origin = session.get(IntegrationComment, comment_id)
        details = session.get(SenderDetails, comment_id)
        verdicts = list(session.scalars(select(Verdict).where(Verdict.comment_id == comment_id)))
        assert comment is not None and origin is not None and details is not None
        return comment, origin, details, verdicts


def _events(app: Flask, action: str) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _count(app: Flask, model: type[Any]) -> int:
    with app.extensions["db"].session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# --- signatures ----------------------------------------------------------------------------------

def test_a_clean_comment_exactly_as_coral_sends_it_is_no_objection_and_recorded(
    app: Flask, client: FlaskClient, site_id: int
) -> None:
    request = coral_request("<p>Thanks for the clear report on the <b>council</b> budget.</p>"
                            "<p>Rural clinics &amp; schools deserve it.</p>")
    body = coral_bytes(request)
    assert body.startswith(b'{\n  "action": "NEW",\n  "comment": {\n    "body": ')
    answer = post(client, site_id, body, signature(body, SECRET))
    assert answer.status_code == 204, answer.get_data()
    assert_coral_schema(answer.status_code, answer.get_data())
    comment_id = int(answer.headers["Moderation-Comment-Id"])
    comment, origin, details, verdicts = _stored(app, comment_id)
    assert comment.status == "approved" and comment.site_id == site_id
    # paragraphs become a blank line, inline markup goes, entities are decoded
    assert comment.text == ("Thanks for the clear report on the council budget.\n\n"
                            "Rural clinics & schools deserve it.")
    assert comment.article_id == "story-42" and comment.article_url == "https://news.example.com/story-42"
    assert comment.sender_pseudonym == pseudonym(app.extensions["settings"].pseudonym_key, site_id,
                                                 "coral:5e3c1a2b-author")
    assert (origin.source, origin.author_id, origin.author_role, origin.story_id, origin.last_action) == (
        "coral", "5e3c1a2b-author", "COMMENTER", "story-42", "NEW")
    assert origin.context["tenant_id"] == "tenant-9"
    assert origin.context["tenant_domain"] == "comments.news.example.com"
    assert origin.ip_provided is False  # Coral sends no IP address
    assert (details.ip, details.email, details.name) == (None, None, None)
    assert [v.decision for v in verdicts] == ["approved"] and verdicts[0].revision == 1


def test_a_rotated_second_secret_verifies(app: Flask, client: FlaskClient, site_id: int,
                                          admin: str) -> None:
    request = coral_request()
    body = coral_bytes(request)
    # Coral mid-rotation signs with the old and the new secret; only the new one is known here
    assert post(client, site_id, body, signature(body, ROTATED, SECRET)).status_code == 204
    assert add_secret(client, admin, site_id, ROTATED).status_code == 201
    assert post(client, site_id, body, signature(body, ROTATED)).status_code == 204
    assert post(client, site_id, body, signature(body, SECRET)).status_code == 204


@pytest.mark.parametrize("case", ["bad", "missing", "malformed", "tampered", "whitespace", "compact"])
def test_a_request_that_isnt_signed_for_its_exact_bytes_is_401_and_audited(
    app: Flask, client: FlaskClient, site_id: int, case: str
) -> None:
    body = coral_bytes(coral_request())
    good = signature(body, SECRET)
    sent, header = {
        "bad": (body, signature(body, "empsec_not-the-secret-of-this-site")),
        "missing": (body, None),
        "malformed": (body, "sha1=" + "0" * 40),
        "tampered": (body.replace(b"Thanks", b"Thinks"), good),
        "whitespace": (body.replace(b'"action": "NEW"', b'"action":  "NEW"', 1), good),
        "compact": (json.dumps(coral_request(), separators=(",", ":")).encode(), good),
    }[case]
    assert len(sent) - len(body) in (0, 1) or case == "compact"
    answer = post(client, site_id, sent, header)
    assert answer.status_code == 401
    error = answer.get_json()["error"]
    assert error["code"] == "invalid_signature" and error["message"]
    assert _count(app, Comment) == 0
    events = _events(app, "coral.signature.rejected")
    assert len(events) == 1 and events[0].site_id == site_id
    problem = {"missing": "missing", "malformed": "malformed"}.get(case, "mismatch")
    assert events[0].after["problem"] == problem


def test_a_flood_of_unsigned_requests_is_429_before_the_signature_is_checked(
    app: Flask, client: FlaskClient, site_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderation.services import coral_secrets
    from moderation.store import Site

    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        site.policy = {**(site.policy or {}), "rate_limits": {"per_key": "3/minute"}}
        session.commit()
    checked: list[int] = []
    real = coral_secrets.active_secrets

    def counting(*args: Any, **kwargs: Any) -> Any:  # the real lookup, counted
        checked.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(coral_secrets, "active_secrets", counting)
    body = coral_bytes(coral_request())
    flood = [client.post(f"/v1/integrations/coral/{site_id}", data=body,
                         headers={"Content-Type": "application/json"},
                         environ_base={"REMOTE_ADDR": "198.51.100.66"}) for _ in range(6)]
    assert [r.status_code for r in flood] == [401, 401, 401, 429, 429, 429]
    assert flood[-1].get_json()["error"]["code"] == "rate_limited"
    assert int(flood[-1].headers["Retry-After"]) >= 1
    # the refused ones never reached the secrets (decryption) or the audit log
    assert len(checked) == 3
    assert len(_events(app, "coral.signature.rejected")) == 3
    # Coral's own server, at another address, still has its budget
    answer = client.post(f"/v1/integrations/coral/{site_id}", data=body,
                         headers={"Content-Type": "application/json",
                                  "X-Coral-Signature": signature(body, SECRET)},
                         environ_base={"REMOTE_ADDR": "203.0.113.200"})
    assert answer.status_code == 204


def test_another_sites_secret_fails_here(app: Flask, client: FlaskClient, site_id: int,
                                         admin: str) -> None:
    other = make_site(app, "other-news")
    assert add_secret(client, admin, other, OTHER_SITE_SECRET).status_code == 201
    request = coral_request()
    assert send(client, site_id, request, OTHER_SITE_SECRET).status_code == 401
    assert send(client, other, request, SECRET).status_code == 401
    assert send(client, other, request, OTHER_SITE_SECRET).status_code == 204
    # a secret row moved to another site doesn't decrypt there either (bound to its site)
    with app.extensions["db"].session() as session:
        row = session.scalars(select(CoralSecret).where(CoralSecret.site_id == other)).one()
        row.site_id = site_id
        session.query(CoralSecret).filter(CoralSecret.site_id == site_id,
                                          CoralSecret.id != row.id).delete()
        session.commit()
    assert send(client, site_id, request, OTHER_SITE_SECRET).status_code == 401


def test_revoked_and_expired_secrets_stop_verifying(app: Flask, client: FlaskClient, site_id: int,
                                                    admin: str) -> None:
    listed = client.get(f"/v1/sites/{site_id}/coral/secrets", headers=auth(admin)).get_json()
    secret_id = listed["items"][0]["id"]
    assert client.delete(f"/v1/sites/{site_id}/coral/secrets/{secret_id}",
                         headers=auth(admin)).status_code == 200
    assert send(client, site_id, coral_request(), SECRET).status_code == 401
    added = add_secret(client, admin, site_id, ROTATED,
                       expires_at=(utcnow() + timedelta(hours=1)).isoformat()).get_json()
    assert send(client, site_id, coral_request(), ROTATED).status_code == 204
    with app.extensions["db"].session() as session:
        row = session.get(CoralSecret, added["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    answer = send(client, site_id, coral_request(), ROTATED)
    assert answer.status_code == 401
    assert answer.get_json()["error"]["message"].startswith("This site has no active Coral signing secret")


# --- decisions and their answers ------------------------------------------------------------------

def rejected(code: str) -> dict[str, Any]:
    reason = {"code": code}
    return {"status": "REJECTED", "moderationAction": {"status": "REJECTED", "rejectionReason": reason}}


SPAM = ("Buy cheap pills now!!! Visit http://cheap-pills.example.com http://cheap-pills.example.com/buy "
        "http://x.example.com best prices CLICK HERE")


@pytest.mark.parametrize(("text", "policy", "expected"), [
    ("You are a pathetic idiot and everyone here hates you.", {},
     rejected("ABUSIVE")),
    ("I will kill you and your family, watch your back.", {},
     rejected("ABUSIVE")),
    ("Call me on my mail john.doe@example.com any time.", {},
     rejected("OTHER")),
    ("The zorblax committee met again today.", {"blocklists": {"words": [{"term": "zorblax"}]}},
     rejected("BANNED_WORD")),
    (SPAM, {"thresholds": {"spam": {"review": 0.2, "reject": 0.4}}},
     rejected("SPAM")),
    ("This is a bit dumb honestly.", {},
     {"status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"},
      "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_TOXIC"}]}),
    (SPAM, {},
     {"status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"},
      "actions": [{"actionType": "FLAG", "reason": "COMMENT_DETECTED_SPAM"}]}),
    # a language the model can't read is withheld for a person, and flagged as nothing it isn't
    ("मुझे यह लेख बहुत पसंद आया, धन्यवाद", {},
     {"status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"}}),
    # ... unless a language-independent rule rejects it (the multilingual threat check)
    ("मैं तुम्हें जान से मार दूंगा", {}, rejected("ABUSIVE")),
])
def test_each_decision_is_answered_in_coral_terms_and_recorded(
    app: Flask, client: FlaskClient, admin: str, text: str, policy: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    site = make_site(app, "mapped", policy)
    assert add_secret(client, admin, site, SECRET).status_code == 201
    answer = send(client, site, coral_request(f"<p>{text}</p>"))
    assert answer.status_code == 200, answer.get_data()
    assert assert_coral_schema(200, answer.get_data()) == expected
    comment, _origin, _details, verdicts = _stored(app, int(answer.headers["Moderation-Comment-Id"]))
    decision = "rejected" if expected["status"] == "REJECTED" else "needs_review"
    assert comment.status == decision and [v.decision for v in verdicts] == [decision]
    assert comment.text == text and comment.scores is not None


def test_a_withheld_comment_is_in_the_moderators_queue(app: Flask, client: FlaskClient,
                                                        site_id: int) -> None:
    answer = send(client, site_id, coral_request("This is a bit dumb honestly."))
    comment_id = int(answer.headers["Moderation-Comment-Id"])
    moderator = make_key(app, "moderator")
    queue = client.get(f"/v1/queue?site_id={site_id}", headers=auth(moderator)).get_json()
    assert [item["id"] for item in queue["items"]] == [comment_id]
    assert queue["items"][0]["status"] == "needs_review"


def test_an_edit_is_a_new_revision_of_the_authors_comment(app: Flask, client: FlaskClient,
                                                           site_id: int) -> None:
    first = send(client, site_id, coral_request("Thanks for the clear report.", parent="c-1"))
    comment_id = int(first.headers["Moderation-Comment-Id"])
    # another author's comment in the same thread is not the one edited
    send(client, site_id, coral_request("A fair point.", parent="c-1", author="someone-else"))
    edited = send(client, site_id, coral_request("You are a pathetic idiot and everyone here hates you.",
                                                 action="EDIT", parent="c-1"))
    assert assert_coral_schema(edited.status_code, edited.get_data())["status"] == "REJECTED"
    assert int(edited.headers["Moderation-Comment-Id"]) == comment_id
    comment, origin, _details, verdicts = _stored(app, comment_id)
    assert comment.revision == 2 and comment.status == "rejected"
    assert origin.last_action == "EDIT"
    assert [(v.revision, v.decision) for v in verdicts] == [(1, "approved"), (2, "rejected")]
    with app.extensions["db"].session() as session:
        old = session.scalars(select(CommentRevision).where(CommentRevision.comment_id == comment_id)).one()
        assert old.text == "Thanks for the clear report."
    assert _events(app, "comment.edit")[0].actor == "system:coral"
    # an EDIT that matches no comment of the author is still recorded, as its own comment
    stray = send(client, site_id, coral_request("Thanks again.", action="EDIT", author="new-author"))
    assert stray.status_code == 204
    assert int(stray.headers["Moderation-Comment-Id"]) not in (comment_id,)
    assert _count(app, Comment) == 3


def test_a_body_that_isnt_corals_request_is_422(client: FlaskClient, site_id: int) -> None:
    for request in ({"action": "NEW", "comment": {"body": "hi"}},
                    {**coral_request(), "action": "DELETE"},
                    {**coral_request(), "author": {"id": 17, "role": "COMMENTER"}},
                    {**coral_request(), "comment": {"body": "<p> </p>", "parentID": None}},
                    {**coral_request(), "comment": {"body": "nul \u0000 here", "parentID": None}}):
        answer = send(client, site_id, request)
        assert answer.status_code == 422, (request, answer.get_data())
        error = answer.get_json()["error"]
        assert error["code"] == "validation_error" and error.get("details")
    body = b"{not json"
    answer = post(client, site_id, body, signature(body, SECRET))
    assert answer.status_code == 422 and answer.get_json()["error"]["details"][0]["code"] == "invalid_json"


def test_an_unknown_site_is_404(client: FlaskClient, site_id: int) -> None:
    assert send(client, site_id + 1000, coral_request()).status_code == 404


def test_without_a_classifier_the_comment_is_withheld_and_left_for_the_workers(
    app: Flask, client: FlaskClient, site_id: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("MODERATION_MODEL_PATH", str(tmp_path / "no-such-model"))
    answer = send(client, site_id, coral_request("Thanks for the clear report."))
    assert assert_coral_schema(answer.status_code, answer.get_data()) == {
        "status": "SYSTEM_WITHHELD", "moderationAction": {"status": "SYSTEM_WITHHELD"}}
    comment, _origin, _details, verdicts = _stored(app, int(answer.headers["Moderation-Comment-Id"]))
    assert comment.status == "pending" and verdicts == []


def test_the_verdict_goes_to_the_webhook_outbox_like_the_workers(database_url: str, redis_url: str) -> None:
    from moderation import create_app
    from moderation.store import WebhookEvent

    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789",
                      "webhook_allowed_networks": "127.0.0.0/8,::1/128"})
    client = app.test_client()
    admin = make_key(app, "admin")
    site_id = make_site(app, "hooked")
    assert add_secret(client, admin, site_id, SECRET).status_code == 201
    created = client.post(f"/v1/sites/{site_id}/webhooks", headers=auth(admin),
                          json={"url": "http://127.0.0.1:9/hooks", "event_types": ["comment.moderated"]})
    assert created.status_code == 201, created.get_data()
    answer = send(client, site_id, coral_request("You are a pathetic idiot and everyone here hates you."))
    comment_id = int(answer.headers["Moderation-Comment-Id"])
    with app.extensions["db"].session() as session:
        events = list(session.scalars(select(WebhookEvent).where(WebhookEvent.type == "comment.moderated")))
    assert [(e.subject, e.data["status"]) for e in events] == [(f"comment:{comment_id}", "rejected")]
    app.extensions["db"].dispose()
