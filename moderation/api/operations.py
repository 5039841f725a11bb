"""Describe each operation once, next to its view, from the models that also do the work.

A view is decorated with :func:`documented`: its summary, the pydantic model of its
request body, the query parameters it reads, the pydantic **response model** it
answers with and the errors it may answer. ``moderation/api/openapi.py`` walks the
app's URL map and renders every decorated view, so a route and its document can't
drift apart; :func:`respond` serialises a response model instance, so the schema
published is the shape sent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import Response, current_app
from pydantic import BaseModel, ConfigDict

F = TypeVar("F", bound=Callable[..., Any])

#: The OpenAPI schema of a database id (32-bit positive integer).
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
#: Errors any authenticated operation may answer with.
AUTHENTICATED_ERRORS = (401, 403, 429, 500, 503)
_PATH_ARG = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")


class Out(BaseModel):
    """Base of response models: fields are documented as sent (no extra keys)."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Query:
    """One query parameter the view reads."""

    name: str
    schema: Mapping[str, Any]
    description: str = ""
    required: bool = False

    def render(self) -> dict[str, Any]:
        parameter: dict[str, Any] = {"name": self.name, "in": "query", "required": self.required,
                                     "schema": dict(self.schema)}
        if self.description:
            parameter["description"] = self.description
        return parameter


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[BaseModel] | None = None
    status: int = 200
    description: str = "OK"
    body: type[BaseModel] | None = None
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    #: Further non-error answers, e.g. ``{503: ("Not ready", ReadyOut)}``.
    other_responses: Mapping[int, tuple[str, type[BaseModel]]] = field(default_factory=dict)

    def models(self) -> list[type[BaseModel]]:
        found = [m for m in (self.body, self.response) if m is not None]
        return found + [model for _text, model in self.other_responses.values()]

    def render(self, rule: str, error_responses: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        operation: dict[str, Any] = {"summary": self.summary}
        parameters = [_path_parameter(m.group("name"), m.group("converter"))
                      for m in _PATH_ARG.finditer(rule)]
        parameters += [query.render() for query in self.query]
        if parameters:
            operation["parameters"] = parameters
        if self.public:
            operation["security"] = []
        if self.body is not None:
            operation["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": schema_ref(self.body)}}}
        responses: dict[str, Any] = {}
        if self.response is not None:
            responses[str(self.status)] = json_response(self.description, schema_ref(self.response))
        else:
            responses[str(self.status)] = {"description": self.description}
        for status, (text, model) in self.other_responses.items():
            responses[str(status)] = json_response(text, schema_ref(model))
        errors = self.errors if self.public else (*AUTHENTICATED_ERRORS, *self.errors)
        responses.update(error_responses(*sorted(set(errors))))
        operation["responses"] = responses
        return operation


def documented(summary: str, **details: Any) -> Callable[[F], F]:
    """Attach an :class:`Operation` to a view (put it under the route decorator)."""
    operation = Operation(summary, **details)

    def decorator(view: F) -> F:
        view.openapi_operation = operation  # type: ignore[attr-defined]
        return view

    return decorator


def operation_of(view: Callable[..., Any] | None) -> Operation | None:
    found: Operation | None = getattr(view, "openapi_operation", None)
    return found


def respond(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise a response model (JSON, no nulls dropped: the schema lists every field)."""
    response = current_app.response_class(model.model_dump_json(by_alias=True), status=status,
                                          mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def openapi_path(rule: str) -> str:
    """``/v1/comments/<int:comment_id>`` → ``/v1/comments/{comment_id}``."""
    return _PATH_ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameter(name: str, converter: str | None) -> dict[str, Any]:
    schema = dict(ID_SCHEMA) if converter == "int" else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}
