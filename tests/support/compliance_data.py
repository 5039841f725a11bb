"""Seeding helpers for the compliance tests: comments with sender details and history."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.store import AuditEvent, Comment, Decision, SenderDetails, Verdict
from tests.support.factories import auth

SECRET = "test-secret-key-0123456789"


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Exports go to a per-test folder (set before the ``app`` fixture reads settings)."""
    path = tmp_path / "exports"
    monkeypatch.setenv("MODERATION_EXPORT_DIR", str(path))
    yield path


def seed_comment(
    app: Flask,
    site_id: int,
    *,
    name: str = "Asha Rao",
    email: str = "asha@example.com",
    ip: str = "203.0.113.7",
    user_agent: str = "Mozilla/5.0",
    article_id: str = "budget-2026",
    title: str = "On the budget",
    text: str = "A thoughtful piece.",
    created_at: datetime | None = None,
    history: bool = False,
) -> int:
    created_at = created_at or datetime.now(UTC)
    with app.extensions["db"].session() as session:
        comment = Comment(site_id=site_id, article_id=article_id, title=title, text=text,
                          sender_pseudonym="snd_test", status="approved", created_at=created_at,
                          updated_at=created_at)
        session.add(comment)
        session.flush()
        session.add(SenderDetails(comment_id=comment.id, name=name, email=email, ip=ip,
                                  user_agent=user_agent, submitted_from="198.51.100.1"))
        if history:
            session.add(Verdict(comment_id=comment.id, decision="needs_review", scores={"abuse": 0.6},
                                reasons=[], model_version="m1", policy_version=1))
            session.add(Decision(comment_id=comment.id, decision="rejected", reason="abusive",
                                 actor="moderator-1"))
        session.commit()
        return comment.id


def sender(app: Flask, comment_id: int) -> SenderDetails:
    with app.extensions["db"].session() as session:
        row = session.get(SenderDetails, comment_id)
        assert row is not None
        return row


def audit_actions(app: Flask) -> list[str]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def audit_events(app: Flask, action: str) -> list[dict[str, Any]]:
    with app.extensions["db"].session() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                               .order_by(AuditEvent.id))
        return [{"actor": e.actor, "target_id": e.target_id, "site_id": e.site_id, "after": e.after}
                for e in rows]


CASE: dict[str, Any] = {
    "authority": "Cyber Cell, Delhi Police",
    "legal_reference": "Notice 91/2026",
    "legal_basis": "IT Rules 2021 r.3(1)(j)",
    "received_at": "2026-11-01T09:00:00Z",
}


def open_case(client: FlaskClient, token: str, scope: dict[str, Any], **fields: Any) -> dict[str, Any]:
    response = client.post("/v1/compliance/requests", json={**CASE, "scope": scope, **fields},
                           headers=auth(token))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def export_case(client: FlaskClient, token: str, case_id: int, fmt: str = "csv") -> dict[str, Any]:
    response = client.post(f"/v1/compliance/requests/{case_id}/exports", json={"format": fmt},
                           headers=auth(token))
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body
