"""Admin API: sites and their policies, API keys. Role ``admin`` (never site-scoped)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, ValidationError

from moderation import keys as key_store
from moderation.api.auth import current_actor, forget_cached_keys, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import ID_SCHEMA, Out, Query, documented, respond
from moderation.api.params import MAX_INT, QueryParams
from moderation.api.schemas import errors_to_details, parse_json_body
from moderation.api.scope import in_range
from moderation.domain.errors import Invalid
from moderation.errors import ApiError, not_found, validation_error
from moderation.services import api_keys, policies, sites
from moderation.services.policies import PolicyIn
from moderation.store import ApiKey, Site

bp = Blueprint("admin", __name__, url_prefix="/v1")


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    policy: dict[str, Any] | None = None


class SiteSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    #: moderators who act on this site must use a second factor (TOTP) in the console
    moderator_totp_required: bool


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    role: Annotated[str, StringConstraints(pattern="^(site|moderator|compliance|admin)$")]
    site_id: Annotated[int, Field(ge=1, le=MAX_INT, strict=False)] | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None


def _body(model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None


def _policy_error(exc: ValidationError) -> Invalid:
    return validation_error([{**d, "field": "policy." + d["field"] if d["field"] != "body" else "policy"}
                             for d in errors_to_details(exc)], "The policy is invalid.")


class ThresholdsOut(Out):
    review: float
    #: None: this category never rejects on its score alone
    reject: float | None


class WordOut(Out):
    term: str
    action: Literal["reject", "review", "none"]


class BlocklistsOut(Out):
    ips: list[str]
    emails: list[str]
    email_domains: list[str]
    disposable_domains: bool
    words: list[WordOut]


class EffectivePolicyOut(Out):
    """The policy the workers apply: the site's overrides over the model's and the defaults."""

    max_length: int
    mode: Literal["post", "pre"]
    clean_below: float
    #: a comment in a language the model doesn't cover goes to ``review``, or to the ``classifier``
    unsupported_languages: Literal["review", "classifier"]
    thresholds: dict[str, ThresholdsOut]
    blocklists: BlocklistsOut
    #: ``per_key`` / ``per_sender_ip`` → a rate such as ``100/minute``; None: no limit
    rate_limits: dict[str, str | None]


class SiteOut(Out):
    id: int
    name: str
    policy_version: int
    policy: EffectivePolicyOut
    #: the site's stored overrides, as sent
    overrides: dict[str, Any]
    #: moderators who act on this site must use a second factor (TOTP) in the console
    moderator_totp_required: bool
    created_at: str


class SiteListOut(Out):
    items: list[SiteOut]


class PolicyOut(Out):
    site_id: int
    policy_version: int
    model_version: str
    policy: EffectivePolicyOut
    overrides: dict[str, Any]


class PolicyPatchIn(RootModel[dict[str, Any]]):
    """A JSON merge patch (RFC 7396) of the policy overrides: left out keeps, null removes."""


class KeyOut(Out):
    id: int
    name: str | None
    role: str
    site_id: int | None
    token_prefix: str
    created_at: str | None
    last_used_at: str | None
    revoked_at: str | None


class KeyListOut(Out):
    items: list[KeyOut]


class KeyCreatedOut(KeyOut):
    #: the secret, shown in this answer only
    token: str


def site_body(site: Site) -> SiteOut:
    return SiteOut(id=site.id, name=site.name, policy_version=site.policy_version,
                   policy=EffectivePolicyOut.model_validate(policies.effective_policy(site, settings())),
                   overrides=site.policy or {}, moderator_totp_required=site.moderator_totp_required,
                   created_at=site.created_at.isoformat())


def _site(site_id: int) -> Site:
    site = db_session().get(Site, site_id) if in_range(site_id) else None
    if site is None:
        raise not_found("site")
    return site


@bp.get("/sites")
@documented("List sites (role: admin)", response=SiteListOut, description="Sites")
@require_role("admin")
def list_sites() -> Response:
    return respond(SiteListOut(items=[site_body(site) for site in sites.list_sites(db_session())]))


@bp.post("/sites")
@documented("Create a site, optionally with a policy (role: admin)", body=SiteIn, response=SiteOut,
            status=201, description="The site", errors=(409, 413, 422))
@require_role("admin")
def create_site() -> Response:
    payload = _body(SiteIn)
    try:
        site = sites.create_site(db_session(), payload.name, payload.policy, actor=current_actor(),
                                 request_id=request_id())
    except ValidationError as exc:
        raise _policy_error(exc) from None
    except sites.SiteExists as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return respond(site_body(site), status=201)


@bp.get("/sites/<int:site_id>")
@documented("A site with its effective policy (role: admin)", response=SiteOut, description="The site",
            errors=(404,))
@require_role("admin")
def get_site(site_id: int) -> Response:
    return respond(site_body(_site(site_id)))


@bp.patch("/sites/<int:site_id>")
@documented("Change a site's settings: moderator_totp_required (role: admin)", body=SiteSettingsIn,
            response=SiteOut, description="The site", errors=(404, 413, 422))
@require_role("admin")
def patch_site(site_id: int) -> Response:
    site = _site(site_id)
    payload = _body(SiteSettingsIn)
    sites.set_moderator_totp_required(db_session(), site, payload.moderator_totp_required,
                                      actor=current_actor(), request_id=request_id())
    return respond(site_body(site))


def _policy_answer(site: Site) -> Response:
    return respond(PolicyOut.model_validate(policies.policy_record(site, settings())),
                   headers={"ETag": policies.etag(site.policy_version)})


def _if_match() -> frozenset[int] | None:
    """The policy versions ``If-Match`` names; None when it is absent or ``*``."""
    header = request.if_match
    if not header or header.star_tag:
        return None
    # Strong comparison (RFC 9110): weak tags never match; neither does a tag that isn't a
    # version, nor an empty one ('""', which Werkzeug parses as None).
    return frozenset(int(tag) for tag in header.as_set()
                     if tag and tag.isascii() and tag.isdigit())


_IF_MATCH = Query("If-Match", {"type": "string"},
                  'The policy version the change is based on, as its ETag ("3"); another version is a 412',
                  location="header")


@bp.get("/sites/<int:site_id>/policy")
@documented("A site's effective policy (the thresholds the workers apply), its overrides and version; "
            "ETag: the version (role: admin)", response=PolicyOut, description="The policy",
            errors=(404,))
@require_role("admin")
def get_policy(site_id: int) -> Response:
    return _policy_answer(_site(site_id))


@bp.put("/sites/<int:site_id>/policy")
@documented("Replace a site's policy overrides; bumps policy_version (role: admin)", body=PolicyIn,
            query=(_IF_MATCH,), response=PolicyOut, description="The new policy",
            errors=(404, 412, 413, 422))
@require_role("admin")
def put_policy(site_id: int) -> Response:
    site = _site(site_id)
    data = parse_json_body(request.get_data())
    site = policies.set_policy(db_session(), site, data, actor=current_actor(),
                               request_id=request_id(), if_match=_if_match(),
                               thresholds=policies.model_thresholds(settings()).thresholds)
    forget_cached_keys()  # the key cache holds sites' policies too
    return _policy_answer(site)


@bp.patch("/sites/<int:site_id>/policy")
@documented("Change part of a site's policy overrides (JSON merge patch, RFC 7396: left out keeps, "
            "null removes); bumps policy_version (role: admin)", body=PolicyPatchIn,
            body_media_types=("application/merge-patch+json", "application/json"), query=(_IF_MATCH,),
            response=PolicyOut, description="The new policy", errors=(404, 412, 413, 422))
@require_role("admin")
def patch_policy(site_id: int) -> Response:
    site = _site(site_id)
    patch = parse_json_body(request.get_data())
    site = policies.patch_policy(db_session(), site, patch, actor=current_actor(),
                                 request_id=request_id(), if_match=_if_match(),
                                 thresholds=policies.model_thresholds(settings()).thresholds)
    forget_cached_keys()
    return _policy_answer(site)


@bp.get("/keys")
@documented("List API keys, never their tokens (role: admin)", response=KeyListOut, description="Keys",
            query=(Query("site_id", ID_SCHEMA), Query("include_revoked", {"type": "boolean"})),
            errors=(422,))
@require_role("admin")
def list_keys() -> Response:
    params = QueryParams(("site_id", "include_revoked"))
    site_id = params.integer("site_id")
    include_revoked = params.boolean("include_revoked", True)
    params.done()
    keys = api_keys.list_keys(db_session(), site_id=site_id, include_revoked=include_revoked)
    return respond(KeyListOut(items=[KeyOut.model_validate(api_keys.key_record(key)) for key in keys]))


@bp.post("/keys")
@documented("Create an API key; the token is in this answer only (role: admin)", body=KeyIn,
            response=KeyCreatedOut, status=201, description="The key and its token",
            errors=(404, 413, 422))
@require_role("admin")
def create_key() -> Response:
    payload = _body(KeyIn)
    if payload.role == "site" and payload.site_id is None:
        raise validation_error([{"field": "site_id", "code": "missing",
                                 "message": "A site key needs the site_id of the site it submits for."}])
    if payload.role == "admin" and payload.site_id is not None:
        raise validation_error([{"field": "site_id", "code": "not_allowed",
                                 "message": "Admin keys are not bound to a site; omit site_id."}])
    site = _site(payload.site_id) if payload.site_id is not None else None
    try:
        key, token = api_keys.create_key(db_session(), role=payload.role, site=site, name=payload.name,
                                         actor=current_actor(), request_id=request_id())
    except key_store.KeyRequestError as exc:
        raise validation_error([{"field": "site_id", "code": "invalid", "message": str(exc)}]) from None
    return respond(KeyCreatedOut.model_validate({**api_keys.key_record(key), "token": token}), status=201)


@bp.delete("/keys/<int:key_id>")
@documented("Revoke an API key (role: admin)", response=KeyOut, description="The revoked key",
            errors=(404,))
@require_role("admin")
def revoke_key(key_id: int) -> Response:
    session = db_session()
    key = session.get(ApiKey, key_id) if in_range(key_id) else None
    if key is None:
        raise not_found("key")
    key = api_keys.revoke_key(session, key, actor=current_actor(), request_id=request_id())
    forget_cached_keys()  # at once here; other processes within MODERATION_KEY_CACHE_SECONDS
    return respond(KeyOut.model_validate(api_keys.key_record(key)))
