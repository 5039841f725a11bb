"""Sites (tenants): creating and listing them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.domain.errors import NotFound
from moderation.services.policies import validate_policy
from moderation.store import Site


class SiteExists(ValueError):
    pass


def find_site(session: Session, name: str) -> Site | None:
    return session.scalars(select(Site).where(Site.name == name)).one_or_none()


def create_site(
    session: Session, name: str, policy: dict[str, Any] | None = None, *, actor: Actor,
    request_id: str | None = None,
) -> Site:
    """Create a site (with an optional validated policy) and audit it. Commits."""
    site = Site(name=name.strip(), policy=validate_policy(policy or {}), policy_version=1)
    session.add(site)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise SiteExists(f"a site named {name!r} already exists") from None
    audit.record(session, actor=actor, action="site.create", target_type="site", target_id=site.id,
                 site_id=site.id, after={"name": site.name, "policy": site.policy,
                                         "policy_version": site.policy_version},
                 request_id=request_id)
    session.commit()
    return site


def visible_site(session: Session, site_id: int, actor: Actor) -> Site:
    """The site if it exists and the actor may act on it; :class:`NotFound` otherwise."""
    site = session.get(Site, site_id) if 0 < site_id <= 2**31 - 1 else None
    if site is None or not actor.may_see(site.id):
        raise NotFound.of("site")
    return site


def find_site_by_id(session: Session, site_id: int) -> Site:
    """The site with this id; :class:`NotFound` otherwise."""
    site = session.get(Site, site_id) if 0 < site_id <= 2**31 - 1 else None
    if site is None:
        raise NotFound.of("site")
    return site


def list_sites(session: Session) -> list[Site]:
    return list(session.scalars(select(Site).order_by(Site.id)))


def set_moderator_totp_required(session: Session, site: Site, required: bool, *, actor: Actor,
                                request_id: str | None = None) -> Site:
    """Require (or stop requiring) a second factor of the moderators who act on ``site``.
    Audited as ``site.update``; idempotent. Commits."""
    if site.moderator_totp_required == required:
        return site
    before = {"moderator_totp_required": site.moderator_totp_required}
    site.moderator_totp_required = required
    audit.record(session, actor=actor, action="site.update", target_type="site", target_id=site.id,
                 site_id=site.id, before=before, after={"moderator_totp_required": required},
                 request_id=request_id)
    session.commit()
    return site
