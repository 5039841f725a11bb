"""The console's writes, each through the same service the API uses (409 rules, audit).

The services are moving from key names to an ``Actor``; these calls pass the signed-in
person's ``Actor`` where a service takes one, and otherwise the person's display
name (so a decision or a ban shows who made it) until every service does.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from flask import g

from moderation.domain.actors import Actor
from moderation.services import api_keys, bans, decisions, policies, sites
from moderation.store import ApiKey, Ban, Comment, Site

from .common import actor, scope, session


def _request_id() -> str | None:
    value: str | None = g.get("request_id")
    return value


def _takes(fn: Callable[..., Any], name: str) -> bool:
    return name in inspect.signature(fn).parameters


def _who(fn: Callable[..., Any], person: Actor) -> dict[str, Any]:
    """The ``actor``/``key`` keyword a service wants for ``person``."""
    if _takes(fn, "key"):  # older decisions service: a key-like object with name and id
        return {"key": SimpleNamespace(name=person.display_name, id=person.key_id)}
    if "str" in str(inspect.signature(fn).parameters["actor"].annotation):
        return {"actor": person.display_name}
    return {"actor": person}


def _visible(comment: Comment) -> bool:
    ids = scope()
    return ids is None or comment.site_id in ids


def _scope(fn: Callable[..., Any]) -> dict[str, Any]:
    """Older decision services took the caller's scope check; newer ones read the actor's."""
    return {"visible": _visible} if _takes(fn, "visible") else {}


def decide(comment_id: int, decision: str, reason: str, override: bool) -> decisions.DecisionResult:
    fn = decisions.decide
    return fn(session(), comment_id=comment_id, decision=decision, reason=reason, override=override,
              request_id=_request_id(), **_scope(fn), **_who(fn, actor()))


def decide_many(comment_ids: Sequence[int], decision: str, reason: str) -> list[decisions.DecisionResult]:
    fn = decisions.decide_many
    return fn(session(), comment_ids=comment_ids, decision=decision, reason=reason, override=False,
              request_id=_request_id(), **_scope(fn), **_who(fn, actor()))


def create_ban(site_id: int, kind: str, value: str, reason: str, expires_at: datetime | None) -> Ban:
    fn = bans.create_ban
    return fn(session(), site_id=site_id, kind=kind, value=value, reason=reason, expires_at=expires_at,
              request_id=_request_id(), **_who(fn, actor()))


def lift_ban(ban: Ban) -> Ban:
    fn = bans.lift_ban
    return fn(session(), ban, request_id=_request_id(), **_who(fn, actor()))


def create_site(name: str) -> Site:
    fn = sites.create_site
    return fn(session(), name, None, request_id=_request_id(), **_who(fn, actor()))


def set_policy(site: Site, data: dict[str, Any]) -> Site:
    fn = policies.set_policy
    return fn(session(), site, data, request_id=_request_id(), **_who(fn, actor()))


def create_key(role: str, site: Site | None, name: str | None) -> tuple[ApiKey, str]:
    fn = api_keys.create_key
    return fn(session(), role=role, site=site, name=name, request_id=_request_id(), **_who(fn, actor()))


def revoke_key(key: ApiKey) -> ApiKey:
    fn = api_keys.revoke_key
    return fn(session(), key, request_id=_request_id(), **_who(fn, actor()))
