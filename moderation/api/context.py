"""Per-request resources: the database session, settings and request id."""

from __future__ import annotations

import uuid

from flask import Flask, current_app, g, request
from flask.wrappers import Response
from sqlalchemy.orm import Session

from moderation.settings import Settings
from moderation.store.database import Database

REQUEST_ID_HEADER = "X-Request-ID"


def settings() -> Settings:
    value: Settings = current_app.extensions["settings"]
    return value


def database() -> Database:
    value: Database = current_app.extensions["db"]
    return value


def db_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    session: Session = g.db_session
    return session


def request_id() -> str:
    value: str = g.request_id
    return value


def init_app(app: Flask) -> None:
    @app.before_request
    def _assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() \
            else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        return response

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
