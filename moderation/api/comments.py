"""``POST /v1/comments`` (intake), ``GET /v1/comments/<id>`` (status and verdict),
``PUT`` (an edit: a new revision, moderated again), ``DELETE`` (a withdrawal), and
the site keys' change feed behind ``GET /v1/comments`` (routed in ``review.py``)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, current_app, request, url_for
from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator
from sqlalchemy import select

from moderation.api.auth import current_actor, current_key, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.openapi import (
    AUTHENTICATED_ERRORS,
    error_responses,
    json_response,
    schema_ref,
)
from moderation.api.operations import Out, documented, respond
from moderation.api.params import MAX_INT, QueryParams
from moderation.api.presenters import change_fields, revision_body, site_comment, verdict_body
from moderation.api.ratelimit import enforce_intake_limits, enforce_key_limit
from moderation.api.schemas import (
    CommentIn,
    RequiredText,
    Strict,
    errors_to_details,
    parse_comment,
    parse_idempotency_key,
    parse_json_body,
)
from moderation.domain.errors import DomainError
from moderation.errors import ApiError, not_found, validation_error
from moderation.pipeline.structure import DEFAULT_MAX_LENGTH, char_count
from moderation.queue import enqueue_moderation
from moderation.services import change_feed, policies
from moderation.services.intake import submit_comment
from moderation.services.revisions import edit_comment, revision_history
from moderation.services.withdrawals import withdraw_comment
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
    comment = db_session().get(Comment, comment_id) if 0 < comment_id <= MAX_INT else None
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
        **change_fields(comment),
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
        "revisions": [revision_body(r) for r in revision_history(session, comment)],
    }


class CommentEditIn(Strict):
    """A reader's edit: the new text, and the title if that changed too."""

    comment: Annotated[RequiredText, Field(json_schema_extra={"maxLength": DEFAULT_MAX_LENGTH})]
    title: Annotated[RequiredText, StringConstraints(max_length=300)] | None = None
    #: The revision the reader edited; a 409 if another edit came first.
    base_revision: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None

    @field_validator("comment")
    @classmethod
    def _within_length(cls, value: str, info: ValidationInfo) -> str:
        limit = (info.context or {}).get("max_length", DEFAULT_MAX_LENGTH)
        count = char_count(value)
        if count > limit:
            raise ValueError(f"has {count} characters; the limit is {limit}")
        return value


def _site_of_key() -> Site:
    site = db_session().get(Site, current_key().site_id)
    if site is None:
        raise ApiError(403, "forbidden", "This key is not bound to a site.")
    return site


class LinksOut(Out):
    self_: str = Field(alias="self")


class ChangedOut(Out):
    """A comment's state after an edit or a withdrawal."""

    id: int
    status: Literal["pending", "approved", "rejected", "needs_review", "error", "withdrawn"]
    links: LinksOut
    #: the current revision (1, then one more per edit)
    revision: int
    #: who set the current revision's status; None: not moderated yet
    decided_by: Literal["system", "moderator"] | None
    updated_at: str
    withdrawn_at: str | None


def _changed_body(comment: Comment) -> ChangedOut:
    body = comment_summary(comment.id, comment.status)
    body.update(change_fields(comment))
    return ChangedOut.model_validate(body)


@bp.put("/comments/<int:comment_id>")
@documented("Edit a comment: a new revision, moderated again (role: site, own comments)",
            body=CommentEditIn, response=ChangedOut, status=202,
            description="A new revision was stored; moderation is queued",
            other_responses={200: ("Same text as the current revision: nothing changed",
                                   ChangedOut)},
            errors=(404, 409, 413, 422))
@require_role("site")
def edit_view(comment_id: int) -> Response:
    visible_comment(comment_id)  # 404 before validating the body
    site = _site_of_key()
    max_length = int((site.policy or {}).get("max_length", settings().max_comment_length))
    try:
        payload = CommentEditIn.model_validate(parse_json_body(request.get_data(cache=False)),
                                               context={"max_length": max_length})
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None
    result = edit_comment(db_session(), comment_id=comment_id, actor=current_actor(),
                          text=payload.comment, title=payload.title,
                          base_revision=payload.base_revision, request_id=request_id(),
                          enqueue=enqueue_moderation(current_app))
    body = _changed_body(result.comment)
    return respond(body, 202 if result.changed else 200, {"Location": body.links.self_})


@bp.delete("/comments/<int:comment_id>")
@documented("Withdraw a comment: it leaves the queue, the record stays (role: site, own comments)",
            response=ChangedOut, description="Withdrawn (also when it already was)", errors=(404,))
@require_role("site")
def withdraw_view(comment_id: int) -> Response:
    result = withdraw_comment(db_session(), comment_id=comment_id,
                              actor=current_actor(), request_id=request_id())
    return respond(_changed_body(result.comment))


def site_changes() -> dict[str, Any]:
    """``GET /v1/comments`` for a site key: its comments in change order (the feed)."""
    params = QueryParams(("updated_after", "cursor", "limit"))
    updated_after = params.timestamp("updated_after")
    cursor = params.text("cursor", 500)
    limit = params.integer("limit", maximum=change_feed.MAX_LIMIT,
                           default=change_feed.DEFAULT_LIMIT) or change_feed.DEFAULT_LIMIT
    if updated_after is not None:
        try:
            updated_after = updated_after.astimezone(UTC)
        except OverflowError:
            params.details.append({"field": "query.updated_after", "code": "out_of_range",
                                   "message": "Must be a date-time this API can store."})
    params.done()
    page = change_feed.changes(db_session(), site_id=_site_of_key().id, cursor=cursor,
                               updated_after=updated_after, limit=limit)
    return {"items": [site_comment(c) for c in page.comments], "next_cursor": page.next_cursor,
            "has_more": page.has_more}


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
        "revision": {"type": "integer", "minimum": 1},
    },
}
STATUS_ENUM = ["pending", "approved", "rejected", "needs_review", "error", "withdrawn"]
SUMMARY_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "links"],
    "properties": {
        "id": {"type": "integer"},
        "status": {"type": "string", "enum": STATUS_ENUM},
        "links": {"type": "object", "properties": {"self": {"type": "string"}}},
    },
}
NULLABLE_TIME = {"type": ["string", "null"], "format": "date-time"}
CHANGE_PROPERTIES: dict[str, Any] = {
    "revision": {"type": "integer", "minimum": 1,
                 "description": "The current revision (1, then one more per edit)"},
    "decided_by": {"type": ["string", "null"], "enum": ["system", "moderator", None],
                   "description": "Who set the current revision's status; null: not yet"},
    "updated_at": {"type": "string", "format": "date-time"},
    "withdrawn_at": NULLABLE_TIME,
}
FEED_ITEM_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "article_id", "links", *CHANGE_PROPERTIES],
    "properties": {
        **SUMMARY_SCHEMA["properties"],  # type: ignore[dict-item]
        **CHANGE_PROPERTIES,
        "external_id": {"type": ["string", "null"]},
        "article_id": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "moderated_at": NULLABLE_TIME,
        "decided_at": NULLABLE_TIME,
    },
}
FEED_SCHEMA = {
    "type": "object",
    "required": ["items", "next_cursor", "has_more"],
    "properties": {"items": {"type": "array", "items": FEED_ITEM_SCHEMA},
                   "next_cursor": {"type": "string"}, "has_more": {"type": "boolean"}},
}
COMMENT_SCHEMA = {
    "type": "object",
    "required": ["id", "status", "links", "article_id", "created_at", "verdict", *CHANGE_PROPERTIES],
    "properties": {
        **SUMMARY_SCHEMA["properties"],  # type: ignore[dict-item]
        **CHANGE_PROPERTIES,
        "article_id": {"type": "string"},
        "external_id": {"type": ["string", "null"]},
        "created_at": {"type": "string", "format": "date-time"},
        "error": {"type": ["string", "null"]},
        "verdict": {"oneOf": [VERDICT_SCHEMA, {"type": "null"}]},
    },
}


OPENAPI_MODELS = (CommentIn,)
#: The site keys' side of ``GET /v1/comments`` (merged into review.py's operation).
FEED_PARAMETERS: list[dict[str, Any]] = [
    {"name": "updated_after", "in": "query", "required": False,
     "schema": {"type": "string", "format": "date-time"},
     "description": "Site keys only: start a first sync at comments changed after this time "
                    "(then pass next_cursor back as cursor)"},
]
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/comments": {"post": {
        "summary": "Submit a reader's comment for moderation (role: site)",
        "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": schema_ref(CommentIn)}}},
        "responses": {
            "202": json_response("Accepted and committed; moderation is queued", SUMMARY_SCHEMA),
            "200": json_response("A retry (same body): the original comment", SUMMARY_SCHEMA),
            **error_responses(*AUTHENTICATED_ERRORS, 409, 422),
        },
    }},
    "/v1/comments/{comment_id}": {
        "get": {
            "summary": "A comment's status and verdict (site: own comments only)",
            "parameters": [{"name": "comment_id", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 0}}],
            "responses": {
                "200": json_response("The comment and its latest verdict", COMMENT_SCHEMA),
                **error_responses(*AUTHENTICATED_ERRORS, 404),
            },
        },
    },
}
