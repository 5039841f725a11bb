"""One JSON error shape for every 4xx and 5xx answer, mapped here and nowhere else.

``{"error": {"code": ..., "message": ..., "details": [...]}, "request_id": ...}``

Services raise the domain errors of ``moderation/domain/errors.py`` (each carries its
status and code); views may raise :class:`ApiError` for purely HTTP concerns. Both
are :class:`DomainError` and reach :func:`error_response` through one handler.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from moderation.domain.errors import DomainError, Invalid, NotFound, TooLarge, Unavailable

log = logging.getLogger(__name__)


class ApiError(DomainError):
    """An error answer with an explicit status (for HTTP-only concerns at the edge)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message, details=details, code=code, headers=headers)
        self.status = status


class ServiceUnavailable(Unavailable):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)


def validation_error(details: list[dict[str, Any]], message: str = "The request is invalid.") -> Invalid:
    return Invalid(message, details=details)


def not_found(what: str = "resource") -> NotFound:
    return NotFound.of(what)


def error_response(error: DomainError) -> Response:
    body: dict[str, Any] = {"error": {"code": error.code, "message": error.message}}
    if error.details:
        body["error"]["details"] = error.details
    body["request_id"] = g.get("request_id")
    response = jsonify(body)
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def _is_connection_error(exc: DBAPIError) -> bool:
    return isinstance(exc, OperationalError) or bool(getattr(exc, "connection_invalidated", False))


def init_app(app: Flask) -> None:
    retry_after = app.extensions["settings"].retry_after_seconds

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        # 413 as the OpenAPI document says (code too_large, the limit in details). Raised
        # again as a DomainError so a blueprint with its own error shape (the
        # Perspective-compatible API) answers in it; everywhere else it is the one shape.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        too_large = TooLarge(
            "The request body is too large.",
            details=[{"field": "body", "code": "too_large",
                      "message": f"The request body exceeds {limit} bytes."}],
        )
        return app.make_response(app.handle_user_exception(too_large))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        code = (error.name or "error").lower().replace(" ", "_")
        api_error = ApiError(error.code or 500, code, error.description or error.name)
        if error.code == 405 and error.valid_methods:  # type: ignore[attr-defined]
            api_error.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
        return error_response(api_error)

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError) -> Response:
        if _is_connection_error(error):
            log.warning("database unavailable: %s", error.orig)
            return error_response(ServiceUnavailable(
                "The database is unavailable; retry later.", retry_after))
        if isinstance(error, DataError):
            # A value the database can't store (out of range, bad encoding): the input's fault.
            log.warning("database rejected a value: %s", error.orig)
            return error_response(validation_error(
                [{"field": "body", "code": "invalid_value",
                  "message": "A value is out of range or can't be stored."}]))
        log.exception("database error")
        return error_response(ApiError(500, "internal_error", "An internal error occurred."))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return error_response(ApiError(500, "internal_error", "An internal error occurred."))
