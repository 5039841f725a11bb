"""The OpenAPI 3 document, served at ``/openapi.json``.

Every view is decorated with ``moderation.api.operations.documented`` and rendered
from its request and response models (``model_json_schema``) by walking the app's
URL map; no schema is written by hand, the error shape included (:class:`ErrorOut`).
tests/api/test_openapi.py fails when a route is missing from the document, is
documented but not routed, or answers JSON without a response model.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, current_app
from pydantic import BaseModel, ConfigDict

from moderation.api.operations import (
    AUTHENTICATED_ERRORS,
    Out,
    component_name,
    documented,
    json_response,
    openapi_path,
    operation_of,
    respond,
    schema_ref,
)

bp = Blueprint("openapi", __name__)


class _Open(BaseModel):
    # the error shape leaves room for more keys (a detail may say more than field, code, message)
    model_config = ConfigDict(extra="allow")


class ErrorDetailOut(_Open):
    #: where: ``comment``, ``author.email``, ``query.cursor``, ``header.Idempotency-Key``, ``body``
    field: str
    code: str
    message: str


class ErrorBodyOut(_Open):
    #: machine-readable: ``validation_error``, ``not_found``, ``rate_limited``, ...
    code: str
    message: str
    #: field-level details (validation errors)
    details: list[ErrorDetailOut] | None = None


class ErrorOut(_Open):
    """The one JSON error shape every 4xx and 5xx answer has (``moderation/errors.py``)."""

    model_config = ConfigDict(title="Error")

    error: ErrorBodyOut
    request_id: str | None = None


class OpenApiDocumentOut(Out):
    """An OpenAPI 3.1 document."""

    openapi: str
    info: dict[str, Any]
    servers: list[dict[str, Any]]
    security: list[dict[str, list[str]]]
    paths: dict[str, dict[str, Any]]
    components: dict[str, Any]


_ERROR_TEXT = {
    "400": "Bad request",
    "401": "Missing, unknown or revoked API key",
    "403": "The key's role may not do this",
    "404": "Not found, or outside the key's site",
    "405": "Method not allowed",
    "409": "Conflict with the current state",
    "413": "Body larger than MODERATION_MAX_BODY_BYTES (code too_large)",
    "415": "Unsupported media type",
    "422": "Validation failed; see error.details",
    "429": "Rate limited; see Retry-After",
    "500": "Internal error",
    "503": "A dependency is unavailable; see Retry-After",
}


def error_responses(*codes: int) -> dict[str, Any]:
    """Error responses in the one JSON error shape."""
    return {
        str(code): {
            "description": _ERROR_TEXT.get(str(code), "Error"),
            "content": {"application/json": {"schema": schema_ref(ErrorOut)}},
        }
        for code in codes
    }


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    # a response model is documented as it is sent, a request model as it is accepted
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}",
                                     mode="serialization" if issubclass(model, Out) else "validation")
    for def_name, definition in schema.pop("$defs", {}).items():
        schemas[def_name] = definition
    schemas[component_name(model)] = schema


def _collect(app: Flask) -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    _add_model(schemas, ErrorOut)
    for rule in app.url_map.iter_rules():
        operation = operation_of(app.view_functions.get(rule.endpoint))
        if operation is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = operation.render(
                rule.rule, error_responses)
        for model in operation.models():
            _add_model(schemas, model)
    return paths, schemas


def build_spec(app: Flask) -> dict[str, Any]:
    paths, schemas = _collect(app)
    # The request-wide guards (moderation/api/guards.py) may answer 422 on any operation,
    # and any operation that takes a body answers 413 past MODERATION_MAX_BODY_BYTES.
    for operations in paths.values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.setdefault("422", error_responses(422)["422"])
            if "requestBody" in operation:
                responses.setdefault("413", error_responses(413)["413"])
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "moderation",
            "version": "1",
            "description": "Comment moderation for news sites: intake, verdicts, moderation "
                           "queue and lawful-disclosure workflow.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "metrics_token": {"type": "http", "scheme": "bearer",
                                  "description": "MODERATION_METRICS_TOKEN, when set"},
            },
            "schemas": schemas,
        },
    }


@bp.get("/openapi.json")
@documented("This OpenAPI document", public=True, response=OpenApiDocumentOut,
            description="OpenAPI 3 document")
def openapi_document() -> Response:
    document: OpenApiDocumentOut | None = current_app.extensions.get("openapi")
    if document is None:
        document = OpenApiDocumentOut.model_validate(build_spec(current_app))
        current_app.extensions["openapi"] = document
    return respond(document)


__all__ = ["AUTHENTICATED_ERRORS", "ErrorOut", "build_spec", "error_responses", "json_response",
           "schema_ref"]
