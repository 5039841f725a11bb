"""Search and list: every filter of ``GET /v1/comments``, cursor pagination, same service."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.pipeline.types import CATEGORIES
from moderation.services import console_queries, review
from moderation.store.comments import STATUSES

from .common import READERS, filter_ids, session, site_choice, visible_sites

SORTS = ("newest", "oldest", "score")
DECISIONS = ("approved", "rejected", "none")
FIELDS = ("status", "decision", "site_id", "article_id", "category", "min_score", "reason", "pseudonym",
          "from", "to", "q", "sort", "limit")


def _parse(args: Any) -> tuple[review.ListQuery, dict[str, str]]:
    errors: dict[str, str] = {}

    def text(name: str, limit: int) -> str | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        if len(value) > limit:
            errors[name] = f"At most {limit} characters."
            return None
        return value

    def choice(name: str, options: tuple[str, ...]) -> str | None:
        value = args.get(name) or None
        if value is not None and value not in options:
            errors[name] = f"Choose one of: {', '.join(options)}."
            return None
        return value

    def moment(name: str) -> datetime | None:
        value = text(name, 40)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            errors[name] = "A date (2026-11-28) or date-time (2026-11-28T16:20)."
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed

    min_score = None
    raw_score = text("min_score", 20)
    if raw_score is not None:
        try:
            min_score = float(raw_score)
            if not 0 <= min_score <= 1:
                raise ValueError
        except ValueError:
            errors["min_score"] = "A number from 0 to 1."
            min_score = None
    limit = 50
    raw_limit = text("limit", 5)
    if raw_limit is not None:
        if raw_limit.isdigit() and 1 <= int(raw_limit) <= review.MAX_LIMIT:
            limit = int(raw_limit)
        else:
            errors["limit"] = f"A whole number from 1 to {review.MAX_LIMIT}."
    query = review.ListQuery(
        status=choice("status", STATUSES), decision=choice("decision", DECISIONS),
        article_id=text("article_id", 200), category=choice("category", CATEGORIES),
        min_score=min_score, reason=text("reason", 100), pseudonym=text("pseudonym", 32),
        since=moment("from"), until=moment("to"), text=text("q", 200),
        sort=choice("sort", SORTS) or "newest",  # type: ignore[arg-type]
        limit=limit, cursor=text("cursor", 500),
    )
    return query, errors


@login_required(*READERS)
def search_page() -> ResponseReturnValue:
    site_id = site_choice(request.args.get("site_id"))
    query, errors = _parse(request.args)
    page = None
    if not errors:
        try:
            page = review.list_comments(session(), replace(query, site_ids=filter_ids(site_id)))
        except review.BadCursor as exc:
            errors["cursor"] = str(exc)
    cards = console_queries.cards(session(), page.rows) if page else []
    kept = {name: request.args.get(name) for name in FIELDS if request.args.get(name)}
    return render_template(
        "pages/search.html", cards=cards, errors=errors, values=kept,
        next_cursor=page.next_cursor if page else None, sites=visible_sites(),
        statuses=STATUSES, decisions=DECISIONS, categories=CATEGORIES, sorts=SORTS,
    ), (422 if errors else 200)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/comments", "comments", search_page)
