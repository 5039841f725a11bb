"""``POST /v1/comments`` (intake) and ``GET /v1/comments/<id>`` (status and verdict)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from sqlalchemy import select

from moderation.api.auth import current_key, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.openapi import (
    AUTHENTICATED_ERRORS,
    error_responses,
    json_response,
    schema_ref,
)
from moderation.api.presenters import verdict_body
from moderation.api.ratelimit import enforce_intake_limits, enforce_key_limit
from moderation.api.schemas import CommentIn, parse_comment, parse_idempotency_key
from moderation.domain.errors import DomainError
from moderation.errors import ApiError, not_found
from moderation.queue import enqueue_moderation
from moderation.services import policies
from moderation.services.intake import submit_comment
from moderation.store import Comment, Site, Verdict

bp = Blueprint("comments", __name__, url_prefix="/v1")


def comment_link(comment_id: int) -> str:
    return url_for("comments.get_comment", comment_id=comment_id)


def latest_verdict(comment_id: int) -> Verdict | None:
    return db_session().scalars(
        select(Verdict).where(Verdict.comment_id == comment_id).order_by(Verdict.id.desc()).limit(1)
    ).first()


def comment_summary(comment_id: int, status: str) -> dict[str, Any]:
    return {
        "id": comment_id,
        "status": status,
        "links": {"self": comment_link(comment_id)},
    }


def visible_comment(comment_id: int) -> Comment:
    """The comment, if the caller's key may see it; 404 otherwise (tenant isolation)."""
    comment = db_session().get(Comment, comment_id)
    key = current_key()
    if comment is None or (key.site_id is not None and comment.site_id != key.site_id):
        raise not_found("comment")
    return comment


@bp.post("/comments")
@require_role("site", key_limit=False)
def create_comment() -> tuple[dict[str, Any], int, dict[str, str]]:
    key = current_key()
    session = db_session()
    site = session.get(Site, key.site_id)
    if site is None:
        raise ApiError(403, "forbidden", "This key is not bound to a site.")
    raw = request.get_data(cache=False)
    try:
        payload = parse_comment(raw, max_length=policies.length_limit(site, settings()))
    except DomainError:
        enforce_key_limit(key, site)  # a bad request still counts, and over the limit is a 429
        raise
    enforce_intake_limits(key, site, payload.sender.ip)
    idempotency_key = parse_idempotency_key(request.headers.get("Idempotency-Key"))
    submission = submit_comment(
        session,
        site=site,
        payload=payload,
        pseudonym_key=settings().pseudonym_key,
        submitted_from=request.remote_addr,
        idempotency_key=idempotency_key,
        request_id=request_id(),
        enqueue=enqueue_moderation(current_app),
    )
    body = comment_summary(submission.comment_id, submission.status)
    headers = {"Location": body["links"]["self"]}
    if not submission.created:
        headers["Idempotent-Replayed"] = "true"
        return body, 200, headers
    return body, 202, headers


@bp.get("/comments/<int:comment_id>")
@require_role("site", "moderator", "admin")
def get_comment(comment_id: int) -> dict[str, Any]:
    comment = visible_comment(comment_id)
    body = comment_summary(comment.id, comment.status)
    body.update(
        article_id=comment.article_id,
        external_id=comment.external_id,
        created_at=comment.created_at.isoformat(),
        verdict=None,
    )
    if comment.status == "error":
        body["error"] = comment.error_reason
    verdict = latest_verdict(comment.id)
    if verdict is not None:
        body["verdict"] = verdict_body(verdict)
    if current_key().role != "site":
        body.update(moderator_details(db_session(), comment))
    return body


def moderator_details(session: Any, comment: Comment) -> dict[str, Any]:
    """What moderators see besides the status: the text, the masked sender, the decisions."""
    from moderation.api.presenters import decision_body, masked_sender
    from moderation.services.decisions import history
    from moderation.services.review import sender_of

    ip, email = sender_of(session, comment.id)
    return {
        "site_id": comment.site_id,
        "title": comment.title,
        "text": comment.text,
        "sender": masked_sender(comment.sender_pseudonym, ip, email),
        "decisions": [decision_body(d) for d in history(session, comment.id)],
    }


SPAN_SCHEMA = {
    "type": "object",
    "required": ["start", "end", "category"],
    "properties": {"start": {"type": "integer", "minimum": 0},
                   "end": {"type": "integer", "minimum": 0},
                   "category": {"type": "string"}},
}
REASON_SCHEMA = {
    "type": "object",
    "required": ["code", "message", "spans"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                   "spans": {"type": "array", "items": SPAN_SCHEMA}},
}
VERDICT_SCHEMA = {
    "type": "object",
    "required": ["decision", "categories", "reasons", "spans", "model_version", "decided_at"],
    "properties": {
        "decision": {"type": "string", "enum": ["approved", "rejected", "needs_review"]},
        "categories": {"type": "object",
                       "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}},
        "reasons": {"type": "array", "items": REASON_SCHEMA},
        "spans": {"type": "array", "items": SPAN_SCHEMA},
        "model_version": {"type": "string"},
        "policy_version": {"type": "integer"},
        "decided_at": {"type": "string", "format": "date-time"},
    },
}
STATUS_ENUM = ["pending", "approved", "rejected", "needs_review", "error"]
SUMMARY_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "links"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": STATUS_ENUM},
        "links": {"type": "object", "properties": {"self": {"type": "string"}}},
    },
}
COMMENT_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "links", "article_id", "created_at", "verdict"],
    "properties": {
        **SUMMARY_SCHEMA["properties"],  # type: ignore[dict-item]
        "article_id": {"type": "string"},
        "external_id": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "error": {"type": ["string", "null"]},
        "verdict": {"oneOf": [VERDICT_SCHEMA, {"type": "null"}]},
    },
}


OPENAPI_MODELS = (CommentIn,)
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/comments": {"post": {
        "summary": "Submit a reader's comment for moderation (role: site)",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": schema_ref(CommentIn)}}},
        "responses": {
            "202": json_response("Accepted and committed; moderation is queued", SUMMARY_SCHEMA),
            "200": json_response("A retry: the original comment", SUMMARY_SCHEMA),
            **error_responses(*AUTHENTICATED_ERRORS, 422),
        },
    }},
    "/v1/comments/{comment_id}": {"get": {
        "summary": "A comment's status and verdict (site: own comments only)",
        "parameters": [{"name": "comment_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 0}}],
        "responses": {
            "200": json_response("The comment and its latest verdict", COMMENT_SCHEMA),
            **error_responses(*AUTHENTICATED_ERRORS, 404),
        },
    }},
}
