"""Bearer-key authentication and role checks for views.

Every authenticated view gets the caller as one :class:`~moderation.domain.actors.Actor`
(``current_actor()``), which it passes into the services it calls.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from flask import Flask, current_app, g, request

from moderation import keys
from moderation.api.context import db_session
from moderation.domain.actors import Actor
from moderation.errors import ApiError
from moderation.services import api_keys
from moderation.services.access import actor_for_key
from moderation.store import ApiKey

P = ParamSpec("P")
R = TypeVar("R")


def current_key() -> ApiKey:
    key: ApiKey = g.api_key
    return key


def current_actor() -> Actor:
    """Who is calling: the actor built from the bearer key (set by :func:`require_role`)."""
    actor: Actor = g.actor
    return actor


def init_app(app: Flask) -> None:
    app.extensions["key_cache"] = keys.KeyCache(app.extensions["settings"].key_cache_seconds)


def forget_cached_keys() -> None:
    """Drop this process's cached keys and sites (after a revocation or a policy change)."""
    cache: keys.KeyCache = current_app.extensions["key_cache"]
    cache.clear()


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if there is one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate() -> ApiKey:
    token = bearer_token()
    if token is None:
        raise ApiError(401, "unauthorized", "Send an API key as 'Authorization: Bearer <key>'.",
                       headers={"WWW-Authenticate": "Bearer"})
    return authenticate_token(token)


def authenticate_token(token: str) -> ApiKey:
    """The active key with this token (401 when unknown or revoked, or when the person it
    belongs to is disabled); records its last use."""
    session = db_session()
    cache: keys.KeyCache = current_app.extensions["key_cache"]
    key = keys.find_active_key(session, token.strip(), cache)
    if key is None:
        raise ApiError(401, "unauthorized", "The API key is unknown or revoked.",
                       headers={"WWW-Authenticate": "Bearer"})
    owner = api_keys.disabled_owner(session, key)
    if owner is not None:
        # The cache holds keys, never their owners' state: this is read on every request.
        if cache.first_refusal(key.token_hash):
            api_keys.record_refusal(session, key, owner, actor=actor_for_key(key),
                                    request_id=g.get("request_id"))
        raise ApiError(401, "key_owner_disabled",
                       "This API key belongs to a disabled account; an admin can enable the "
                       "account again or make a new key.",
                       headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if keys.touch(key):
        session.commit()
        if key.last_used_at is not None:
            cache.touched(key.token_hash, key.last_used_at)
    return key


def _enforce_rate_limit(key: ApiKey) -> None:
    from moderation.api import ratelimit
    from moderation.store import Site

    site = db_session().get(Site, key.site_id) if key.site_id is not None else None
    ratelimit.enforce_key_limit(key, site)


def require_role(
    *roles: str, key_limit: bool = True
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Authenticate the caller and allow only the given roles (403 otherwise).

    ``key_limit=False`` leaves counting the key's rate limit to the view (intake counts
    it together with the sender IP's, in one Redis round trip).
    """

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            key = _authenticate()
            if key.role not in roles:
                raise ApiError(403, "forbidden",
                               f"This action needs one of the roles: {', '.join(roles)}.")
            g.api_key = key
            g.actor = actor_for_key(key)
            if key_limit:
                _enforce_rate_limit(key)
            return view(*args, **kwargs)

        return wrapper

    return decorator
