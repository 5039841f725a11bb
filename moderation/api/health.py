"""``/healthz`` (the process is alive) and ``/readyz`` (its dependencies answer)."""

from __future__ import annotations

from typing import Literal

import redis
from flask import Blueprint, Response

from moderation.api.context import database, settings
from moderation.api.operations import Out, documented, respond

bp = Blueprint("health", __name__)


class HealthOut(Out):
    status: Literal["ok"]


class ReadyOut(Out):
    status: Literal["ready", "unavailable"]
    #: ``ok`` or ``unavailable: <why>`` per dependency (database, redis)
    checks: dict[str, str]


@bp.get("/healthz")
@documented("Liveness: the process is up", public=True, response=HealthOut, description="Alive")
def healthz() -> Response:
    return respond(HealthOut(status="ok"))


@bp.get("/readyz")
@documented("Readiness: the database and Redis answer", public=True, response=ReadyOut,
            description="Ready", other_responses={503: ("A dependency is down", ReadyOut)})
def readyz() -> Response:
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
    return respond(ReadyOut(status="ready" if ready else "unavailable", checks=checks),
                   200 if ready else 503)
