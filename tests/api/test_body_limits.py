"""Bodies over MODERATION_MAX_BODY_BYTES answer 413 ``too_large``, as the OpenAPI document says.

The document advertises 413 on every operation that takes a body; each such
operation, tried with an oversized body, answers exactly that, in the one JSON
error shape, before authentication or validation look at it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.api.openapi import build_spec
from tests.support.factories import auth, comment_body, make_key, make_site


def _operations(app: Flask) -> list[tuple[str, str, dict[str, Any]]]:
    spec = build_spec(app)
    return [(method.upper(), path, operation) for path, operations in spec["paths"].items()
            for method, operation in operations.items()]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _comment_of_size(size: int) -> bytes:
    raw = json.dumps(comment_body()).encode()
    padded = raw[:-1] + b', "notes": "' + b"x" * (size - len(raw) - 13) + b'"}'
    assert len(padded) == size
    return padded


def test_every_operation_with_a_body_advertises_413_and_only_those(app: Flask) -> None:
    with_body = [(m, p) for m, p, op in _operations(app) if "requestBody" in op]
    assert with_body, "no operation takes a body?"
    for method, path, operation in _operations(app):
        documented = "413" in operation["responses"]
        assert documented == ("requestBody" in operation), (method, path)
        if documented:
            schema = operation["responses"]["413"]["content"]["application/json"]["schema"]
            assert schema["$ref"].startswith("#/components/schemas/")


def test_every_operation_with_a_body_answers_413_too_large(app: Flask, client: FlaskClient) -> None:
    limit = app.extensions["settings"].max_body_bytes
    oversized = b'{"x": "' + b"a" * limit + b'"}'
    tried = 0
    for method, path, operation in _operations(app):
        if "requestBody" not in operation:
            continue
        response = client.open(_concrete(path), method=method, data=oversized,
                               content_type="application/json")
        assert response.status_code == 413, (method, path, response.get_data(as_text=True))
        schema = operation["responses"]["413"]["content"]["application/json"]["schema"]["$ref"]
        error = response.get_json()["error"]
        if schema.endswith("/Error"):  # the one error shape
            assert error["code"] == "too_large"
            assert error["details"] == [{"field": "body", "code": "too_large",
                                         "message": f"The request body exceeds {limit} bytes."}]
            assert "request_id" in response.get_json()
        else:  # an API that keeps another service's shape (Perspective's, Google's errors)
            assert error["code"] == 413, (method, path, error)
        tried += 1
    assert tried >= 5


@pytest.mark.parametrize("size_over", [1, 10_000])
def test_intake_just_over_the_limit_is_413_and_nothing_is_stored(
        app: Flask, client: FlaskClient, size_over: int) -> None:
    token = make_key(app, "site", make_site(app))
    limit = app.extensions["settings"].max_body_bytes
    response = client.post("/v1/comments", data=_comment_of_size(limit + size_over),
                           content_type="application/json",
                           headers=auth(token))
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"


def test_a_body_at_the_limit_is_not_refused_for_size(app: Flask, client: FlaskClient) -> None:
    token = make_key(app, "site", make_site(app))
    limit = app.extensions["settings"].max_body_bytes
    response = client.post("/v1/comments", data=_comment_of_size(limit),
                           content_type="application/json",
                           headers=auth(token))
    assert response.status_code != 413
