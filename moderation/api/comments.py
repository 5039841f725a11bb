"""``POST /v1/comments`` (intake), ``GET /v1/comments/<id>`` (status and verdict),
``PUT`` (an edit: a new revision, moderated again), ``DELETE`` (a withdrawal), and
the site keys' change feed behind ``GET /v1/comments`` (routed in ``review.py``)."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from flask import Blueprint, Response, current_app, request, url_for
from pydantic import Field, StringConstraints, ValidationError, ValidationInfo, field_validator

from moderation.api import answers
from moderation.api.auth import current_actor, current_key, require_role
from moderation.api.comment_models import (
    ChangedAnsweredOut,
    ChangedOut,
    CommentAcceptedOut,
    CommentAnsweredOut,
    CommentOut,
    CommentStatusOut,
    ModeratorCommentStatusOut,
    VerdictOut,
)
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import Query, documented, respond
from moderation.api.params import MAX_INT, QueryParams
from moderation.api.prefer import MAX_WAIT_SECONDS
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
from moderation.services.review import latest_verdicts
from moderation.services.revisions import edit_comment, revision_history
from moderation.services.settled import Settled
from moderation.services.withdrawals import withdraw_comment
from moderation.store import Comment, Site

bp = Blueprint("comments", __name__, url_prefix="/v1")


def comment_link(comment_id: int) -> str:
    return url_for("comments.get_comment", comment_id=comment_id)


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


#: ``Prefer: wait=N`` (RFC 7240), as intake and edits document it.
PREFER_WAIT = Query(
    "Prefer", {"type": "string", "maxLength": 1000},
    f"wait=N: answer within N seconds (at most {MAX_WAIT_SECONDS}, counted from the request) with "
    "the verdict, status 200 and Preference-Applied: wait=N; when the time runs out, the usual "
    "answer. Other preferences, and a wait that isn't whole seconds, are ignored (RFC 7240).",
    location="header")


def _verdict_of(state: Settled) -> VerdictOut | None:
    return VerdictOut.model_validate(verdict_body(state.verdict)) if state.verdict else None


def _answered(state: Settled) -> CommentAnsweredOut:
    return CommentAnsweredOut.model_validate(
        {**comment_summary(state.comment.id, state.comment.status), "verdict": _verdict_of(state)})


@bp.post("/comments")
@documented("Submit a reader's comment for moderation (role: site)",
            body=CommentIn, response=CommentAcceptedOut, status=202,
            description="Accepted and committed; moderation is queued",
            other_responses={200: ("A retry (same body): the original comment; with Prefer: wait, "
                                   "the comment with its verdict (Preference-Applied: wait=N)",
                                   CommentAnsweredOut)},
            query=(Query("Idempotency-Key", {"type": "string", "minLength": 1, "maxLength": 200},
                         location="header"), PREFER_WAIT),
            errors=(409, 422))
@require_role("site", key_limit=False)
def create_comment() -> Response:
    wait = answers.requested()
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
    body = CommentAcceptedOut.model_validate(comment_summary(submission.comment_id, submission.status))
    headers = {"Location": body.links.self}
    if not submission.created:
        headers["Idempotent-Replayed"] = "true"
    # a new comment the broker didn't take waits for the sweeper: not worth waiting for
    if wait is not None and (submission.enqueued or not submission.created):
        answer = answers.when_settled(wait, submission.comment_id, _answered)
        if answer is not None:
            return respond(answer, 200, {**headers, **wait.applied})
    return respond(body, 202 if submission.created else 200, headers)


@bp.get("/comments/<int:comment_id>")
@documented("A comment's status and verdict (site: own comments only)", response=CommentOut,
            description="The comment and its latest verdict", errors=(404,))
@require_role("site", "moderator", "admin")
def get_comment(comment_id: int) -> Response:
    comment = visible_comment(comment_id)
    body = comment_summary(comment.id, comment.status)
    verdict = latest_verdicts(db_session(), [comment.id]).get(comment.id)
    body.update(
        article_id=comment.article_id,
        external_id=comment.external_id,
        created_at=comment.created_at.isoformat(),
        verdict=verdict_body(verdict) if verdict is not None else None,
        **change_fields(comment),
    )
    if comment.status == "error":
        body["error"] = comment.error_reason
    if current_key().role == "site":
        answer = CommentOut(CommentStatusOut.model_validate(body))
    else:
        answer = CommentOut(ModeratorCommentStatusOut.model_validate(
            {**body, **moderator_details(db_session(), comment)}))
    # ``error`` is sent only for a comment in error: the unset default stays out of the answer
    return respond(answer, exclude_unset=True)


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


def _changed_body(comment: Comment) -> ChangedOut:
    body = comment_summary(comment.id, comment.status)
    body.update(change_fields(comment))
    return ChangedOut.model_validate(body)


def _changed_answer(state: Settled) -> ChangedAnsweredOut:
    body = comment_summary(state.comment.id, state.comment.status)
    body.update(change_fields(state.comment), verdict=_verdict_of(state))
    return ChangedAnsweredOut.model_validate(body)


@bp.put("/comments/<int:comment_id>")
@documented("Edit a comment: a new revision, moderated again (role: site, own comments)",
            body=CommentEditIn, response=ChangedOut, status=202,
            description="A new revision was stored; moderation is queued",
            other_responses={200: ("Same text as the current revision: nothing changed; with "
                                   "Prefer: wait, the current revision's verdict "
                                   "(Preference-Applied: wait=N)", ChangedAnsweredOut)},
            query=(PREFER_WAIT,), errors=(404, 409, 413, 422))
@require_role("site")
def edit_view(comment_id: int) -> Response:
    wait = answers.requested()
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
    headers = {"Location": body.links.self}
    # an edit the broker didn't take waits for the sweeper: not worth waiting for
    if wait is not None and (result.enqueued or not result.changed):
        answer = answers.when_settled(wait, comment_id, _changed_answer)
        if answer is not None:
            return respond(answer, 200, {**headers, **wait.applied})
    return respond(body, 202 if result.changed else 200, headers)


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
    params = QueryParams(("updated_after", "cursor", "limit", "site_id"))
    # a site key sees its own site only: naming it is allowed, naming another is a 404
    named_site = params.integer("site_id")
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
    site = _site_of_key()
    if named_site is not None and named_site != site.id:
        raise not_found("site")
    page = change_feed.changes(db_session(), site_id=site.id, cursor=cursor,
                               updated_after=updated_after, limit=limit)
    return {"items": [site_comment(c) for c in page.comments], "next_cursor": page.next_cursor,
            "has_more": page.has_more}


#: The site keys' side of ``GET /v1/comments`` (review.py adds them to its operation).
FEED_QUERY: tuple[Query, ...] = (
    Query("updated_after", {"type": "string", "format": "date-time"},
          "Site keys only: start a first sync at comments changed after this time "
          "(then pass next_cursor back as cursor)"),
)
FEED_PARAMETERS: list[dict[str, Any]] = [query.render() for query in FEED_QUERY]
