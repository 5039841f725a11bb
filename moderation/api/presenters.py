"""How comments, decisions and bans look to moderators.

A moderator never sees a sender's full IP address or email: only the /24 (IPv4)
or /48 (IPv6) prefix, ``r***@example.com`` and the stable pseudonym.
"""

from __future__ import annotations

from typing import Any

from moderation.senders import mask_email, mask_ip
from moderation.store import Comment, Decision, Verdict


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def masked_sender(pseudonym: str, ip: str | None, email: str | None) -> dict[str, Any]:
    return {"ip_prefix": mask_ip(ip), "email_masked": mask_email(email), "pseudonym": pseudonym}


def verdict_body(verdict: Verdict) -> dict[str, Any]:
    spans = [span for reason in verdict.reasons for span in reason.get("spans", [])]
    return {
        "decision": verdict.decision,
        "categories": verdict.scores,
        "reasons": verdict.reasons,
        "spans": sorted(spans, key=lambda s: (s["start"], s["end"])),
        "model_version": verdict.model_version,
        "policy_version": verdict.policy_version,
        "language": verdict.language,
        "decided_at": verdict.created_at.isoformat(),
    }


def moderator_comment(comment: Comment, ip: str | None, email: str | None,
                      verdict: Verdict | None) -> dict[str, Any]:
    return {
        "id": comment.id,
        "site_id": comment.site_id,
        "article_id": comment.article_id,
        "external_id": comment.external_id,
        "title": comment.title,
        "text": comment.text,
        "status": comment.status,
        "toxicity": comment.toxicity,
        "language": comment.language,
        "created_at": iso(comment.created_at),
        "moderated_at": iso(comment.moderated_at),
        "sender": masked_sender(comment.sender_pseudonym, ip, email),
        "verdict": verdict_body(verdict) if verdict is not None else None,
        "moderator_decision": (
            {"decision": comment.last_decision, "decided_at": iso(comment.decided_at)}
            if comment.last_decision else None
        ),
        "links": {"self": f"/v1/comments/{comment.id}",
                  "decision": f"/v1/comments/{comment.id}/decision"},
    }


def decision_body(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "comment_id": decision.comment_id,
        "decision": decision.decision,
        "reason": decision.reason,
        "moderator": decision.actor,
        "moderator_id": decision.actor_id,
        "override": decision.override,
        "decided_at": iso(decision.created_at),
    }
