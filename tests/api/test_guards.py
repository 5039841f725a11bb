"""Request-wide guards: NUL characters anywhere are a field-level 422, on every endpoint."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from tests.support.factories import auth, make_key


def test_nul_in_any_json_field_is_a_422_naming_the_field(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    response = client.post("/v1/sites", data=json.dumps({"name": "bad\x00name"}),
                           content_type="application/json", headers=auth(admin))
    assert response.status_code == 422
    details = response.get_json()["error"]["details"]
    assert details == [{"field": "name", "code": "nul_character",
                        "message": "Text must not contain NUL characters."}]


def test_nul_in_nested_values_and_query_parameters(app: Flask, client: FlaskClient) -> None:
    moderator = make_key(app, "moderator")
    listing = client.get("/v1/comments?q=a%00b", headers=auth(moderator))
    assert listing.status_code == 422
    assert listing.get_json()["error"]["details"][0]["field"] == "query.q"
    bulk = client.post("/v1/decisions", headers=auth(moderator),
                       json={"ids": [1], "decision": "approved", "reason": ["ok", "x\x00"]})
    assert bulk.status_code == 422
    assert bulk.get_json()["error"]["details"][0]["field"] == "reason.1"


def test_clean_requests_pass_through(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    response = client.post("/v1/sites", json={"name": "clean-name"}, headers=auth(admin))
    assert response.status_code == 201


def test_a_value_the_database_refuses_is_a_422_not_a_500(app: Flask) -> None:
    from sqlalchemy.exc import DataError

    @app.get("/boom-data")
    def boom() -> str:
        raise DataError("INSERT …", {}, Exception("integer out of range"))

    response = app.test_client().get("/boom-data")
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["code"] == "invalid_value"
