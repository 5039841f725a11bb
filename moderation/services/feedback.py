"""Record labelled feedback (a suggested score) for a site, audited; read it back for learning."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.store import Feedback, Site


def record_suggestion(
    session: Session, *, site: Site, text: str, language: str | None, scores: Mapping[str, float],
    community_id: str | None, client_token: str | None, actor: Actor, request_id: str | None,
) -> list[Feedback]:
    """One feedback row per suggested attribute, and one audit event. Commits."""
    rows = [Feedback(site_id=site.id, source="perspective.suggestscore", text=text, language=language,
                     attribute=name, score=float(value), community_id=community_id,
                     client_token=client_token, actor=actor.id)
            for name, value in scores.items()]
    session.add_all(rows)
    session.flush()
    audit.record(session, actor=actor, action="feedback.suggest", target_type="feedback",
                 target_id=rows[0].id, site_id=site.id,
                 after={"ids": [row.id for row in rows], "scores": dict(scores), "language": language},
                 request_id=request_id)
    session.commit()
    return rows
