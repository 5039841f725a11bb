"""Response models of the shapes ``moderation/api/presenters.py`` builds (comments as moderators see them)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import RootModel

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
    #: the language detection's result (None on verdicts recorded before it was kept)
    language: dict[str, Any] | None
    decided_at: str
    #: the revision it judged
    revision: int


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
    #: the main language code of the latest verdict (``en``, ``hi-Latn``)
    language: str | None
    created_at: str | None
    moderated_at: str | None
    #: the current revision (1, then one more per edit)
    revision: int
    #: who set the current revision's status; None: not yet
    decided_by: Literal["system", "moderator"] | None
    updated_at: str | None
    withdrawn_at: str | None
    sender: SenderOut
    verdict: VerdictOut | None
    moderator_decision: ModeratorDecisionOut | None
    links: CommentLinksOut


class CommentPageOut(Out):
    items: list[ModeratorCommentOut]
    next_cursor: str | None


class SelfLinkOut(Out):
    self: str


class SiteCommentOut(Out):
    """A change-feed item: the state a site needs to publish or unpublish a comment."""

    id: int
    external_id: str | None
    article_id: str
    status: str
    revision: int
    decided_by: Literal["system", "moderator"] | None
    updated_at: str | None
    withdrawn_at: str | None
    created_at: str | None
    moderated_at: str | None
    decided_at: str | None
    links: SelfLinkOut


class SiteFeedOut(Out):
    items: list[SiteCommentOut]
    next_cursor: str
    has_more: bool


class CommentListOut(RootModel[CommentPageOut | SiteFeedOut]):
    """``GET /v1/comments``: a page of comments, or for a site key a page of its change feed."""
