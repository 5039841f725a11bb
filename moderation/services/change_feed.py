"""The change feed: a site's comments in the order they last changed.

Each comment carries ``change_seq``, a position handed out in commit order by the
database (``moderation/store/change_seq.py``). A page is "the site's comments with
a position past the cursor, lowest first", so a site that keeps passing back
``next_cursor`` sees every change, including ones committed while it was reading,
and never the same state twice. A comment changed several times between two polls
appears once, in its latest state.

``updated_after`` (a timestamp) is only a starting point for a first sync; wall
clocks can't order concurrent commits, so from then on the cursor is what counts.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation.domain.errors import Invalid
from moderation.store import Comment

MAX_LIMIT = 500
DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class ChangePage:
    comments: list[Comment]
    #: Where the next poll starts; always set, also when this page is empty.
    next_cursor: str
    has_more: bool


def encode_cursor(position: int) -> str:
    raw = json.dumps({"v": 1, "seq": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        data = None
    position = data.get("seq") if isinstance(data, dict) and data.get("v") == 1 else None
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise Invalid.field("query.cursor", "invalid_cursor",
                            "The cursor is not one this API issued; pass next_cursor back as is.")
    return position


def changes(
    session: Session,
    *,
    site_id: int,
    cursor: str | None = None,
    updated_after: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
) -> ChangePage:
    """One page of ``site_id``'s comments changed after ``cursor`` (or after
    ``updated_after``, or from the beginning), in commit order."""
    if cursor is not None and updated_after is not None:
        raise Invalid.field("query.updated_after", "conflicts_with_cursor",
                            "Send either cursor or updated_after, not both.")
    after = decode_cursor(cursor) if cursor is not None else 0
    limit = max(1, min(limit, MAX_LIMIT))
    # Taken before the page is read: every position up to it is committed and visible
    # to the page's query, so an empty page may move the cursor here without skipping.
    horizon = session.scalar(
        select(func.coalesce(func.max(Comment.change_seq), 0)).where(Comment.site_id == site_id))
    stmt = (select(Comment)
            .where(Comment.site_id == site_id, Comment.change_seq > after)
            .order_by(Comment.change_seq).limit(limit + 1))
    if updated_after is not None:
        stmt = stmt.where(Comment.updated_at > updated_after)
    rows = list(session.scalars(stmt))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if rows:
        position = rows[-1].change_seq or after
    else:
        position = max(after, int(horizon or 0))
    return ChangePage(rows, encode_cursor(position), has_more)
