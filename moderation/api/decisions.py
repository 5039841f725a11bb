"""``POST /v1/comments/<id>/decision`` and ``POST /v1/decisions`` (bulk), role moderator."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id
from moderation.api.operations import Out, documented, respond
from moderation.api.params import MAX_INT
from moderation.api.presenters import decision_body
from moderation.api.schemas import errors_to_details, parse_json_body
from moderation.errors import ApiError, not_found, validation_error
from moderation.services import decisions as service

bp = Blueprint("decisions", __name__, url_prefix="/v1")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DecisionIn(_Strict):
    decision: Literal["approved", "rejected"]
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""
    override: bool = False


class SingleDecisionIn(DecisionIn):
    #: the revision the moderator read; if the site edited the comment since, a 409
    #: ``revision_conflict`` instead of a decision on text nobody has read
    revision: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None


class BulkDecisionIn(DecisionIn):
    ids: list[Annotated[int, Field(ge=1, le=MAX_INT, strict=False)]] = Field(
        min_length=1, max_length=service.MAX_BULK)


def _parse(model: type[DecisionIn]) -> Any:
    try:
        return model.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None


class DecisionOut(Out):
    id: int
    comment_id: int
    decision: Literal["approved", "rejected"]
    reason: str
    #: the moderator's display name when they decided
    moderator: str
    #: the moderator's stable id (``user:3``, ``key:7``); None on decisions recorded before ids were kept
    moderator_id: str | None
    override: bool
    decided_at: str | None
    #: the comment revision decided on (edits add revisions)
    revision: int


class ErrorItemOut(Out):
    code: str
    message: str


class DecisionResultOut(Out):
    id: int
    result: Literal["decided", "conflict", "not_found"]
    status: str | None = None
    decision: DecisionOut | None = None
    previous_decision: str | None = None
    error: ErrorItemOut | None = None


class BulkCountsOut(Out):
    decided: int
    conflict: int
    not_found: int


class BulkResultOut(Out):
    results: list[DecisionResultOut]
    counts: BulkCountsOut


def _result_body(result: service.DecisionResult) -> DecisionResultOut:
    if result.outcome == "decided":
        assert result.decision is not None
        return DecisionResultOut(id=result.comment_id, result="decided", status=result.status,
                                 decision=DecisionOut.model_validate(decision_body(result.decision)))
    if result.outcome == "conflict":
        return DecisionResultOut(
            id=result.comment_id, result="conflict", status=result.status,
            previous_decision=result.previous,
            error=ErrorItemOut(code="already_decided",
                               message="Already decided; send override: true to replace it."))
    return DecisionResultOut(id=result.comment_id, result="not_found",
                             error=ErrorItemOut(code="not_found", message="No such comment."))


@bp.post("/comments/<int:comment_id>/decision")
@documented("Approve or reject a comment (role: moderator); 409 if already decided",
            body=SingleDecisionIn, response=DecisionResultOut, description="The decision was recorded",
            errors=(404, 409, 413, 422))
@require_role("moderator")
def decide_one(comment_id: int) -> Response:
    session = db_session()
    service.visible_comment(session, comment_id, current_actor())  # 404 before judging the body
    payload = _parse(SingleDecisionIn)
    result = service.decide(session, comment_id=comment_id, decision=payload.decision,
                            reason=payload.reason, override=payload.override, actor=current_actor(),
                            request_id=request_id(), revision=payload.revision)
    if result.outcome == "not_found":
        raise not_found("comment")
    if result.outcome == "conflict" and result.stale_revision is not None:
        raise ApiError(409, "revision_conflict",
                       f"Comment {comment_id} was edited since revision {payload.revision} "
                       f"(now revision {result.stale_revision}); read it again before deciding.")
    if result.outcome == "conflict" and result.status == "withdrawn":
        raise ApiError(409, "comment_withdrawn",
                       f"Comment {comment_id} was withdrawn by its site; it can't be decided.")
    if result.outcome == "conflict":
        raise ApiError(409, "already_decided",
                       f"Comment {comment_id} was already decided ({result.previous}); "
                       "send override: true to replace that decision.")
    return respond(_result_body(result))


@bp.post("/decisions")
@documented("Decide many comments at once, with a result per id (role: moderator)",
            body=BulkDecisionIn, response=BulkResultOut, description="Per-id results",
            errors=(413, 422))
@require_role("moderator")
def decide_bulk() -> Response:
    payload = _parse(BulkDecisionIn)
    results = service.decide_many(db_session(), comment_ids=payload.ids, decision=payload.decision,
                                  reason=payload.reason, override=payload.override,
                                  actor=current_actor(),
                                  request_id=request_id())
    bodies = [_result_body(r) for r in results]
    counts = BulkCountsOut(**{name: sum(1 for b in bodies if b.result == name)
                              for name in ("decided", "conflict", "not_found")})
    return respond(BulkResultOut(results=bodies, counts=counts))
