"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

from typing import Any

import redis
from flask import Blueprint

from moderation.api.context import database, settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    checks: dict[str, str] = {}
    try:
        database().ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not ready", with the reason shown
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        client = redis.Redis.from_url(settings().redis_url, socket_connect_timeout=1,
                                      socket_timeout=1)
        client.ping()
        client.close()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return {"status": "ready" if ready else "unavailable", "checks": checks}, 200 if ready else 503


_READY_SCHEMA = {
    "type": "object",
    "required": ["status", "checks"],
    "properties": {
        "status": {"type": "string", "enum": ["ready", "unavailable"]},
        "checks": {"type": "object", "additionalProperties": {"type": "string"}},
    },
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {"get": {
        "summary": "Liveness: the process is up",
        "security": [],
        "responses": {"200": {"description": "Alive", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"status": {"type": "string"}}}}}}},
    }},
    "/readyz": {"get": {
        "summary": "Readiness: the database and Redis answer",
        "security": [],
        "responses": {
            "200": {"description": "Ready",
                    "content": {"application/json": {"schema": _READY_SCHEMA}}},
            "503": {"description": "A dependency is down",
                    "content": {"application/json": {"schema": _READY_SCHEMA}}},
        },
    }},
}
