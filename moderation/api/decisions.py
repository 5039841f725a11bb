"""``POST /v1/comments/<id>/decision`` and ``POST /v1/decisions`` (bulk), role moderator."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response, schema_ref
from moderation.api.params import ID_SCHEMA, MAX_INT
from moderation.api.presenters import decision_body
from moderation.api.schemas import errors_to_details, parse_json_body
from moderation.api.scope import in_range, may_see_comment
from moderation.errors import ApiError, not_found, validation_error
from moderation.services import decisions as service
from moderation.store import Comment

bp = Blueprint("decisions", __name__, url_prefix="/v1")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class DecisionIn(_Strict):
    decision: Literal["approved", "rejected"]
    reason: Annotated[str, StringConstraints(max_length=1000)] = ""
    override: bool = False


class BulkDecisionIn(DecisionIn):
    ids: list[Annotated[int, Field(ge=1, le=MAX_INT, strict=False)]] = Field(
        min_length=1, max_length=service.MAX_BULK)


def _parse(model: type[DecisionIn]) -> Any:
    try:
        return model.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None


def _result_body(result: service.DecisionResult) -> dict[str, Any]:
    body: dict[str, Any] = {"id": result.comment_id}
    if result.outcome == "decided":
        assert result.decision is not None
        body.update(result="decided", status=result.status, decision=decision_body(result.decision))
    elif result.outcome == "conflict":
        body.update(result="conflict", status=result.status, previous_decision=result.previous,
                    error={"code": "already_decided",
                           "message": "Already decided; send override: true to replace it."})
    else:
        body.update(result="not_found", error={"code": "not_found", "message": "No such comment."})
    return body


@bp.post("/comments/<int:comment_id>/decision")
@require_role("moderator")
def decide_one(comment_id: int) -> dict[str, Any]:
    session = db_session()
    comment = session.get(Comment, comment_id) if in_range(comment_id) else None
    if comment is None or not may_see_comment(comment):  # 404 before validating the body
        raise not_found("comment")
    payload = _parse(DecisionIn)
    result = service.decide(session, comment_id=comment_id, decision=payload.decision,
                            reason=payload.reason, override=payload.override, actor=current_actor(),
                            visible=may_see_comment, request_id=request_id())
    if result.outcome == "not_found":
        raise not_found("comment")
    if result.outcome == "conflict":
        raise ApiError(409, "already_decided",
                       f"Comment {comment_id} was already decided ({result.previous}); "
                       "send override: true to replace that decision.")
    return _result_body(result)


@bp.post("/decisions")
@require_role("moderator")
def decide_bulk() -> dict[str, Any]:
    payload = _parse(BulkDecisionIn)
    results = service.decide_many(db_session(), comment_ids=payload.ids, decision=payload.decision,
                                  reason=payload.reason, override=payload.override,
                                  actor=current_actor(), visible=may_see_comment,
                                  request_id=request_id())
    bodies = [_result_body(r) for r in results]
    counts = {name: sum(1 for b in bodies if b["result"] == name)
              for name in ("decided", "conflict", "not_found")}
    return {"results": bodies, "counts": counts}


_ID = {"name": "comment_id", "in": "path", "required": True, "schema": ID_SCHEMA}
OPENAPI_MODELS = (DecisionIn, BulkDecisionIn)
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/comments/{comment_id}/decision": {"post": {
        "summary": "Approve or reject a comment (role: moderator); 409 if already decided",
        "parameters": [_ID],
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": schema_ref(DecisionIn)}}},
        "responses": {"200": json_response("The decision was recorded", {"type": "object"}),
                      **error_responses(*AUTHENTICATED_ERRORS, 404, 409, 413, 422)},
    }},
    "/v1/decisions": {"post": {
        "summary": "Decide many comments at once, with a result per id (role: moderator)",
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": schema_ref(BulkDecisionIn)}}},
        "responses": {"200": json_response("Per-id results", {"type": "object"}),
                      **error_responses(*AUTHENTICATED_ERRORS, 413, 422)},
    }},
}
