"""Full sender records: a comment, its sender's details and its verdict and decision history.

Records are read in keyset-paginated batches of plain rows (no ORM identity map),
so a caller streaming 100k of them holds one batch in memory at a time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.services.access import Actor, Invalid, NotFound, Refused, in_id_range
from moderation.services.scopes import Scope
from moderation.store import Comment, Decision, SenderDetails, Site, Verdict

BATCH_SIZE = 1000

#: Export columns, in order. ``verdicts`` and ``decisions`` hold JSON lists.
FIELDS = (
    "comment_id", "site", "article_id", "article_url", "submitted_at", "title", "text",
    "sender_name", "sender_email", "sender_ip", "sender_user_agent", "submitted_from",
    "sender_erased_at", "status", "verdicts", "decisions",
)


def iso(value: datetime | None) -> str | None:
    """UTC, ISO 8601 with a ``+00:00`` offset: the format of every other API timestamp."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat()


def _base_query(scope: Scope) -> Any:
    return (
        select(Comment.id, Site.name, Comment.article_id, Comment.article_url, Comment.created_at,
               Comment.title, Comment.text, SenderDetails.name, SenderDetails.email, SenderDetails.ip,
               SenderDetails.user_agent, SenderDetails.submitted_from, SenderDetails.erased_at,
               Comment.status)
        .join(Site, Site.id == Comment.site_id)
        .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
        .where(*scope.conditions())
    )


def count_candidates(session: Session, scope: Scope) -> int:
    """Rows matching in SQL (an upper bound when a CIDR needs the Python check)."""
    query = (select(func.count()).select_from(Comment)
             .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
             .where(*scope.conditions()))
    return int(session.scalar(query) or 0)


def _history(session: Session, ids: list[int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
    verdicts: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(Verdict.comment_id, Verdict.decision, Verdict.scores, Verdict.model_version,
               Verdict.policy_version, Verdict.created_at)
        .where(Verdict.comment_id.in_(ids)).order_by(Verdict.comment_id, Verdict.id)
    ):
        verdicts[row[0]].append({"decision": row[1], "scores": row[2], "model_version": row[3],
                                 "policy_version": row[4], "decided_at": iso(row[5])})
    decisions: dict[int, list[Any]] = defaultdict(list)
    for row in session.execute(
        select(Decision.comment_id, Decision.decision, Decision.reason, Decision.actor,
               Decision.override, Decision.created_at)
        .where(Decision.comment_id.in_(ids)).order_by(Decision.comment_id, Decision.id)
    ):
        decisions[row[0]].append({"decision": row[1], "reason": row[2], "actor": row[3],
                                  "override": row[4], "decided_at": iso(row[5])})
    return verdicts, decisions


def iter_batches(session: Session, scope: Scope, batch_size: int = BATCH_SIZE
                 ) -> Iterator[list[dict[str, Any]]]:
    """Yield the scope's records, in comment id order, one batch at a time."""
    last_id = 0
    while True:
        rows = session.execute(
            _base_query(scope).where(Comment.id > last_id).order_by(Comment.id).limit(batch_size)
        ).all()
        if not rows:
            return
        last_id = rows[-1][0]
        if scope.needs_ip_check:
            rows = [row for row in rows if scope.ip_matches(row[9])]
        if not rows:
            continue
        ids = [row[0] for row in rows]
        verdicts, decisions = _history(session, ids)
        yield [
            {
                "comment_id": row[0], "site": row[1], "article_id": row[2], "article_url": row[3],
                "submitted_at": iso(row[4]), "title": row[5], "text": row[6],
                "sender_name": row[7], "sender_email": row[8], "sender_ip": row[9],
                "sender_user_agent": row[10], "submitted_from": row[11],
                "sender_erased_at": iso(row[12]), "status": row[13],
                "verdicts": verdicts.get(row[0], []), "decisions": decisions.get(row[0], []),
            }
            for row in rows
        ]


def view_sender(session: Session, comment_id: int, actor: Actor, *, case_id: int | None,
                request_id: str | None = None) -> dict[str, Any]:
    """One comment's full sender record, read within a disclosure case; audited with the case.

    The case must be open (not closed), its scope must cover the comment, and one of
    its exports must have been approved (``ready``: by a second person where the
    two-person rule is on). A lone compliance key can't read sender details outside that.
    """
    from moderation.services.disclosure import visible_request
    from moderation.store import Export

    if case_id is None:
        raise Invalid.field("query.case_id", "required",
                            "Sender details are read within a disclosure case: pass ?case_id=.")
    case = visible_request(session, case_id, actor)
    site_id = (session.scalar(select(Comment.site_id).where(Comment.id == comment_id))
               if in_id_range(comment_id) else None)
    if site_id is None or not actor.may_see(site_id):
        raise NotFound("No such comment.")

    def refuse(reason: str, message: str) -> Refused:
        audit.record(session, actor=actor, action="sender.view_refused", target_type="comment",
                     target_id=comment_id, site_id=site_id,
                     after={"case_id": case.id, "reason": reason}, request_id=request_id)
        session.commit()
        return Refused(message)

    if case.status == "closed":
        raise refuse("case_closed", "The disclosure case is closed.")
    scope = Scope.from_json(case.scope, case.site_id)
    row = session.execute(_base_query(scope).where(Comment.id == comment_id)).first()
    if row is None or (scope.needs_ip_check and not scope.ip_matches(row[9])):
        raise refuse("out_of_scope", "The comment is outside the case's scope.")
    approved = session.scalar(select(func.count()).select_from(Export)
                              .where(Export.request_id == case.id, Export.status == "ready"))
    if not approved:
        raise refuse("not_approved", "The case has no approved export yet; a second person must "
                                     "approve it before sender details can be read.")
    batch = next(iter_batches(session, Scope(site_id=site_id, comment_ids=(comment_id,))))
    audit.record(session, actor=actor, action="sender.view", target_type="comment",
                 target_id=comment_id, site_id=site_id, after={"case_id": case.id},
                 request_id=request_id)
    session.commit()
    return batch[0]
