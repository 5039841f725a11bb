"""``/v1/bans``: ban a sender, list bans, lift a ban (moderators, within their sites)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response, schema_ref
from moderation.api.params import ID_SCHEMA, MAX_INT, QueryParams
from moderation.api.schemas import DATE_WINDOW_MESSAGE, date_in_window, errors_to_details, parse_json_body
from moderation.api.scope import in_range, may_see_site, site_filter, visible_site
from moderation.errors import not_found, validation_error
from moderation.services import bans as service
from moderation.store import Ban

bp = Blueprint("bans", __name__, url_prefix="/v1")


class BanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["pseudonym", "ip", "email"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    reason: Annotated[str, StringConstraints(max_length=500)] = ""
    site_id: Annotated[int, Field(ge=1, le=MAX_INT, strict=False)]
    expires_at: Annotated[str, StringConstraints(max_length=64)] | None = None
    expires_in_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    #: Ban an IP network wider than MODERATION_BAN_MIN_PREFIX_IPV4 / _IPV6 anyway.
    force: bool = False


def _expiry(payload: BanIn) -> datetime | None:
    if payload.expires_in_days is not None and payload.expires_at is not None:
        raise validation_error([{"field": "expires_in_days", "code": "conflict",
                                 "message": "Give expires_at or expires_in_days, not both."}])
    if payload.expires_in_days is not None:
        return datetime.now(UTC) + timedelta(days=payload.expires_in_days)
    if payload.expires_at is None:
        return None
    try:
        when = datetime.fromisoformat(payload.expires_at.replace("Z", "+00:00"))
    except ValueError:
        raise validation_error([{"field": "expires_at", "code": "invalid_datetime",
                                 "message": "Must be an ISO 8601 date-time."}]) from None
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    if not date_in_window(when):
        raise validation_error([{"field": "expires_at", "code": "out_of_range",
                                 "message": DATE_WINDOW_MESSAGE}])
    return when


@bp.post("/bans")
@require_role("moderator")
def create_ban() -> tuple[dict[str, Any], int]:
    try:
        payload = BanIn.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None
    site_id = payload.site_id
    expires_at = _expiry(payload)
    visible_site(site_id)
    limits = service.PrefixLimits(ipv4=settings().ban_min_prefix_ipv4, ipv6=settings().ban_min_prefix_ipv6)
    try:
        ban = service.create_ban(db_session(), site_id=site_id, kind=payload.kind, value=payload.value,
                                 reason=payload.reason, expires_at=expires_at, actor=current_actor(),
                                 request_id=request_id(), prefix_limits=limits, force=payload.force)
    except service.InvalidBan as exc:
        raise validation_error([{"field": exc.field, "code": exc.code,
                                 "message": f"Value {exc}"}]) from None
    return service.ban_record(ban), 201


@bp.get("/bans")
@require_role("moderator", "admin")
def list_bans() -> dict[str, Any]:
    params = QueryParams(("site_id", "active"))
    site_id = params.integer("site_id")
    active = params.boolean("active", True)
    params.done()
    bans = service.list_bans(db_session(), site_ids=site_filter(site_id), active_only=active)
    return {"items": [service.ban_record(ban) for ban in bans]}


@bp.delete("/bans/<int:ban_id>")
@require_role("moderator")
def lift_ban(ban_id: int) -> dict[str, Any]:
    session = db_session()
    ban = session.get(Ban, ban_id) if in_range(ban_id) else None
    if ban is None or not may_see_site(ban.site_id):
        raise not_found("ban")
    ban = service.lift_ban(session, ban, actor=current_actor(), request_id=request_id())
    return service.ban_record(ban)


OPENAPI_MODELS = (BanIn,)
_BAN = {"type": "object"}
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/bans": {
        "post": {
            "summary": "Ban a sender by pseudonym, IP/CIDR or email on a site (role: moderator)",
            "requestBody": {"required": True,
                            "content": {"application/json": {"schema": schema_ref(BanIn)}}},
            "responses": {"201": json_response("The ban", _BAN),
                          **error_responses(*AUTHENTICATED_ERRORS, 404, 413, 422)},
        },
        "get": {
            "summary": "List bans, active ones by default (roles: moderator, admin)",
            "parameters": [
                {"name": "site_id", "in": "query", "required": False,
                 "schema": ID_SCHEMA},
                {"name": "active", "in": "query", "required": False, "schema": {"type": "boolean"}},
            ],
            "responses": {"200": json_response("Bans", {"type": "object"}),
                          **error_responses(*AUTHENTICATED_ERRORS, 404, 422)},
        },
    },
    "/v1/bans/{ban_id}": {"delete": {
        "summary": "Lift a ban (role: moderator)",
        "parameters": [{"name": "ban_id", "in": "path", "required": True,
                        "schema": ID_SCHEMA}],
        "responses": {"200": json_response("The lifted ban", _BAN),
                      **error_responses(*AUTHENTICATED_ERRORS, 404)},
    }},
}
