"""Response models of the compliance endpoints: disclosure cases, exports, sender records,
legal holds and erasures. Each serialises the answer and is its OpenAPI schema."""

from __future__ import annotations

from typing import Literal

from moderation.api.comment_models import CommentStatus
from moderation.api.operations import Out


class ScopeOut(Out):
    """A case's or hold's scope as stored: only the criteria that were given."""

    site_id: int | None = None
    comment_ids: list[int] | None = None
    article_id: str | None = None
    sender_email: str | None = None
    #: an address or a CIDR block
    sender_ip: str | None = None
    since: str | None = None
    until: str | None = None


class CaseLinksOut(Out):
    self: str
    exports: str


class CaseOut(Out):
    """A disclosure case."""

    id: int
    status: Literal["open", "exported", "closed"]
    #: ``answered`` once an export was downloaded or the case closed with a reason
    due_state: Literal["answered", "overdue", "due_soon", "on_track"]
    authority: str
    legal_reference: str
    legal_basis: str
    received_at: str
    due_at: str
    scope: ScopeOut
    #: the site the case is bound to (the creating key's); None: any site
    site_id: int | None
    notes: str
    #: the creator's actor id (``user:3``, ``key:7``)
    created_by: str
    created_at: str
    closed_at: str | None
    #: requested comment ids the case's site doesn't hold (so no record of them is covered)
    out_of_scope_comment_ids: list[int]
    warnings: list[str]
    close_reason: str | None
    answered_at: str | None
    links: CaseLinksOut


class CaseListOut(Out):
    requests: list[CaseOut]


class DueCasesOut(Out):
    #: the due-soon window (MODERATION_DISCLOSURE_DUE_SOON_HOURS)
    due_soon_hours: int
    #: overdue or due within the window, soonest first
    requests: list[CaseOut]


class ActorRefOut(Out):
    """Who did it: the actor id, the display name then, and the person behind it."""

    id: str
    name: str
    #: ``user:N`` or ``key:N``; None where it isn't known
    person: str | None


class ApprovalOut(Out):
    by: ActorRefOut
    at: str | None


class ExportLinksOut(Out):
    self: str
    approve: str
    file: str


class ExportOut(Out):
    """An export's metadata: status, digest, count and approvals."""

    id: int
    #: the disclosure case's id
    request_id: int
    format: Literal["csv", "json"]
    status: Literal["awaiting_approval", "ready", "deleted"]
    #: SHA-256 of the file as downloaded (the plaintext)
    sha256: str
    record_count: int
    size_bytes: int
    #: the two-person rule: a second compliance person must approve before the download
    approval_required: bool
    approvals: list[ApprovalOut]
    created_by: ActorRefOut
    created_at: str | None
    out_of_scope_comment_ids: list[int]
    warnings: list[str]
    downloaded_at: str | None
    deleted_at: str | None
    deleted_reason: str | None
    links: ExportLinksOut


class RecordVerdictOut(Out):
    decision: str
    #: category → score
    scores: dict[str, float]
    model_version: str
    policy_version: int
    decided_at: str | None


class RecordDecisionOut(Out):
    decision: str
    reason: str
    #: the moderator's display name when they decided
    actor: str
    override: bool
    decided_at: str | None


class SenderRecordOut(Out):
    """One comment's full sender record (also one record of an export)."""

    comment_id: int
    #: the site's name
    site: str
    article_id: str
    article_url: str | None
    submitted_at: str | None
    title: str
    text: str
    #: None once erased
    sender_name: str | None
    sender_email: str | None
    sender_ip: str | None
    sender_user_agent: str | None
    #: the address the site's server submitted from
    submitted_from: str | None
    sender_erased_at: str | None
    status: CommentStatus
    verdicts: list[RecordVerdictOut]
    decisions: list[RecordDecisionOut]


class ExportedCaseOut(Out):
    id: int
    authority: str
    legal_reference: str
    legal_basis: str
    scope: ScopeOut


class ExportFileOut(Out):
    """A JSON export file: the case, then its records."""

    request: ExportedCaseOut
    out_of_scope_comment_ids: list[int]
    format_version: Literal[1]
    records: list[SenderRecordOut]
    record_count: int


class HoldLinksOut(Out):
    self: str
    release: str


class HoldOut(Out):
    """A legal hold: records in its scope are kept from retention and erasure."""

    id: int
    #: not released and not expired
    active: bool
    reference: str
    scope: ScopeOut
    site_id: int | None
    notes: str
    expires_at: str | None
    released_at: str | None
    created_by: str
    created_at: str
    out_of_scope_comment_ids: list[int]
    warnings: list[str]
    links: HoldLinksOut


class HoldListOut(Out):
    holds: list[HoldOut]


class KeptOut(Out):
    #: the hold or open case that kept them, e.g. ``hold #3 (REF-1)``
    hold: str
    comment_ids: list[int]


class ErasureOut(Out):
    """What an erasure found, erased and kept (held records are kept and named)."""

    #: the reader's keyed pseudonym (the email itself is never stored in the audit log)
    sender: str
    outcome: Literal["not_found", "erased", "partial", "refused"]
    found: int
    erased: int
    kept: int
    kept_by: list[KeptOut]
    #: the site the erasure was limited to; None: every site in the key's scope
    site_id: int | None
