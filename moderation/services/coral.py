"""Coral Talk's external moderation phase: judge a comment while Coral waits, and record it.

Coral calls the phase for each new or edited comment and waits at most the phase's
timeout (200 ms by default) before it skips the phase. So the verdict is computed in
this process (the serving classifier and the same pipeline, site policy, word lists
and sender bans the workers apply), and the comment is stored with that verdict in one
transaction, like any other comment: status, scores, reasons, verdict row. It shows in
the queue at once; nothing is left for a worker.

What is recorded: the text (Coral's HTML stripped to text), the story as the article,
Coral's author id as the sender's stable id (the pseudonym is keyed from
``coral:<author id>``, so sender bans work), the author's role, tenant and Coral site.
Coral sends no IP address, e-mail or name: the sender details are empty and the origin
row says ``ip_provided = false``.

Edits: Coral's request names no comment id. An ``EDIT`` becomes a new revision of the
author's comment on the same story and parent (``moderation/services/revisions.py``)
when exactly one such comment was received within :data:`EDIT_WINDOW`; otherwise it is
recorded as a comment of its own, marked ``EDIT``. Should Coral send ``comment.id``,
that id is used instead.

The answer (:func:`coral_answer`) only uses fields and values of Coral's response
schema; see ``README.md``, "Use with Coral Talk", for the decision → answer mapping.
If the pipeline fails, the comment is stored ``pending`` for the workers and Coral is
told to withhold it (``SYSTEM_WITHHELD``): nothing the service could not read is
published on its say-so.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any, Literal, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from moderation.domain.actors import Actor
from moderation.domain.errors import Invalid
from moderation.pipeline.blocklists import BanRule, SenderFacts
from moderation.pipeline.language import LatinModel
from moderation.pipeline.policy import Policy, PolicyDefaults
from moderation.pipeline.run import ClassifierLike, PipelineInput, PipelineResult, moderate_many
from moderation.pipeline.types import Reason
from moderation.senders import pseudonym
from moderation.services import policies, revisions
from moderation.services.bans import active_at
from moderation.services.moderation import site_checks, write_verdicts
from moderation.store import Ban, Comment, IntegrationComment, SenderDetails, Site, Verdict
from moderation.store.base import utcnow

log = logging.getLogger(__name__)

SOURCE = "coral"
#: Coral's comments have no title; the worker's structural check wants a non-blank one.
TITLE = "(Coral comment)"
#: How far back an EDIT looks for the author's comment it edits (Coral's edit window is
#: 30 seconds unless an admin lengthens it).
EDIT_WINDOW = timedelta(hours=1)

Enqueue = Callable[[int, str | None], None]
CoralStatus = Literal["NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"]


@dataclass(frozen=True)
class CoralComment:
    """What Coral's ``ExternalModerationRequest`` says about one comment (validated)."""

    action: Literal["NEW", "EDIT"]
    body: str
    parent_id: str | None
    author_id: str
    author_role: str | None
    story_id: str
    story_url: str | None
    coral_site_id: str | None
    tenant_id: str | None
    tenant_domain: str | None
    comment_id: str | None = None


@dataclass(frozen=True)
class CoralOutcome:
    comment_id: int
    revision: int
    #: approved / rejected / needs_review, or pending when the pipeline failed
    status: str
    result: PipelineResult | None
    policy: Policy | None
    edited: bool


# --- HTML ------------------------------------------------------------------------------

_BLOCKS = frozenset({"p", "div", "br", "li", "ul", "ol", "blockquote", "pre", "h1", "h2", "h3",
                     "h4", "h5", "h6", "tr", "hr"})
_SKIPPED = frozenset({"script", "style"})


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(body: str) -> str:
    """Coral's comment HTML (``<p>``, ``<br>``, ``<b>``, ``<a>``, entities) as plain text:
    block elements become line breaks, runs of blank lines and spaces collapse. Text
    without markup comes back unchanged apart from surrounding whitespace."""
    if "<" not in body and "&" not in body:
        return body.strip()
    parser = _Text()
    parser.feed(body)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text, blank = [], False
    for line in lines:
        if line:
            text.append(line)
            blank = False
        elif text and not blank:
            text.append("")
            blank = True
    return "\n".join(text).strip()


# --- the answer ------------------------------------------------------------------------

#: Our reason (its category) → Coral's ``REJECTION_REASON_CODE``, most specific first.
REJECTION_CODES: tuple[tuple[str, str], ...] = (
    ("blocklist:banned_term", "BANNED_WORD"),
    ("spam", "SPAM"),
    ("threat", "ABUSIVE"),
    ("abusive", "ABUSIVE"),
    ("discriminatory", "OFFENSIVE"),
    ("obscene", "OFFENSIVE"),
    ("toxicity", "OFFENSIVE"),
)
#: Categories flagged ``COMMENT_DETECTED_TOXIC`` when the comment is held for review.
TOXIC_CATEGORIES = frozenset({"toxicity", "abusive", "obscene", "threat", "discriminatory"})


def _category(code: str) -> str:
    """``classifier:abusive`` → ``abusive``; ``spam:links`` → ``spam``; others: the prefix."""
    head, _, tail = code.partition(":")
    return tail if head == "classifier" else head


def rejecting_reasons(result: PipelineResult, policy: Policy | None) -> list[str]:
    """The reason codes that rejected the comment: hard rules, and categories at or above
    their reject threshold (all reason codes when none of them can be told apart)."""
    codes = [r.code for r in result.reasons if r.hard]
    for reason in result.reasons:
        levels = policy.thresholds.get(_category(reason.code)) if policy else None
        if levels is not None and levels.reject is not None \
                and result.scores.get(_category(reason.code), 0.0) >= levels.reject:
            codes.append(reason.code)
    return codes or [r.code for r in result.reasons]


def rejection_code(codes: Sequence[str]) -> str:
    """Coral's rejection code for our reason codes (``OTHER`` for personal information,
    a banned sender, a comment too long, and anything else without a closer code)."""
    for ours, coral in REJECTION_CODES:
        if any(code == ours or _category(code) == ours for code in codes):
            return coral
    return "OTHER"


def review_flags(codes: Sequence[str]) -> list[str]:
    """Coral's flag reasons for a comment held for review: only the two a phase may send,
    and only when they are true (a language we can't read or personal information gets
    no flag: it is withheld for a person to read)."""
    flags = []
    if any(_category(code) in TOXIC_CATEGORIES for code in codes):
        flags.append("COMMENT_DETECTED_TOXIC")
    if any(_category(code) == "spam" for code in codes):
        flags.append("COMMENT_DETECTED_SPAM")
    return flags


def coral_answer(status: str, result: PipelineResult | None, policy: Policy | None) -> dict[str, Any]:
    """The ``ExternalModerationResponse`` for our decision (``{}``: no decision, so Coral's
    other phases and its own settings decide).

    Both the top-level ``status`` (every Coral version with external phases) and
    ``moderationAction`` (versions with rejection reasons) are sent, with the same status.
    """
    if status == "approved":
        return {}
    if status == "rejected" and result is not None:
        code = rejection_code(rejecting_reasons(result, policy))
        return {"status": "REJECTED",
                "moderationAction": {"status": "REJECTED", "rejectionReason": {"code": code}}}
    answer: dict[str, Any] = {"status": "SYSTEM_WITHHELD",
                              "moderationAction": {"status": "SYSTEM_WITHHELD"}}
    flags = review_flags([r.code for r in result.reasons]) if result is not None else []
    if flags:
        answer["actions"] = [{"actionType": "FLAG", "reason": flag} for flag in flags]
    return answer


# --- judging and recording -------------------------------------------------------------

_COMMENTS = cast(Table, Comment.__table__)
_INSERT_COMMENT = insert(_COMMENTS).returning(_COMMENTS.c.id)


def body_fingerprint(comment: CoralComment) -> str:
    canonical = json.dumps({"source": SOURCE, "action": comment.action, "body": comment.body,
                            "parent_id": comment.parent_id, "author_id": comment.author_id,
                            "story_id": comment.story_id}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _edited_comment(session: Session, site: Site, comment: CoralComment) -> int | None:
    """The comment an EDIT changes: by Coral's id when sent, else the author's only comment
    on the story and parent within the edit window (None when there is none or several)."""
    base = select(IntegrationComment.comment_id).join(
        Comment, Comment.id == IntegrationComment.comment_id).where(
        IntegrationComment.site_id == site.id, IntegrationComment.source == SOURCE,
        Comment.withdrawn_at.is_(None))
    if comment.comment_id is not None:
        return session.scalar(base.where(IntegrationComment.external_comment_id == comment.comment_id)
                              .order_by(IntegrationComment.comment_id.desc()).limit(1))
    if comment.action != "EDIT":
        return None
    parent = Comment.parent_id.is_(None) if comment.parent_id is None \
        else Comment.parent_id == comment.parent_id
    found = list(session.scalars(base.where(
        IntegrationComment.author_id == comment.author_id,
        IntegrationComment.story_id == comment.story_id, parent,
        Comment.created_at >= utcnow() - EDIT_WINDOW).limit(2)))
    return found[0] if len(found) == 1 else None


def _pipeline(
    text: str, policy: Policy, checks: Sequence[Any], classifier: ClassifierLike | None,
    language_model: LatinModel | None,
) -> PipelineResult | None:
    if classifier is None:  # it couldn't be loaded: the workers will judge the comment
        return None
    try:
        return moderate_many([PipelineInput(text, None, policy, checks)], classifier=classifier,
                             language_model=language_model)[0]
    except Exception:  # the comment is still recorded; the workers try again
        log.exception("the in-process pipeline failed for a Coral comment")
        return None


def moderate_coral_comment(
    session: Session,
    *,
    site: Site,
    comment: CoralComment,
    actor: Actor,
    classifier: ClassifierLike | None,
    language_model: LatinModel | None,
    defaults: PolicyDefaults,
    pseudonym_key: str,
    submitted_from: str | None,
    request_id: str | None,
    enqueue: Enqueue,
) -> CoralOutcome:
    """Judge Coral's comment now and store it with its verdict (a new comment, or a new
    revision of the one an EDIT changes). Commits.

    Raises :class:`Invalid` when the body has no text once its HTML is stripped.
    """
    text = html_to_text(comment.body)
    if not text:
        session.rollback()
        raise Invalid.field("comment.body", "blank", "The comment has no text once its HTML is stripped.")
    sender = pseudonym(pseudonym_key, site.id, f"{SOURCE}:{comment.author_id}")
    policy = policies.site_policy(site, classifier.thresholds if classifier else {}, defaults)
    now = utcnow()
    bans = [BanRule(kind, value) for kind, value in session.execute(
        select(Ban.kind, Ban.value).where(Ban.site_id == site.id, active_at(now)))]
    edited_id = _edited_comment(session, site, comment)
    # End the read transaction before the pipeline runs (on SQLite every transaction
    # holds the write lock from its BEGIN).
    session.rollback()
    checks = site_checks(SenderFacts(pseudonym=sender, ip=None, email=None), policy, bans)
    result = _pipeline(text, policy, checks, classifier, language_model)
    context = {"tenant_id": comment.tenant_id, "tenant_domain": comment.tenant_domain,
               "coral_site_id": comment.coral_site_id, "parent_id": comment.parent_id,
               "story_url": comment.story_url}

    if edited_id is not None:
        edit = revisions.edit_comment(session, comment_id=edited_id, actor=actor, text=text,
                                      title=None, base_revision=None, request_id=request_id,
                                      enqueue=lambda _id, _rid: None)
        origin = session.get(IntegrationComment, edited_id)
        if origin is not None:
            origin.last_action, origin.updated_at = comment.action, utcnow()
        if not edit.changed:  # the same text again: answer with what it already is
            session.commit()
            return _current(session, edited_id, policy)
        revision = edit.comment.revision
        return _finish(session, edited_id, revision, result, policy, request_id, enqueue, edited=True)

    comment_id: int = session.execute(_INSERT_COMMENT, dict(
        site_id=site.id, article_id=comment.story_id[:200], article_url=comment.story_url,
        parent_id=comment.parent_id, external_id=None, idempotency_key=None, title=TITLE, text=text,
        sender_pseudonym=sender, status="pending", request_id=request_id,
        body_fingerprint=body_fingerprint(comment), created_at=now, updated_at=now,
    )).scalar_one()
    session.execute(insert(cast(Table, SenderDetails.__table__)), dict(
        comment_id=comment_id, name=None, email=None, ip=None, user_agent=None,
        submitted_from=submitted_from))
    session.add(IntegrationComment(
        comment_id=comment_id, site_id=site.id, source=SOURCE, author_id=comment.author_id,
        author_role=comment.author_role, story_id=comment.story_id,
        external_comment_id=comment.comment_id, last_action=comment.action, context=context,
        ip_provided=False, created_at=now, updated_at=now))
    session.flush()
    return _finish(session, comment_id, 1, result, policy, request_id, enqueue, edited=False)


def _finish(
    session: Session, comment_id: int, revision: int, result: PipelineResult | None,
    policy: Policy, request_id: str | None, enqueue: Enqueue, *, edited: bool,
) -> CoralOutcome:
    """Write the verdict (the same writer the workers use) and commit; without a result the
    comment stays pending and goes to the workers."""
    if result is not None:
        written = write_verdicts(session, {comment_id: result}, {comment_id: revision})
        session.commit()
        if written:
            return CoralOutcome(comment_id, revision, result.decision, result, policy, edited)
        return _current(session, comment_id, policy)
    session.commit()
    try:
        enqueue(comment_id, request_id)
    except Exception:  # the sweeper re-enqueues pending comments
        log.warning("enqueue failed; Coral comment %s stays pending for the sweeper", comment_id,
                    exc_info=True)
    return CoralOutcome(comment_id, revision, "pending", None, policy, edited)


def _current(session: Session, comment_id: int, policy: Policy) -> CoralOutcome:
    """The comment as stored now (its latest verdict), for a request that changed nothing."""
    stored = session.get(Comment, comment_id)
    assert stored is not None
    verdict = session.scalars(select(Verdict).where(
        Verdict.comment_id == comment_id, Verdict.revision == stored.revision)
        .order_by(Verdict.id.desc()).limit(1)).first()
    status = stored.status if stored.status in ("approved", "rejected", "needs_review") else "pending"
    result = None
    if verdict is not None:
        reasons = tuple(Reason(r["code"], r.get("message", ""), hard=False) for r in verdict.reasons)
        result = PipelineResult(decision=cast(Any, verdict.decision), scores=dict(verdict.scores),
                                reasons=reasons, model_version=verdict.model_version,
                                policy_version=verdict.policy_version)
    session.commit()
    return CoralOutcome(comment_id, stored.revision, status, result, policy, edited=False)

