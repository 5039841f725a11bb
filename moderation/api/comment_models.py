"""Response models of the comment answers: what ``moderation/api/presenters.py`` builds for
moderators, what a site key sees of its own comments, and the intake's answer."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import RootModel

from moderation.api.decisions import DecisionOut
from moderation.api.operations import Out

#: A comment's current status (``moderation.store.comments.STATUSES``).
CommentStatus = Literal["pending", "approved", "rejected", "needs_review", "error", "withdrawn"]


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


class CommentAcceptedOut(Out):
    """The intake's answer: the comment's id, its status and where to read it."""

    id: int
    status: CommentStatus
    links: SelfLinkOut


class CommentAnsweredOut(CommentAcceptedOut):
    """The intake's ``200``: a retry's original comment, or (``Prefer: wait``) the settled
    comment with its verdict."""

    #: the verdict, sent when the answer waited for it (``Preference-Applied: wait``); None
    #: when the comment settled without one (``error``, or a moderator decided first)
    verdict: VerdictOut | None = None


class ChangedOut(Out):
    """A comment's state after an edit or a withdrawal."""

    id: int
    status: CommentStatus
    links: SelfLinkOut
    #: the current revision (1, then one more per edit)
    revision: int
    #: who set the current revision's status; None: not moderated yet
    decided_by: Literal["system", "moderator"] | None
    updated_at: str
    withdrawn_at: str | None


class ChangedAnsweredOut(ChangedOut):
    """An edit's ``200``: nothing changed, or (``Prefer: wait``) the new revision's verdict."""

    #: the current revision's verdict, sent when the answer waited for it
    #: (``Preference-Applied: wait``); None when it settled without one
    verdict: VerdictOut | None = None


class CommentStatusOut(ChangedOut):
    """``GET /v1/comments/<id>`` for a site key: the status and the latest verdict."""

    article_id: str
    external_id: str | None
    created_at: str
    #: the latest verdict (of any revision); None: not moderated yet
    verdict: VerdictOut | None
    #: why moderation failed; sent only when the status is ``error``
    error: str | None = None


class RevisionOut(Out):
    """One revision as moderators see it, with the verdicts and decisions on it."""

    revision: int
    title: str
    text: str
    submitted_at: str
    #: None: the current revision
    superseded_at: str | None
    verdicts: list[VerdictOut]
    decisions: list[DecisionOut]


class ModeratorCommentStatusOut(CommentStatusOut):
    """``GET /v1/comments/<id>`` for moderators and admins: also the text, the masked sender,
    the decisions and every revision."""

    site_id: int
    title: str
    text: str
    sender: SenderOut
    decisions: list[DecisionOut]
    revisions: list[RevisionOut]


class CommentOut(RootModel[ModeratorCommentStatusOut | CommentStatusOut]):
    """A comment's status and latest verdict; moderators and admins see more of it."""


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
