"""The webhooks command line: add (refused for an unsafe URL), list, rotate, deliver to a
real receiver, read the log and redeliver; every change audited as ``system:cli``."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select

from moderation.services import moderation as moderation_service
from moderation.store import AuditEvent
from tests.support.factories import make_site
from tests.support.fake_classifier import FakeClassifier
from tests.support.moderation_data import add_comment
from tests.support.webhook_receiver import receiving

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_SECRET_KEY", "test-secret-key-0123456789")
    monkeypatch.setenv("MODERATION_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.0/8")

    def run(*args: str) -> Result:
        from moderation.cli import build_cli

        return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)

    return run


def test_cli_manages_endpoints_and_delivers(app: Flask, invoke: Invoke,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    site = make_site(app)
    refused = invoke("webhooks", "add", "--site-id", str(site), "--url", "http://169.254.169.254/x",
                     "--event", "comment.moderated")
    assert refused.exit_code == 2 and "metadata" in refused.output
    with receiving() as receiver:
        added = invoke("webhooks", "add", "--site-id", str(site), "--url", receiver.url,
                       "--event", "comment.moderated", "--description", "cms")
        assert added.exit_code == 0, added.output
        endpoint_id, secret = added.output.split()[1], added.output.strip().splitlines()[-1]
        assert secret.startswith("whsec_")
        receiver.secrets.append(secret)
        listed = invoke("webhooks", "list", "--site-id", str(site))
        assert receiver.url in listed.output and secret not in listed.output
        rotated = invoke("webhooks", "rotate-secret", endpoint_id, "--keep-previous-hours", "1")
        receiver.secrets.append(rotated.output.strip())

        comment = add_comment(app, site, status="pending")
        with app.extensions["db"].session() as session:
            moderation_service.moderate_comment(session, comment, FakeClassifier())
        assert "1 delivered" in invoke("webhooks", "deliver-now").output
        log = invoke("webhooks", "deliveries", endpoint_id).output
        [entry] = [json.loads(line) for line in log.splitlines()]
        assert entry["status"] == "delivered" and entry["attempts"][0]["status_code"] == 200
        assert invoke("webhooks", "redeliver", endpoint_id, str(entry["id"])).exit_code == 0
        assert "1 delivered" in invoke("webhooks", "deliver-now").output
    assert [r.verified for r in receiver.received] == [True, True]
    assert len(receiver.received[0].headers["webhook-signature"].split()) == 2
    with app.extensions["db"].session() as session:
        actors = set(session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action.like("webhook.%"))).all())
    assert actors == {"system:cli"}
