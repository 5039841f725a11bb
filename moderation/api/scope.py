"""Tenant isolation for views: which sites the caller's key may see.

A key scoped to a site sees only that site; anything of another site is a 404,
exactly as if it did not exist. Unscoped (moderator, compliance, admin) keys see
every site.
"""

from __future__ import annotations

from moderation.api.auth import current_key
from moderation.api.context import db_session
from moderation.api.params import MAX_INT
from moderation.errors import not_found
from moderation.store import Comment, Site


def visible_site_ids() -> list[int] | None:
    """None: every site; otherwise the one site the key is scoped to."""
    key = current_key()
    return None if key.site_id is None else [key.site_id]


def may_see_site(site_id: int) -> bool:
    key = current_key()
    return key.site_id is None or key.site_id == site_id


def may_see_comment(comment: Comment) -> bool:
    return may_see_site(comment.site_id)


def in_range(item_id: int) -> bool:
    """Whether an id from a URL can exist at all (larger ones would overflow the database)."""
    return 0 < item_id <= MAX_INT


def visible_site(site_id: int) -> Site:
    site = db_session().get(Site, site_id) if in_range(site_id) else None
    if site is None or not may_see_site(site_id):
        raise not_found("site")
    return site


def site_filter(site_id: int | None) -> list[int] | None:
    """The site ids to query: the requested site (if visible) within the key's scope."""
    if site_id is None:
        return visible_site_ids()
    visible_site(site_id)
    return [site_id]
