"""The hash-chained audit log: appends chain, verification finds tampering."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import text

from moderation import audit
from moderation.domain.actors import Actor


def _append(app: Flask, n: int) -> None:
    with app.extensions["db"].session() as session:
        for i in range(n):
            audit.record(session, actor=Actor.system("test", "admin-key"), action="site.update",
                         target_type="site", target_id=i, before={"n": i},
                         after={"n": i + 1}, request_id=f"r{i}")
        session.commit()


def test_chain_verifies_after_appends(app: Flask) -> None:
    _append(app, 5)
    with app.extensions["db"].session() as session:
        report = audit.verify_chain(session)
    assert report.ok and report.checked == 5


def test_direct_tampering_is_detected_at_the_edited_row(app: Flask) -> None:
    _append(app, 5)
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'someone-else' WHERE id = 3"))
    with app.extensions["db"].session() as session:
        report = audit.verify_chain(session)
    assert report.first_broken_id == 3


def test_deleting_the_newest_row_is_detected(app: Flask) -> None:
    _append(app, 3)
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = 3"))
    with app.extensions["db"].session() as session:
        assert not audit.verify_chain(session).ok
