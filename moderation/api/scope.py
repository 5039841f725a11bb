"""Tenant isolation for views: which sites the calling actor may see.

An actor scoped to sites (a site key, a person with a site list) sees only those;
anything of another site is a 404, exactly as if it did not exist. Unscoped actors
see every site.
"""

from __future__ import annotations

from moderation.api.auth import current_actor
from moderation.api.context import db_session
from moderation.api.params import MAX_INT
from moderation.services import sites
from moderation.store import Comment, Site


def visible_site_ids() -> list[int] | None:
    """None: every site; otherwise the sites the caller is confined to."""
    return current_actor().visible_site_ids()


def may_see_site(site_id: int) -> bool:
    return current_actor().may_see(site_id)


def may_see_comment(comment: Comment) -> bool:
    return may_see_site(comment.site_id)


def in_range(item_id: int) -> bool:
    """Whether an id from a URL can exist at all (larger ones would overflow the database)."""
    return 0 < item_id <= MAX_INT


def visible_site(site_id: int) -> Site:
    return sites.visible_site(db_session(), site_id, current_actor())


def site_filter(site_id: int | None) -> list[int] | None:
    """The site ids to query: the requested site (if visible) within the key's scope."""
    if site_id is None:
        return visible_site_ids()
    visible_site(site_id)
    return [site_id]
