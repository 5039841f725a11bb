"""Two-person rule between persons, answered cases and the overdue gauge, encrypted exports."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.support.compliance_data import (  # noqa: F401 (fixture)
    audit_events,
    export_case,
    export_dir,
    open_case,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site


def _admin_made_key(client: FlaskClient, admin: str, name: str) -> str:
    made = client.post("/v1/keys", json={"role": "compliance", "name": name}, headers=auth(admin))
    assert made.status_code == 201, made.get_json()
    token: str = made.get_json()["token"]
    return token


def test_a_second_key_of_the_same_person_cant_approve(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    seed_comment(app, site)
    admin, other_admin = make_key(app, "admin"), make_key(app, "admin")
    first = _admin_made_key(client, admin, "officer")
    same_person = _admin_made_key(client, admin, "officer")  # same name, same person
    colleague = _admin_made_key(client, other_admin, "colleague")

    case = open_case(client, first, {"site": site})
    export = export_case(client, first, case["id"])
    refused = client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(same_person))
    assert refused.status_code == 403  # old main: 200 (the rule was between keys)
    assert audit_events(app, "compliance.export.approve_refused")[-1]["after"]["reason"] == "self_approval"
    assert client.get(f"/v1/compliance/exports/{export['id']}/file",
                      headers=auth(first)).status_code == 403

    approved = client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(colleague))
    assert approved.status_code == 200
    body = approved.get_json()
    assert body["status"] == "ready"
    [approval] = body["approvals"]
    assert approval["by"]["name"] == "colleague"
    assert approval["by"]["person"] != export["created_by"]["person"]
    assert body["created_by"]["name"] == "officer"


def test_a_case_stays_due_until_its_export_is_downloaded(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    seed_comment(app, site)
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    received = (datetime.now(UTC) - timedelta(hours=80)).isoformat()
    case = open_case(client, officer, {"site": site}, received_at=received)

    def due_ids() -> list[int]:
        listed = client.get("/v1/compliance/requests/due", headers=auth(officer)).get_json()["requests"]
        return [c["id"] for c in listed]

    def overdue_gauge() -> float:
        text = client.get("/metrics").get_data(as_text=True)
        [line] = [ln for ln in text.splitlines() if ln.startswith("moderation_disclosure_cases_overdue ")]
        return float(line.split()[1])

    assert due_ids() == [case["id"]] and overdue_gauge() == 1.0
    export = export_case(client, officer, case["id"])
    # Awaiting approval: not downloadable, so not answered (old main: "answered").
    state = client.get(f"/v1/compliance/requests/{case['id']}", headers=auth(officer)).get_json()
    assert state["status"] == "exported" and state["due_state"] == "overdue"
    assert due_ids() == [case["id"]] and overdue_gauge() == 1.0
    client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(second))
    assert due_ids() == [case["id"]]
    assert client.get(f"/v1/compliance/exports/{export['id']}/file",
                      headers=auth(officer)).status_code == 200
    state = client.get(f"/v1/compliance/requests/{case['id']}", headers=auth(officer)).get_json()
    assert state["due_state"] == "answered" and state["answered_at"] is not None
    assert due_ids() == [] and overdue_gauge() == 0.0
    # Answered: closing needs no reason.
    closed = client.post(f"/v1/compliance/requests/{case['id']}/close", headers=auth(officer))
    assert closed.status_code == 200 and closed.get_json()["close_reason"] is None


def test_closing_an_unanswered_case_needs_a_reason(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    refused = client.post(f"/v1/compliance/requests/{case['id']}/close", headers=auth(officer))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["details"][0]["field"] == "reason"
    closed = client.post(f"/v1/compliance/requests/{case['id']}/close",
                         json={"reason": "refused: order invalid"}, headers=auth(officer))
    body = closed.get_json()
    assert body["close_reason"] == "refused: order invalid" and body["due_state"] == "answered"


def test_export_files_are_encrypted_at_rest(app: Flask, client: FlaskClient, export_dir: Path) -> None:  # noqa: F811
    site = make_site(app)
    seed_comment(app, site, email="asha@example.com", ip="203.0.113.7")
    officer, second = make_key(app, "compliance"), make_key(app, "compliance")
    case = open_case(client, officer, {"site": site})
    export = export_case(client, officer, case["id"])
    [stored] = list(export_dir.iterdir())
    raw = stored.read_bytes()
    assert b"asha@example.com" not in raw and b"203.0.113.7" not in raw  # old main: plaintext
    client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(second))
    response = client.get(f"/v1/compliance/exports/{export['id']}/file", headers=auth(officer))
    data = response.get_data()
    assert hashlib.sha256(data).hexdigest() == export["sha256"] == response.headers["X-Content-SHA256"]
    [row] = list(csv.DictReader(io.StringIO(data.decode())))
    assert row["sender_email"] == "asha@example.com"
    # A flipped byte in the ciphertext is caught, never served.
    tampered = bytearray(raw)
    tampered[-5] ^= 1
    stored.write_bytes(bytes(tampered))
    assert client.get(f"/v1/compliance/exports/{export['id']}/file",
                      headers=auth(officer)).status_code == 500
