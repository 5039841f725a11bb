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
    #: ``query`` or ``header`` (e.g. ``If-Match``)
    location: str = "query"

    def render(self) -> dict[str, Any]:
        parameter: dict[str, Any] = {"name": self.name, "in": self.location, "required": self.required,
                                     "schema": dict(self.schema)}
        if self.description:
            parameter["description"] = self.description
        return parameter


#: A response body that isn't a JSON model: its media type → the model of a JSON document, or
#: ``str`` for text (a CSV file, Prometheus' exposition format).
Media = Mapping[str, type[BaseModel] | type[str]]


@dataclass(frozen=True)
class Operation:
    summary: str
    response: type[BaseModel] | None = None
    status: int = 200
    description: str = "OK"
    #: the operation's longer description, when the summary isn't enough
    notes: str = ""
    #: the success answer by media type, for an operation that doesn't answer one JSON model
    response_media: Media | None = None
    body: type[BaseModel] | None = None
    #: False: an empty body is accepted (every field has a default)
    body_required: bool = True
    #: the media types the body may be sent as
    body_media_types: tuple[str, ...] = ("application/json",)
    #: the operation's own security requirements (None: the document's bearer key; ``public``: none)
    security: tuple[Mapping[str, list[str]], ...] | None = None
    query: tuple[Query, ...] = ()
    errors: tuple[int, ...] = ()
    public: bool = False
    #: Further non-error answers, e.g. ``{503: ("Not ready", ReadyOut)}``.
    other_responses: Mapping[int, tuple[str, type[BaseModel]]] = field(default_factory=dict)

    def models(self) -> list[type[BaseModel]]:
        found = [m for m in (self.body, self.response) if m is not None]
        found += [m for m in (self.response_media or {}).values() if issubclass(m, BaseModel)]
        return found + [model for _text, model in self.other_responses.values()]

    def render(self, rule: str, error_responses: Callable[..., dict[str, Any]]) -> dict[str, Any]:
        operation: dict[str, Any] = {"summary": self.summary}
        if self.notes:
            operation["description"] = self.notes
        parameters = [_path_parameter(m.group("name"), m.group("converter"))
                      for m in _PATH_ARG.finditer(rule)]
        parameters += [query.render() for query in self.query]
        if parameters:
            operation["parameters"] = parameters
        if self.security is not None:
            operation["security"] = [dict(requirement) for requirement in self.security]
        elif self.public:
            operation["security"] = []
        if self.body is not None:
            operation["requestBody"] = {"required": self.body_required, "content": {
                media_type: {"schema": schema_ref(self.body)} for media_type in self.body_media_types}}
        responses: dict[str, Any] = {}
        if self.response_media is not None:
            responses[str(self.status)] = {"description": self.description, "content": {
                media_type: {"schema": _media_schema(model)}
                for media_type, model in self.response_media.items()}}
        elif self.response is not None:
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


def respond(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None, *,
            exclude_unset: bool = False) -> Response:
    """Serialise a response model (JSON, no nulls dropped: the schema lists every field).

    ``exclude_unset`` leaves out the optional fields the view didn't set (a field sent only
    in some states, such as a comment's ``error``); every field that was set is sent, null or not.
    """
    response = current_app.response_class(model.model_dump_json(by_alias=True, exclude_unset=exclude_unset),
                                          status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def component_name(model: type[BaseModel]) -> str:
    """The model's name in ``components.schemas``: its ``title`` if it sets one, else its class name."""
    title = model.model_config.get("title")
    return title if isinstance(title, str) else model.__name__


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{component_name(model)}"}


def json_response(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _media_schema(model: type[BaseModel] | type[str]) -> dict[str, str]:
    return schema_ref(model) if issubclass(model, BaseModel) else {"type": "string"}


def openapi_path(rule: str) -> str:
    """``/v1/comments/<int:comment_id>`` → ``/v1/comments/{comment_id}``."""
    return _PATH_ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def _path_parameter(name: str, converter: str | None) -> dict[str, Any]:
    schema = dict(ID_SCHEMA) if converter == "int" else {"type": "string"}
    return {"name": name, "in": "path", "required": True, "schema": schema}
