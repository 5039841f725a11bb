"""Every operation of the OpenAPI document is rendered from the models that do the work:
no answer is described by a schema written by hand next to the views."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from flask import Flask
from pydantic import BaseModel

import moderation.api
from moderation.api.openapi import ErrorOut, _add_model
from moderation.api.operations import component_name, openapi_path, operation_of

IGNORED_RULES = {"/static/<path:filename>"}
REF = "#/components/schemas/"


def _api_routes(app: Flask) -> list[tuple[str, str, Any]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule in IGNORED_RULES or rule.rule.startswith("/console/"):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.rule, method.lower(), app.view_functions[rule.endpoint]))
    return routes


def _rendered(model: type[BaseModel]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    _add_model(schemas, model)
    return schemas


def test_every_answer_is_a_response_model_and_its_component_is_that_models_schema(app: Flask) -> None:
    spec = app.test_client().get("/openapi.json").get_json()
    components = spec["components"]["schemas"]
    problems: list[str] = []
    for rule, method, view in _api_routes(app):
        operation = operation_of(view)
        if operation is None:
            problems.append(f"{method.upper()} {rule}: not decorated with @documented")
            continue
        models = {component_name(model): model for model in [*operation.models(), ErrorOut]}
        rendered = spec["paths"][openapi_path(rule)][method]
        for status, response in rendered["responses"].items():
            for media_type, content in response.get("content", {}).items():
                schema = content["schema"]
                where = f"{method.upper()} {rule} {status} {media_type}"
                if schema == {"type": "string"} and "json" not in media_type:
                    continue  # a text answer (CSV, Prometheus' format) has no JSON model
                name = schema.get("$ref", "").removeprefix(REF)
                if name not in models:
                    problems.append(f"{where}: {schema} is not one of the operation's models")
                    continue
                for component, definition in _rendered(models[name]).items():
                    if components.get(component) != definition:
                        problems.append(f"{where}: component {component} differs from the model")
    assert not problems, "\n".join(problems)


def test_every_success_answer_has_a_schema(app: Flask) -> None:
    """Every 2xx answer but 204 No Content (which has no body by definition) has a schema."""
    spec = app.test_client().get("/openapi.json").get_json()
    missing = [f"{method.upper()} {path} {status}"
               for path, operations in spec["paths"].items()
               for method, operation in operations.items()
               for status, response in operation["responses"].items()
               if status.startswith("2") and status != "204" and not response.get("content")]
    assert not missing


def test_no_view_module_describes_operations_by_hand() -> None:
    hand_written = []
    for info in pkgutil.iter_modules(moderation.api.__path__, "moderation.api."):
        module = importlib.import_module(info.name)
        hand_written += [f"{info.name}.{name}" for name in ("OPENAPI_PATHS", "OPENAPI_MODELS")
                         if hasattr(module, name)]
    assert not hand_written
