"""The console's writes, each through the same service the API uses (409 rules, scope, audit).

Every call passes the signed-in person's ``Actor``: decisions, bans and the audit trail
record the person's stable id (``user:3``) and display name, which the API then shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import g

from moderation.api.context import settings
from moderation.services import adaptation, api_keys, bans, decisions, policies, sites
from moderation.store import ApiKey, Ban, Site, SiteModel

from .common import actor, session


def _request_id() -> str | None:
    value: str | None = g.get("request_id")
    return value


def decide(comment_id: int, decision: str, reason: str, override: bool,
           revision: int | None = None) -> decisions.DecisionResult:
    """``revision``: the one the person read (a conflict if the comment was edited since)."""
    return decisions.decide(session(), comment_id=comment_id, decision=decision, reason=reason,
                            override=override, actor=actor(), request_id=_request_id(),
                            revision=revision)


def decide_many(comment_ids: Sequence[int], decision: str, reason: str) -> list[decisions.DecisionResult]:
    return decisions.decide_many(session(), comment_ids=comment_ids, decision=decision, reason=reason,
                                 override=False, actor=actor(), request_id=_request_id())


def create_ban(site_id: int, kind: str, value: str, reason: str, expires_at: datetime | None) -> Ban:
    return bans.create_ban(session(), site_id=site_id, kind=kind, value=value, reason=reason,
                           expires_at=expires_at, actor=actor(), request_id=_request_id())


def lift_ban(ban: Ban) -> Ban:
    return bans.lift_ban(session(), ban, actor=actor(), request_id=_request_id())


def create_site(name: str) -> Site:
    return sites.create_site(session(), name, None, actor=actor(), request_id=_request_id())


def set_policy(site: Site, data: dict[str, Any]) -> Site:
    return policies.set_policy(session(), site, data, actor=actor(), request_id=_request_id(),
                               thresholds=policies.model_thresholds(settings()).thresholds)


def create_key(role: str, site: Site | None, name: str | None) -> tuple[ApiKey, str]:
    """A key made here belongs to the signed-in admin (the service records the owner)."""
    return api_keys.create_key(session(), role=role, site=site, name=name, actor=actor(),
                               request_id=_request_id())


def revoke_key(key: ApiKey) -> ApiKey:
    return api_keys.revoke_key(session(), key, actor=actor(), request_id=_request_id())


def activate_site_model(site: Site, version: int) -> tuple[SiteModel, SiteModel | None]:
    return adaptation.activate(session(), site, version, actor=actor(), request_id=_request_id())


def roll_back_site_model(site: Site) -> tuple[SiteModel, SiteModel | None]:
    """What ``adapt --site NAME --rollback`` does, as the signed-in admin."""
    return adaptation.rollback(session(), site, actor=actor(), request_id=_request_id())
