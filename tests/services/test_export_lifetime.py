"""Export files have a lifetime: deleted after their case closes (unless held) and on erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from moderation.services import retention
from moderation.services.access import SYSTEM_RETENTION, Actor
from moderation.services.holds import create_hold
from moderation.services.scopes import Scope
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    SECRET,
    audit_events,
    export_case,
    export_dir,
    open_case,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site


def _exported_case(app: Flask, client: FlaskClient, site: int, email: str) -> tuple[str, dict, dict]:
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, officer, {"site": site, "sender_email": email})
    export = export_case(client, officer, case["id"])
    client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(second))
    assert client.get(f"/v1/compliance/exports/{export['id']}/file", headers=auth(officer)).status_code == 200
    return officer, case, export


def test_erasing_a_sender_deletes_the_exports_holding_them(
    app: Flask, client: FlaskClient, export_dir: Path  # noqa: F811
) -> None:
    site = make_site(app)
    seed_comment(app, site, email="reader@example.com")
    officer, case, export = _exported_case(app, client, site, "reader@example.com")
    client.post(f"/v1/compliance/requests/{case['id']}/close", headers=auth(officer))
    assert len(list(export_dir.iterdir())) == 1
    with app.extensions["db"].session() as session:
        result = retention.erase_sender(session, email="reader@example.com", pseudonym_key=SECRET,
                                        actor=Actor.system("test"), export_dir=export_dir)
    assert result.erased == 1
    assert list(export_dir.iterdir()) == []  # old main: the file still held the email and IP
    gone = client.get(f"/v1/compliance/exports/{export['id']}/file", headers=auth(officer))
    assert gone.status_code == 409
    meta = client.get(f"/v1/compliance/exports/{export['id']}", headers=auth(officer)).get_json()
    assert meta["status"] == "deleted" and meta["deleted_reason"] == "sender_erased"
    [event] = audit_events(app, "compliance.export.delete")
    assert event["after"]["reason"] == "sender_erased" and event["after"]["erased_records"] == 1


def test_exports_are_deleted_after_their_case_closed_unless_held(
    app: Flask, client: FlaskClient, export_dir: Path  # noqa: F811
) -> None:
    site = make_site(app)
    seed_comment(app, site, email="one@example.com")
    seed_comment(app, site, email="two@example.com")
    officer, case_one, export_one = _exported_case(app, client, site, "one@example.com")
    _officer, case_two, export_two = _exported_case(app, client, site, "two@example.com")
    for case in (case_one, case_two):
        client.post(f"/v1/compliance/requests/{case['id']}/close", headers=auth(officer))
    with app.extensions["db"].session() as session:
        create_hold(session, scope=Scope(site_id=site, sender_email="two@example.com"), reference="Order 9",
                    notes="", expires_at=None, actor=Actor.system("test"))

    def run(days_later: int, dry_run: bool = False) -> retention.RetentionReport:
        with app.extensions["db"].session() as session:
            return retention.run_retention(
                session, retention_days=3650, actor=SYSTEM_RETENTION, export_dir=export_dir,
                export_lifetime_days=30, now=datetime.now(UTC) + timedelta(days=days_later),
                dry_run=dry_run)

    assert run(29).exports_deleted == 0 and len(list(export_dir.iterdir())) == 2
    report = run(31)
    assert (report.exports_deleted, report.exports_kept_held) == (1, 1)
    meta = client.get(f"/v1/compliance/exports/{export_one['id']}", headers=auth(officer)).get_json()
    assert meta["status"] == "deleted" and meta["deleted_reason"] == "lifetime_expired"
    kept = client.get(f"/v1/compliance/exports/{export_two['id']}", headers=auth(officer)).get_json()
    assert kept["status"] == "ready" and len(list(export_dir.iterdir())) == 1


def test_the_scheduled_retention_task_deletes_expired_exports_too(
    app: Flask, client: FlaskClient, export_dir: Path  # noqa: F811
) -> None:
    """The beat task, not only the CLI, reaches export files (it used to pass no export folder)."""
    from sqlalchemy import update

    from moderation.store.compliance import DisclosureRequest
    from workers import tasks

    site = make_site(app)
    seed_comment(app, site, email="one@example.com")
    officer, case, export = _exported_case(app, client, site, "one@example.com")
    client.post(f"/v1/compliance/requests/{case['id']}/close", headers=auth(officer))
    with app.extensions["db"].session() as session:  # the case closed 31 days ago
        session.execute(update(DisclosureRequest).where(DisclosureRequest.id == case["id"])
                        .values(closed_at=datetime.now(UTC) - timedelta(days=31)))
        session.commit()
    assert len(list(export_dir.iterdir())) == 1
    with app.app_context():
        result = tasks.retention_run.run()
    assert result["exports_deleted"] == 1 and list(export_dir.iterdir()) == []
    meta = client.get(f"/v1/compliance/exports/{export['id']}", headers=auth(officer)).get_json()
    assert meta["status"] == "deleted" and meta["deleted_reason"] == "lifetime_expired"
