"""Liveness, readiness and the Prometheus endpoint."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from tests.support.factories import auth, comment_body, make_key, make_site


def test_healthz_and_readyz_when_everything_is_up(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_reports_an_unreachable_redis(database_url: str) -> None:
    app = create_app({"database_url": database_url, "redis_url": "redis://127.0.0.1:1/0"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("unavailable")


def test_metrics_count_requests_and_report_pending(app: Flask, client: FlaskClient) -> None:
    token = make_key(app, "site", make_site(app))
    client.post("/v1/comments", json=comment_body(), headers=auth(token))
    text = client.get("/metrics").get_data(as_text=True)
    assert 'moderation_http_requests_total{method="POST",route="/v1/comments",status="202"}' in text
    assert "moderation_http_request_duration_seconds_bucket" in text
    assert "moderation_pending_comments 1.0" in text
    assert "moderation_oldest_pending_age_seconds" in text
