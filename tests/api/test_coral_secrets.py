"""A site's Coral signing secrets: registered through the admin API or the CLI, never shown
again, encrypted at rest, revocable, audited (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.cli import build_cli
from moderation.services import coral_secrets
from moderation.store import AuditEvent, CoralSecret
from tests.support.factories import auth, make_key, make_site

SECRET = "empsec_6a1f0c2e9b7d4a3c8e5f1b2d7c9a0e4f"
ROTATED = "empsec_0b9e8d7c6a5f4e3d2c1b0a9f8e7d6c5b"


def _events(app: Flask, prefix: str) -> list[AuditEvent]:
    with app.extensions["db"].session() as session:
        return [e for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
                if e.action.startswith(prefix)]


def test_secrets_are_managed_by_admins_and_never_shown_again(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "gazette")
    admin = make_key(app, "admin")
    url = f"/v1/sites/{site}/coral/secrets"
    created = client.post(url, json={"secret": SECRET, "name": "phase 1"}, headers=auth(admin))
    assert created.status_code == 201
    record = created.get_json()
    assert record["prefix"] == SECRET[:11] and record["active"] is True
    assert SECRET not in created.get_data(as_text=True)
    client.post(url, json={"secret": ROTATED}, headers=auth(admin))
    listed = client.get(url, headers=auth(admin))
    assert SECRET not in listed.get_data(as_text=True) and ROTATED not in listed.get_data(as_text=True)
    body = listed.get_json()
    assert [item["prefix"] for item in body["items"]] == [SECRET[:11], ROTATED[:11]]
    assert body["endpoint"].endswith(f"/v1/integrations/coral/{site}")
    # stored encrypted: neither the secret nor its hex appears in the row
    with app.extensions["db"].session() as session:
        for row in session.scalars(select(CoralSecret)):
            assert SECRET.encode() not in row.ciphertext and ROTATED.encode() not in row.ciphertext
    again = client.post(url, json={"secret": SECRET}, headers=auth(admin))
    assert again.status_code == 409
    for bad in ({"secret": "whsec_notcoral0123456789"}, {"secret": "empsec_short"}, {},
                {"secret": SECRET + "x", "expires_at": "2001-01-01T00:00:00+00:00"},
                {"secret": SECRET + "y", "extra": 1}):
        assert client.post(url, json=bad, headers=auth(admin)).status_code == 422, bad
    revoked = client.delete(f"{url}/{record['id']}", headers=auth(admin))
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    assert [i["prefix"] for i in client.get(url, headers=auth(admin)).get_json()["items"]] == [ROTATED[:11]]
    everything = client.get(f"{url}?include_revoked=true", headers=auth(admin)).get_json()["items"]
    assert len(everything) == 2
    assert client.delete(f"{url}/999", headers=auth(admin)).status_code == 404
    events = _events(app, "coral.secret.")
    assert [(e.action, e.actor) for e in events] == [
        ("coral.secret.add", "key:1"), ("coral.secret.add", "key:1"), ("coral.secret.revoke", "key:1")]
    assert all(SECRET not in json.dumps([e.before, e.after]) for e in events)


def test_only_admins_manage_secrets(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "gazette")
    url = f"/v1/sites/{site}/coral/secrets"
    assert client.get(url).status_code == 401
    for role, site_id in (("moderator", None), ("site", site)):
        key = make_key(app, role, site_id)
        assert client.post(url, json={"secret": SECRET}, headers=auth(key)).status_code == 403
        assert client.get(url, headers=auth(key)).status_code == 403


def test_the_cli_adds_lists_and_revokes(app: Flask, client: FlaskClient, database_url: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    # the CLI and the web process share the key that encrypts the secrets
    monkeypatch.setenv("MODERATION_SECRET_KEY", app.extensions["settings"].secret_key)
    site = make_site(app, "gazette")
    runner = CliRunner()
    added = runner.invoke(build_cli(), ["coral-secret", "add", "gazette", "--name", "main"],
                          input=SECRET + "\n")
    assert added.exit_code == 0, added.output
    assert SECRET[:11] in added.output and SECRET not in added.output
    assert f"/v1/integrations/coral/{site}" in added.output
    body = json.dumps({"action": "NEW", "comment": {"body": "Thanks.", "parentID": None},
                       "author": {"id": "a1", "role": "COMMENTER"}, "story": {"id": "s1", "url": ""},
                       "site": {"id": "x"}, "tenantID": "t", "tenantDomain": "d"}, indent=2).encode()
    signed = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(f"/v1/integrations/coral/{site}", data=body,
                         headers={"X-Coral-Signature": signed, "Content-Type": "application/json"})
    assert answer.status_code == 204  # the secret the CLI stored verifies in the web process
    assert runner.invoke(build_cli(), ["coral-secret", "add", "gazette"],
                         input="not-a-secret\n").exit_code == 2
    listed = runner.invoke(build_cli(), ["coral-secret", "list", "gazette"])
    assert listed.exit_code == 0 and "active" in listed.output and SECRET not in listed.output
    secret_id = listed.output.split("\t", 1)[0]
    revoked = runner.invoke(build_cli(), ["coral-secret", "revoke", "gazette", secret_id])
    assert revoked.exit_code == 0, revoked.output
    assert "no Coral signing secret" in runner.invoke(build_cli(), ["coral-secret", "list", "gazette"]).output
    assert client.post(f"/v1/integrations/coral/{site}", data=body,
                       headers={"X-Coral-Signature": signed}).status_code == 401
    assert [e.actor for e in _events(app, "coral.secret.")] == ["system:cli", "system:cli"]


def test_signature_checks_are_pure_and_constant_time_over_every_pair() -> None:
    body = b'{\n  "action": "NEW"\n}'
    secrets = [(1, SECRET.encode()), (2, ROTATED.encode())]
    both = coral_secrets.sign(body, [ROTATED, SECRET])
    assert coral_secrets.check_signature(body, both, secrets).secret_id == 1  # the first that matches
    assert coral_secrets.check_signature(body, coral_secrets.sign(body, [ROTATED]), secrets).secret_id == 2
    assert coral_secrets.check_signature(body + b" ", both, secrets).problem == "mismatch"
    assert coral_secrets.check_signature(body, None, secrets).problem == "missing"
    assert coral_secrets.check_signature(body, "sha256=zz", secrets).problem == "malformed"
    assert coral_secrets.check_signature(body, both, []).problem == "no_secret"
    key = bytes(32)
    blob = coral_secrets.encrypt(key, 7, SECRET)
    assert coral_secrets.decrypt(key, 7, blob) == SECRET.encode()
    assert coral_secrets.decrypt(key, 8, blob) is None  # another site's row
    assert coral_secrets.decrypt(bytes([1]) * 32, 7, blob) is None  # another key
