"""Admin API: sites and their policies, API keys. Role ``admin`` (never site-scoped)."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation import keys as key_store
from moderation.api.auth import current_actor, forget_cached_keys, require_role
from moderation.api.context import db_session, request_id
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response, schema_ref
from moderation.api.params import ID_SCHEMA, MAX_INT, QueryParams
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


def site_body(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "policy_version": site.policy_version,
            "policy": policies.effective_policy(site), "overrides": site.policy or {},
            "created_at": site.created_at.isoformat()}


def _site(site_id: int) -> Site:
    site = db_session().get(Site, site_id) if in_range(site_id) else None
    if site is None:
        raise not_found("site")
    return site


@bp.get("/sites")
@require_role("admin")
def list_sites() -> dict[str, Any]:
    return {"items": [site_body(site) for site in sites.list_sites(db_session())]}


@bp.post("/sites")
@require_role("admin")
def create_site() -> tuple[dict[str, Any], int]:
    payload = _body(SiteIn)
    try:
        site = sites.create_site(db_session(), payload.name, payload.policy, actor=current_actor(),
                                 request_id=request_id())
    except ValidationError as exc:
        raise _policy_error(exc) from None
    except sites.SiteExists as exc:
        raise ApiError(409, "conflict", str(exc)) from None
    return site_body(site), 201


@bp.get("/sites/<int:site_id>")
@require_role("admin")
def get_site(site_id: int) -> dict[str, Any]:
    return site_body(_site(site_id))


@bp.get("/sites/<int:site_id>/policy")
@require_role("admin")
def get_policy(site_id: int) -> dict[str, Any]:
    site = _site(site_id)
    return {"site_id": site.id, "policy_version": site.policy_version,
            "policy": policies.effective_policy(site), "overrides": site.policy or {}}


@bp.put("/sites/<int:site_id>/policy")
@require_role("admin")
def put_policy(site_id: int) -> dict[str, Any]:
    site = _site(site_id)
    data = parse_json_body(request.get_data())
    try:
        site = policies.set_policy(db_session(), site, data, actor=current_actor(),
                                   request_id=request_id())
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc), "The policy is invalid.") from None
    forget_cached_keys()  # the key cache holds sites' policies too
    return {"site_id": site.id, "policy_version": site.policy_version,
            "policy": policies.effective_policy(site), "overrides": site.policy or {}}


@bp.get("/keys")
@require_role("admin")
def list_keys() -> dict[str, Any]:
    params = QueryParams(("site_id", "include_revoked"))
    site_id = params.integer("site_id")
    include_revoked = params.boolean("include_revoked", True)
    params.done()
    keys = api_keys.list_keys(db_session(), site_id=site_id, include_revoked=include_revoked)
    return {"items": [api_keys.key_record(key) for key in keys]}


@bp.post("/keys")
@require_role("admin")
def create_key() -> tuple[dict[str, Any], int]:
    payload = _body(KeyIn)
    site = _site(payload.site_id) if payload.site_id is not None else None
    try:
        key, token = api_keys.create_key(db_session(), role=payload.role, site=site, name=payload.name,
                                         actor=current_actor(), request_id=request_id())
    except key_store.KeyRequestError as exc:
        raise validation_error([{"field": "site_id", "code": "invalid", "message": str(exc)}]) from None
    return {**api_keys.key_record(key), "token": token}, 201


@bp.delete("/keys/<int:key_id>")
@require_role("admin")
def revoke_key(key_id: int) -> dict[str, Any]:
    session = db_session()
    key = session.get(ApiKey, key_id) if in_range(key_id) else None
    if key is None:
        raise not_found("key")
    key = api_keys.revoke_key(session, key, actor=current_actor(), request_id=request_id())
    forget_cached_keys()  # at once here; other processes within MODERATION_KEY_CACHE_SECONDS
    return api_keys.key_record(key)


def _path_id(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": ID_SCHEMA}


_OBJ = {"type": "object"}
_ERR = error_responses(*AUTHENTICATED_ERRORS, 404)
OPENAPI_MODELS = (SiteIn, KeyIn, PolicyIn)
OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/sites": {
        "get": {"summary": "List sites (role: admin)",
                "responses": {"200": json_response("Sites", _OBJ), **_ERR}},
        "post": {"summary": "Create a site, optionally with a policy (role: admin)",
                 "requestBody": {"required": True,
                                 "content": {"application/json": {"schema": schema_ref(SiteIn)}}},
                 "responses": {"201": json_response("The site", _OBJ),
                               **error_responses(*AUTHENTICATED_ERRORS, 409, 413, 422)}},
    },
    "/v1/sites/{site_id}": {"get": {
        "summary": "A site with its effective policy (role: admin)", "parameters": [_path_id("site_id")],
        "responses": {"200": json_response("The site", _OBJ), **_ERR}}},
    "/v1/sites/{site_id}/policy": {
        "get": {"summary": "A site's policy and version (role: admin)",
                "parameters": [_path_id("site_id")],
                "responses": {"200": json_response("The policy", _OBJ), **_ERR}},
        "put": {"summary": "Replace a site's policy; bumps policy_version (role: admin)",
                "parameters": [_path_id("site_id")],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": schema_ref(PolicyIn)}}},
                "responses": {"200": json_response("The new policy", _OBJ),
                              **error_responses(*AUTHENTICATED_ERRORS, 404, 413, 422)}},
    },
    "/v1/keys": {
        "get": {"summary": "List API keys, never their tokens (role: admin)",
                "parameters": [{"name": "site_id", "in": "query", "required": False,
                                "schema": ID_SCHEMA},
                               {"name": "include_revoked", "in": "query", "required": False,
                                "schema": {"type": "boolean"}}],
                "responses": {"200": json_response("Keys", _OBJ),
                              **error_responses(*AUTHENTICATED_ERRORS, 422)}},
        "post": {"summary": "Create an API key; the token is in this answer only (role: admin)",
                 "requestBody": {"required": True,
                                 "content": {"application/json": {"schema": schema_ref(KeyIn)}}},
                 "responses": {"201": json_response("The key and its token", _OBJ),
                               **error_responses(*AUTHENTICATED_ERRORS, 404, 413, 422)}},
    },
    "/v1/keys/{key_id}": {"delete": {
        "summary": "Revoke an API key (role: admin)", "parameters": [_path_id("key_id")],
        "responses": {"200": json_response("The revoked key", _OBJ), **_ERR}}},
}
