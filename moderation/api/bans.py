"""``/v1/bans``: ban a sender, list bans, lift a ban (moderators, within their sites)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import ID_SCHEMA, Out, Query, documented, respond
from moderation.api.params import MAX_INT, QueryParams
from moderation.api.schemas import DATE_WINDOW_MESSAGE, date_in_window, errors_to_details, parse_json_body
from moderation.api.scope import site_filter, visible_site
from moderation.errors import validation_error
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


class BanOut(Out):
    id: int
    site_id: int
    kind: Literal["pseudonym", "ip", "email"]
    #: what the ban matches, as a moderator may see it (an email masked, one IP address with
    #: its host part hidden, a network as written)
    value: str
    #: how many IP addresses an IP ban covers (None for other kinds)
    addresses: int | None
    reason: str
    created_by: str
    created_by_id: str | None
    created_at: str
    expires_at: str | None
    lifted_at: str | None


class BanListOut(Out):
    items: list[BanOut]


def _out(ban: Ban) -> BanOut:
    return BanOut.model_validate(service.ban_record(ban))


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
@documented("Ban a sender by pseudonym, IP/CIDR or email on a site (role: moderator)", body=BanIn,
            response=BanOut, status=201, description="The ban", errors=(404, 413, 422))
@require_role("moderator")
def create_ban() -> Response:
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
    return respond(_out(ban), 201)


@bp.get("/bans")
@documented("List bans, active ones by default (roles: moderator, admin)", response=BanListOut,
            description="Bans", errors=(404, 422),
            query=(Query("site_id", ID_SCHEMA), Query("active", {"type": "boolean"})))
@require_role("moderator", "admin")
def list_bans() -> Response:
    params = QueryParams(("site_id", "active"))
    site_id = params.integer("site_id")
    active = params.boolean("active", True)
    params.done()
    bans = service.list_bans(db_session(), site_ids=site_filter(site_id), active_only=active)
    return respond(BanListOut(items=[_out(ban) for ban in bans]))


@bp.delete("/bans/<int:ban_id>")
@documented("Lift a ban (role: moderator)", response=BanOut, description="The lifted ban",
            errors=(404,))
@require_role("moderator")
def lift_ban(ban_id: int) -> Response:
    session = db_session()
    ban = service.visible_ban(session, ban_id, current_actor())
    ban = service.lift_ban(session, ban, actor=current_actor(), request_id=request_id())
    return respond(_out(ban))
