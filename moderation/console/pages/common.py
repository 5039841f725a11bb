"""What every page shares: the signed-in actor's scope, the session, template filters, forms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, g, request
from sqlalchemy.orm import Session

from moderation.api.context import db_session
from moderation.console import highlight
from moderation.domain.actors import Actor
from moderation.domain.errors import NotFound
from moderation.services import console_queries, sites
from moderation.store import Comment, Site

#: Roles that may read the moderation pages; only moderators decide, ban and lift.
READERS = ("moderator", "admin")
DECIDERS = ("moderator",)
MAX_INT = 2_147_483_647


def actor() -> Actor:
    value: Actor = g.actor
    return value


def session() -> Session:
    return db_session()


def scope() -> list[int] | None:
    """The sites the signed-in person may see (None: every site)."""
    return actor().visible_site_ids()


def may_decide() -> bool:
    return actor().role in DECIDERS


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def visible_comment(comment_id: int) -> Comment:
    """The comment if it is in the person's scope; a 404 exactly like a missing one otherwise."""
    comment = console_queries.visible_comment(session(), comment_id, scope())
    if comment is None:
        raise NotFound.of("comment")
    return comment


def visible_site(site_id: int) -> Site:
    """The site if the person may act on it; a 404 otherwise."""
    return sites.visible_site(session(), site_id, actor())


def parse_id(value: str | None) -> int | None:
    """A positive id from a form or query string, or None when absent or malformed."""
    if value is None or not value.strip().isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_INT else None


def site_choice(value: str | None) -> int | None:
    """An optional ``site_id`` filter: None for all visible sites; out of scope is a 404."""
    if value in (None, ""):
        return None
    site_id = parse_id(value)
    if site_id is None:
        raise NotFound.of("site")
    visible_site(site_id)
    return site_id


def filter_ids(site_id: int | None) -> list[int] | None:
    return [site_id] if site_id is not None else scope()


def visible_sites() -> dict[int, str]:
    return console_queries.site_names(session(), scope())


# --- template helpers ------------------------------------------------------------------


def age(when: datetime | None, now: datetime | None = None) -> str:
    """``when`` as a short, readable age: "45 s", "12 min", "3 h 5 min", "2 d 4 h"."""
    if when is None:
        return "—"
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    return duration(seconds)


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h {s % 3600 // 60} min"
    return f"{s // 86400} d {s % 86400 // 3600} h"


def when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def http_url(value: str | None) -> str | None:
    """``value`` if it is an absolute http(s) URL (safe in an ``href``), else None."""
    if not value:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def segments(text: str, reasons: Sequence[dict[str, Any]] | None) -> list[highlight.Segment]:
    return highlight.segments(text, highlight.verdict_spans(reasons))


def register(bp: Blueprint) -> None:
    bp.add_app_template_filter(age, "console_age")
    bp.add_app_template_filter(duration, "console_duration")
    bp.add_app_template_filter(when, "console_when")
    bp.add_app_template_filter(percent, "console_percent")
    bp.add_app_template_filter(http_url, "console_http_url")
    bp.add_app_template_global(segments, "console_segments")
    bp.add_app_template_global(highlight.categories_in, "console_categories_in")
    bp.add_app_template_global(highlight.label, "console_label")
    bp.add_app_template_global(may_decide, "console_may_decide")
    bp.add_app_template_global(timedelta, "timedelta")
