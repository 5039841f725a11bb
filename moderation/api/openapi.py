"""The OpenAPI 3 document, served at ``/openapi.json``.

Request bodies come from the pydantic schemas (``model_json_schema``); each view
module describes its own operations in an ``OPENAPI_PATHS`` mapping next to the
views, and tests/api/test_openapi.py fails when a route is missing from the
document or documented but not routed.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel

bp = Blueprint("openapi", __name__)

#: Modules whose OPENAPI_PATHS are merged into the document (extend when adding views).
VIEW_MODULES: tuple[str, ...] = (
    "moderation.api.health",
    "moderation.api.metrics",
    "moderation.api.comments",
    "moderation.api.openapi",
    "moderation.api.review",
    "moderation.api.decisions",
    "moderation.api.bans",
    "moderation.api.stats",
    "moderation.api.admin",
    "moderation.api.audit_log",
    "moderation.api.compliance",
)

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["field", "code", "message"],
                        "properties": {"field": {"type": "string"}, "code": {"type": "string"},
                                       "message": {"type": "string"}},
                    },
                },
            },
        },
        "request_id": {"type": ["string", "null"]},
    },
}

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
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        for code in codes
    }


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


#: Errors any authenticated operation may answer with.
AUTHENTICATED_ERRORS = (401, 403, 429, 500, 503)

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/openapi.json": {
        "get": {
            "summary": "This OpenAPI document",
            "security": [],
            "responses": {"200": json_response("OpenAPI 3 document", {"type": "object"})},
        }
    }
}


def _collect() -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for name in VIEW_MODULES:
        module = importlib.import_module(name)
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(operations)
        for model in getattr(module, "OPENAPI_MODELS", ()):
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for def_name, definition in schema.pop("$defs", {}).items():
                schemas[def_name] = definition
            schemas[model.__name__] = schema
    return paths, schemas


def build_spec(app: Flask) -> dict[str, Any]:
    paths, schemas = _collect()
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
def openapi_document() -> dict[str, Any]:
    spec: dict[str, Any] | None = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build_spec(current_app)
    return spec
