"""Admin API: sites and their policies, API keys. Role ``admin`` (never site-scoped)."""

from __future__ import annotations

from typing import Annotated, Any

from flask import Blueprint, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation import keys as key_store
from moderation.api.auth import current_actor, forget_cached_keys, require_role
from moderation.api.context import db_session, request_id, settings
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
            "policy": policies.effective_policy(site, settings()), "overrides": site.policy or {},
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


def _policy_answer(site: Site) -> tuple[dict[str, Any], int, dict[str, str]]:
    return policies.policy_record(site, settings()), 200, {"ETag": policies.etag(site.policy_version)}


def _if_match() -> frozenset[int] | None:
    """The policy versions ``If-Match`` names; None when it is absent or ``*``."""
    header = request.if_match
    if not header or header.star_tag:
        return None
    # Strong comparison (RFC 9110): weak tags never match; neither does a tag that isn't a version.
    return frozenset(int(tag) for tag in header.as_set() if tag.isascii() and tag.isdigit())


@bp.get("/sites/<int:site_id>/policy")
@require_role("admin")
def get_policy(site_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    return _policy_answer(_site(site_id))


@bp.put("/sites/<int:site_id>/policy")
@require_role("admin")
def put_policy(site_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    site = _site(site_id)
    data = parse_json_body(request.get_data())
    site = policies.set_policy(db_session(), site, data, actor=current_actor(),
                               request_id=request_id(), if_match=_if_match(),
                               thresholds=policies.model_thresholds(settings()).thresholds)
    forget_cached_keys()  # the key cache holds sites' policies too
    return _policy_answer(site)


@bp.patch("/sites/<int:site_id>/policy")
@require_role("admin")
def patch_policy(site_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    site = _site(site_id)
    patch = parse_json_body(request.get_data())
    site = policies.patch_policy(db_session(), site, patch, actor=current_actor(),
                                 request_id=request_id(), if_match=_if_match(),
                                 thresholds=policies.model_thresholds(settings()).thresholds)
    forget_cached_keys()
    return _policy_answer(site)


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
_POLICY = {"type": "object", "required": ["site_id", "policy_version", "model_version", "policy",
                                          "overrides"],
           "properties": {"site_id": {"type": "integer"}, "policy_version": {"type": "integer"},
                          "model_version": {"type": "string"}, "policy": _OBJ, "overrides": _OBJ}}
_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": 'The policy version the change is based on, as its ETag ("3"); '
                            "another version is a 412"}
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
        "get": {"summary": "A site's effective policy (the thresholds the workers apply), its "
                           "overrides and version; ETag: the version (role: admin)",
                "parameters": [_path_id("site_id")],
                "responses": {"200": json_response("The policy", _POLICY), **_ERR}},
        "put": {"summary": "Replace a site's policy overrides; bumps policy_version (role: admin)",
                "parameters": [_path_id("site_id"), _IF_MATCH],
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": schema_ref(PolicyIn)}}},
                "responses": {"200": json_response("The new policy", _POLICY),
                              **error_responses(*AUTHENTICATED_ERRORS, 404, 412, 413, 422)}},
        "patch": {"summary": "Change part of a site's policy overrides (JSON merge patch, RFC 7396: "
                             "left out keeps, null removes); bumps policy_version (role: admin)",
                  "parameters": [_path_id("site_id"), _IF_MATCH],
                  "requestBody": {"required": True, "content": {
                      "application/merge-patch+json": {"schema": {"type": "object"}},
                      "application/json": {"schema": {"type": "object"}}}},
                  "responses": {"200": json_response("The new policy", _POLICY),
                                **error_responses(*AUTHENTICATED_ERRORS, 404, 412, 413, 422)}},
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
