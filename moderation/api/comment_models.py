"""Response models of the shapes ``moderation/api/presenters.py`` builds (comments as moderators see them)."""

from __future__ import annotations

from typing import Any

from moderation.api.operations import Out


class SenderOut(Out):
    #: the /24 (IPv4) or /48 (IPv6) prefix, never the full address
    ip_prefix: str | None
    #: ``r***@example.com``
    email_masked: str | None
    pseudonym: str


class VerdictOut(Out):
    decision: str
    #: category → score
    categories: dict[str, float]
    reasons: list[dict[str, Any]]
    #: every reason's spans, by position
    spans: list[dict[str, Any]]
    model_version: str
    policy_version: int
    decided_at: str


class ModeratorDecisionOut(Out):
    decision: str
    decided_at: str | None


class CommentLinksOut(Out):
    self: str
    decision: str


class ModeratorCommentOut(Out):
    id: int
    site_id: int
    article_id: str
    external_id: str | None
    title: str
    text: str
    status: str
    toxicity: float | None
    created_at: str | None
    moderated_at: str | None
    sender: SenderOut
    verdict: VerdictOut | None
    moderator_decision: ModeratorDecisionOut | None
    links: CommentLinksOut


class CommentPageOut(Out):
    items: list[ModeratorCommentOut]
    next_cursor: str | None
