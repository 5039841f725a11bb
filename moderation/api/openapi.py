"""The OpenAPI 3 document, served at ``/openapi.json``.

Views decorated with ``moderation.api.operations.documented`` are rendered from
their request and response models (``model_json_schema``) by walking the app's
URL map; view modules not yet converted still describe their operations in an
``OPENAPI_PATHS`` mapping next to the views. tests/api/test_openapi.py fails when a
route is missing from the document or documented but not routed.
"""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel

from moderation.api.operations import (
    AUTHENTICATED_ERRORS,
    Out,
    documented,
    json_response,
    openapi_path,
    operation_of,
    schema_ref,
)

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
    "413": "Body too large",
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


def _add_model(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    # a response model is documented as it is sent, a request model as it is accepted
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}",
                                     mode="serialization" if issubclass(model, Out) else "validation")
    for def_name, definition in schema.pop("$defs", {}).items():
        schemas[def_name] = definition
    schemas[model.__name__] = schema


def _collect(app: Flask) -> tuple[dict[str, Any], dict[str, Any]]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {"Error": ERROR_SCHEMA}
    for rule in app.url_map.iter_rules():
        operation = operation_of(app.view_functions.get(rule.endpoint))
        if operation is None:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = operation.render(
                rule.rule, error_responses)
        for model in operation.models():
            _add_model(schemas, model)
    for name in VIEW_MODULES:
        module = importlib.import_module(name)
        for path, operations in getattr(module, "OPENAPI_PATHS", {}).items():
            paths.setdefault(path, {}).update(operations)
        for model in getattr(module, "OPENAPI_MODELS", ()):
            _add_model(schemas, model)
    return paths, schemas


def build_spec(app: Flask) -> dict[str, Any]:
    paths, schemas = _collect(app)
    # The request-wide guards (moderation/api/guards.py) may answer 422 on any operation.
    for operations in paths.values():
        for operation in operations.values():
            operation.setdefault("responses", {}).setdefault("422", error_responses(422)["422"])
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
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        },
    }


@bp.get("/openapi.json")
@documented("This OpenAPI document", public=True, description="OpenAPI 3 document")
def openapi_document() -> dict[str, Any]:
    spec: dict[str, Any] | None = current_app.extensions.get("openapi")
    if spec is None:
        spec = current_app.extensions["openapi"] = build_spec(current_app)
    return spec


__all__ = ["AUTHENTICATED_ERRORS", "build_spec", "error_responses", "json_response", "schema_ref"]
