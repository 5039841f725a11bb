"""MODERATION_METRICS_TOKEN: /metrics is open by default, and bearer-protected when set."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from tests.support.factories import auth, make_key

TOKEN = "scrape-token-0123456789abcdef"


@pytest.fixture
def guarded_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789", "metrics_token": TOKEN})
    app.testing = True
    yield app
    app.extensions["db"].dispose()


def test_open_by_default(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert "moderation_pending_comments" in response.get_data(as_text=True)


@pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}", "Bearer"])
def test_without_the_token_it_answers_401_in_the_error_shape(guarded_app: Flask, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = guarded_app.test_client().get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "moderation_" not in response.get_data(as_text=True)


def test_an_api_key_is_not_the_metrics_token(guarded_app: Flask) -> None:
    admin = make_key(guarded_app, "admin")
    assert guarded_app.test_client().get("/metrics", headers=auth(admin)).status_code == 401


def test_with_the_token_it_serves_metrics(guarded_app: Flask) -> None:
    response = guarded_app.test_client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert "moderation_pending_comments" in response.get_data(as_text=True)


def test_the_document_says_how(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    operation = spec["paths"]["/metrics"]["get"]
    assert "401" in operation["responses"]
    assert {} in operation["security"] and {"metrics_token": []} in operation["security"]
    assert "metrics_token" in spec["components"]["securitySchemes"]
