"""Seeding moderated comments directly (no worker) for the moderators' API tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from moderation.senders import pseudonym
from moderation.settings import DEV_PSEUDONYM_KEY
from moderation.store import Comment, SenderDetails, Verdict

SECRET = "test-secret-key-0123456789"
#: The test app's pseudonym key (the development default).
PSEUDONYM_KEY = DEV_PSEUDONYM_KEY
_n = itertools.count(1)


def add_comment(
    app: Flask, site_id: int, *, status: str = "needs_review", toxicity: float | None = 0.6,
    text: str = "A comment about the budget.", article_id: str = "budget-2026",
    email: str = "asha@example.com", ip: str = "203.0.113.7",
    reasons: list[dict[str, Any]] | None = None, created_at: datetime | None = None,
    scores: dict[str, float] | None = None,
) -> int:
    """A comment with its sender details and (unless pending) a verdict."""
    if reasons is None:
        reasons = [{"code": "classifier:abusive", "message": "The comment looks abusive.",
                    "spans": [{"start": 2, "end": 9, "category": "abusive"}]}]
    now = created_at or datetime.now(UTC)
    scores = scores or {"toxicity": toxicity or 0.0, "abusive": toxicity or 0.0}
    with app.extensions["db"].session() as session:
        comment = Comment(
            site_id=site_id, article_id=article_id, title="Title", text=text,
            external_id=f"ext-{next(_n)}", sender_pseudonym=pseudonym(PSEUDONYM_KEY, site_id, email),
            status=status,
            toxicity=None if status == "pending" else toxicity, created_at=now,
            moderated_at=None if status == "pending" else now,
            scores=None if status == "pending" else scores,
            reason_codes=None if status == "pending" else
            " " + " ".join(r["code"] for r in reasons) + " ",
        )
        session.add(comment)
        session.flush()
        session.add(SenderDetails(comment_id=comment.id, name="Asha Rao", email=email, ip=ip))
        if status != "pending":
            session.add(Verdict(comment_id=comment.id, decision=status if status != "error" else
                                "needs_review", scores=scores, reasons=reasons,
                                model_version="fake-1", policy_version=1, created_at=now))
        session.commit()
        return comment.id
