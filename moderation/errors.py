"""One JSON error shape for every 4xx and 5xx answer.

``{"error": {"code": ..., "message": ..., "details": [...]}, "request_id": ...}``
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify
from sqlalchemy.exc import DataError, DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer: status, machine code, human message, optional field details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or []
        self.headers = headers or {}


class ServiceUnavailable(ApiError):
    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(503, "service_unavailable", message,
                         headers={"Retry-After": str(retry_after)})


def validation_error(details: list[dict[str, Any]], message: str = "The request is invalid.") -> ApiError:
    return ApiError(422, "validation_error", message, details)


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


def error_response(error: ApiError) -> Response:
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

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Response:
        return error_response(error)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(_error: RequestEntityTooLarge) -> Response:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        return error_response(validation_error(
            [{"field": "body", "code": "too_large",
              "message": f"The request body exceeds {limit} bytes."}],
            "The request body is too large.",
        ))

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
