"""Retention anonymises old sender details, except records under a hold, and is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from moderation.services import retention
from moderation.services.access import SYSTEM_RETENTION, Actor
from moderation.services.holds import create_hold
from moderation.services.scopes import Scope
from moderation.store import Comment
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    SECRET,
    audit_events,
    export_dir,
    open_case,
    seed_comment,
    sender,
)
from tests.support.factories import auth, make_key, make_site

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _run(app: Flask, now: datetime = NOW, days: int = 180) -> retention.RetentionReport:
    with app.extensions["db"].session() as session:
        return retention.run_retention(session, retention_days=days, actor=SYSTEM_RETENTION, now=now)


def _hold(app: Flask, scope: Scope, *, expires_at: datetime | None = None) -> int:
    with app.extensions["db"].session() as session:
        return create_hold(session, scope=scope, reference="Order 7", notes="", expires_at=expires_at,
                           actor=Actor.system("test")).id


def test_erases_at_exactly_the_retention_period_and_not_a_second_before(app: Flask) -> None:
    site = make_site(app)
    old = seed_comment(app, site, created_at=NOW - 180 * DAY)
    young = seed_comment(app, site, created_at=NOW - 180 * DAY + SECOND)
    report = _run(app)
    assert (report.erased, report.skipped_held) == (1, 0)
    erased = sender(app, old)
    assert (erased.name, erased.email, erased.ip, erased.user_agent, erased.submitted_from) == (None,) * 5
    assert erased.erased_at is not None
    assert sender(app, young).email == "asha@example.com"
    with app.extensions["db"].session() as session:  # the comment itself stays
        comment = session.get(Comment, old)
        assert comment is not None and comment.text == "A thoughtful piece."
    assert _run(app).erased == 0  # idempotent


def test_the_period_is_configurable(app: Flask) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, created_at=NOW - 31 * DAY)
    assert _run(app).erased == 0
    assert _run(app, days=30).erased == 1
    assert sender(app, comment).ip is None


def test_held_records_are_skipped_until_the_hold_expires(app: Flask) -> None:
    site = make_site(app)
    held = seed_comment(app, site, created_at=NOW - 400 * DAY, email="held@example.com")
    free = seed_comment(app, site, created_at=NOW - 400 * DAY)
    _hold(app, Scope(site_id=site, sender_email="HELD@example.com"), expires_at=NOW + SECOND)
    report = _run(app)
    assert (report.erased, report.skipped_held, report.holds) == (1, 1, 1)
    assert sender(app, held).email == "held@example.com" and sender(app, free).email is None
    # expires_at is exclusive: at the expiry instant the hold no longer applies.
    assert _run(app, now=NOW + SECOND).erased == 1
    assert sender(app, held).email is None


def test_a_hold_covers_its_time_window_inclusively(app: Flask) -> None:
    site = make_site(app)
    start = NOW - 300 * DAY
    first = seed_comment(app, site, created_at=start)
    last = seed_comment(app, site, created_at=start + DAY)
    after = seed_comment(app, site, created_at=start + DAY + SECOND)
    before = seed_comment(app, site, created_at=start - SECOND)
    _hold(app, Scope(site_id=site, since=start, until=start + DAY))
    assert _run(app).skipped_held == 2
    assert sender(app, first).ip and sender(app, last).ip
    assert sender(app, after).ip is None and sender(app, before).ip is None


def test_released_holds_stop_holding(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, created_at=NOW - 200 * DAY, ip="192.0.2.77")
    officer = make_key(app, "compliance")
    hold = client.post("/v1/compliance/holds", headers=auth(officer),
                       json={"scope": {"sender_ip": "192.0.2.64/26"}, "reference": "Order 8"}).get_json()
    assert _run(app).skipped_held == 1
    assert client.post(f"/v1/compliance/holds/{hold['id']}/release", headers=auth(officer)).status_code == 200
    assert _run(app).erased == 1 and sender(app, comment).ip is None
    assert [e["target_id"] for e in audit_events(app, "compliance.hold.release")] == [str(hold["id"])]


def test_an_open_disclosure_request_implies_a_hold_until_closed(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, created_at=NOW - 365 * DAY)
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"comment_ids": [comment]})
    assert _run(app).skipped_held == 1
    client.post(f"/v1/compliance/requests/{case['id']}/exports", headers=auth(officer))
    assert _run(app).skipped_held == 1  # exported but not closed: still held
    client.post(f"/v1/compliance/requests/{case['id']}/close", json={"reason": "answered by letter"},
                headers=auth(officer))
    assert _run(app).erased == 1


def test_each_run_is_audited_with_counts(app: Flask) -> None:
    site = make_site(app)
    seed_comment(app, site, created_at=NOW - 181 * DAY)
    held = seed_comment(app, site, created_at=NOW - 181 * DAY, article_id="court-case")
    _hold(app, Scope(site_id=site, article_id="court-case"))
    _run(app)
    (event,) = audit_events(app, "retention.purge")
    assert event["actor"] == "system:retention"
    assert event["after"]["erased"] == 1 and event["after"]["skipped_held"] == 1
    assert event["after"]["retention_days"] == 180
    assert sender(app, held).ip is not None


def test_erasure_refuses_under_hold_and_records_the_refusal(app: Flask) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, email="reader@example.com")
    hold_id = _hold(app, Scope(comment_ids=(comment,)))
    with app.extensions["db"].session() as session:
        result = retention.erase_sender(session, email="Reader@Example.com", pseudonym_key=SECRET,
                                        actor=Actor.system("cli"))
    assert result.refused and result.erased == 0
    assert [h.id for h in result.held_by] == [hold_id]
    assert sender(app, comment).email == "reader@example.com"
    (event,) = audit_events(app, "sender.erase_refused")
    assert event["after"]["held_by"] == [f"hold #{hold_id} (Order 7)"]
    assert "reader@example.com" not in str(event)  # the log keeps the pseudonym, not the email


def test_the_beat_schedule_runs_the_retention_task_daily(app: Flask) -> None:
    from workers.celery_app import celery_config
    from workers.tasks import retention_run

    schedule = celery_config(app.extensions["settings"])["beat_schedule"]
    assert any(entry["task"] == retention_run.name for entry in schedule.values())
    site = make_site(app)
    comment = seed_comment(app, site, created_at=datetime.now(UTC) - 200 * DAY)
    with app.app_context():
        assert retention_run.run() == {"erased": 1, "skipped_held": 0, "exports_deleted": 0,
                                       "exports_kept_held": 0}
    assert sender(app, comment).email is None
