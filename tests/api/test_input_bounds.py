"""Input bounds: dates in a sane window, JSON nesting capped, URLs and IPs that mean what they say,
and validation messages worded as this API's (never Pydantic's or the CLI's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.api.compliance_schemas import CaseIn, HoldIn, parse_body
from moderation.api.schemas import MAX_JSON_DEPTH, json_depth_exceeds, parse_comment, parse_json_body
from moderation.domain.errors import Invalid
from moderation.errors import ApiError
from tests.support.compliance_data import CASE, export_dir  # noqa: F401 (fixture)
from tests.support.factories import auth, comment_body, make_key, make_site


def _details(error: ApiError | Invalid) -> dict[str, dict[str, Any]]:
    assert error.status == 422
    return {d["field"]: d for d in error.details}


def _case(**fields: Any) -> bytes:
    return json.dumps({**CASE, "scope": {"site": 1}, **fields}).encode()


# -- dates ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"received_at": "0001-01-01T00:20:14+04:01"}, "received_at", "out_of_range"),
        ({"received_at": "9999-12-31T23:00:00Z"}, "received_at", "out_of_range"),
        ({"received_at": "1999-12-31T23:59:59Z"}, "received_at", "out_of_range"),
        ({"due_at": "2100-01-01T00:00:00Z"}, "due_at", "out_of_range"),
        ({"due_at": "0001-01-01T00:00:00Z"}, "due_at", "out_of_range"),
        ({"scope": {"site": 1, "since": "0001-01-01T00:00:00Z"}}, "scope.since", "out_of_range"),
        ({"scope": {"site": 1, "until": "9999-12-31T23:59:59Z"}}, "scope.until", "out_of_range"),
    ],
)
def test_case_dates_outside_2000_to_2100_are_a_field_level_422(
    fields: dict[str, Any], field: str, code: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse_body(CaseIn, _case(**fields))
    detail = _details(caught.value)[field]
    assert detail["code"] == code
    assert "2000-01-01" in detail["message"] and "2100-01-01" in detail["message"]


def test_a_case_received_in_the_future_is_refused_but_clock_skew_is_tolerated() -> None:
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    with pytest.raises(Invalid) as caught:
        parse_body(CaseIn, _case(received_at=future))
    assert _details(caught.value)["received_at"]["code"] == "in_future"
    skewed = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    assert parse_body(CaseIn, _case(received_at=skewed)).received_at is not None


def test_a_hold_that_has_already_expired_is_refused() -> None:
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    body = json.dumps({"scope": {"site": 1}, "reference": "Order 7", "expires_at": past}).encode()
    with pytest.raises(Invalid) as caught:
        parse_body(HoldIn, body)
    assert _details(caught.value)["expires_at"]["code"] == "in_past"


@pytest.mark.parametrize("received_at", ["0001-01-01T00:20:14+04:01", "9999-12-31T23:00:00Z"])
def test_extreme_received_at_is_a_422_not_a_500(app: Flask, client: FlaskClient, received_at: str) -> None:
    make_site(app)
    officer = make_key(app, "compliance")
    response = client.post("/v1/compliance/requests", headers=auth(officer),
                           json={**CASE, "received_at": received_at, "scope": {"site": 1}})
    assert response.status_code == 422, response.get_data(as_text=True)
    assert [d["field"] for d in response.get_json()["error"]["details"]] == ["received_at"]


def test_an_expired_hold_is_a_422_not_an_inactive_201(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    officer = make_key(app, "compliance")
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    response = client.post("/v1/compliance/holds", headers=auth(officer),
                           json={"scope": {"site": 1}, "reference": "Order 7", "expires_at": past})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"][0]["field"] == "expires_at"
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = client.post("/v1/compliance/holds", headers=auth(officer),
                          json={"scope": {"site": 1}, "reference": "Order 7", "expires_at": later})
    assert created.status_code == 201 and created.get_json()["active"] is True


def test_query_dates_outside_the_window_are_a_422(app: Flask, client: FlaskClient) -> None:
    moderator = make_key(app, "moderator")
    for query in ("from=0001-01-01T00:00:00%2B04:01", "to=9999-12-31T23:59:59Z"):
        response = client.get(f"/v1/stats?{query}", headers=auth(moderator))
        assert response.status_code == 422, response.get_data(as_text=True)
        assert response.get_json()["error"]["details"][0]["code"] == "out_of_range"


# -- JSON nesting -----------------------------------------------------------------------

DEEP = b"[" * 3000 + b"]" * 3000  # about 6 KB


def test_deep_nesting_is_refused_naming_the_limit() -> None:
    with pytest.raises(Invalid) as caught:
        parse_json_body(DEEP)
    detail = _details(caught.value)["body"]
    assert detail["code"] == "too_deep" and str(MAX_JSON_DEPTH) in detail["message"]
    nested_object = b'{"a":' * 3000 + b"1" + b"}" * 3000
    with pytest.raises(Invalid):
        parse_json_body(nested_object)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = "[" * 5000 + '\\"' + "{" * 100
    body = json.dumps({"comment": text}).encode()
    assert not json_depth_exceeds(body)
    assert parse_json_body(body) == {"comment": text}
    at_limit = b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1)
    assert parse_json_body(b'{"a":' + at_limit + b"}") is not None
    assert json_depth_exceeds(b'{"a":' + at_limit[:1] + at_limit + at_limit[-1:] + b"}")


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("post", "/v1/comments", "site"),
        ("post", "/v1/compliance/requests", "compliance"),
        ("post", "/v1/compliance/holds", "compliance"),
        ("post", "/v1/bans", "moderator"),
        ("post", "/v1/decisions", "moderator"),
        ("post", "/v1/keys", "admin"),
        ("put", "/v1/sites/1/policy", "admin"),
    ],
)
def test_every_json_endpoint_answers_deep_nesting_with_a_422(
    app: Flask, client: FlaskClient, method: str, path: str, role: str
) -> None:
    site = make_site(app)
    token = make_key(app, role, site if role == "site" else None)
    # Also with a NUL escape, which the request-wide NUL guard parses first.
    for body in (DEEP, b'{"a":"\\u0000","b":' + DEEP + b"}"):
        response = getattr(client, method)(path, data=body, content_type="application/json",
                                           headers=auth(token))
        assert response.status_code == 422, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["details"][0]["code"] == "too_deep"


# -- URLs and IPs ------------------------------------------------------------------------

@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "not a url", "ftp://example.com/x", "http://", "https://exa mple.com/",
     "data:text/html,<script>alert(1)</script>", "//example.com/a", "http://example.com:99999/"],
)
def test_article_url_must_be_http_or_https(url: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_comment(json.dumps(comment_body(article_url=url)).encode(), max_length=2000)
    assert _details(caught.value)["article_url"]["code"] == "invalid_url"


@pytest.mark.parametrize("url", ["https://news.example.in/2026/budget?ref=home#comments",
                                 "HTTP://EXAMPLE.COM/", "http://[2001:db8::1]:8080/a"])
def test_ordinary_article_urls_are_accepted(url: str) -> None:
    parsed = parse_comment(json.dumps(comment_body(article_url=url)).encode(), max_length=2000)
    assert parsed.article_url == url


@pytest.mark.parametrize("ip", ["fe80::1%eth0", "fe80::1%1", "::1%lo"])
def test_an_ipv6_zone_id_is_not_a_sender_ip(ip: str) -> None:
    with pytest.raises(Invalid) as caught:
        parse_comment(json.dumps(comment_body(sender={"ip": ip})).encode(), max_length=2000)
    assert "sender.ip" in _details(caught.value)


def test_an_ipv6_zone_id_is_not_a_scope_ip() -> None:
    with pytest.raises(Invalid) as caught:
        parse_body(CaseIn, _case(scope={"sender_ip": "fe80::1%eth0"}))
    assert "scope.sender_ip" in _details(caught.value)


# -- wording -----------------------------------------------------------------------------

def test_length_messages_count_characters_not_items() -> None:
    with pytest.raises(Invalid) as caught:
        parse_comment(json.dumps(comment_body(title="x" * 301)).encode(), max_length=2000)
    detail = _details(caught.value)["title"]
    assert detail["message"] == "Must be at most 300 characters."
    assert "items" not in detail["message"] and "after validation" not in detail["message"]


def test_messages_never_leak_pydantic_wording_or_internal_names() -> None:
    bodies = [
        _case(scope={"site": ""}),
        _case(scope={"site": [1]}),
        _case(scope={"comment_ids": []}),
        _case(scope={"comment_ids": [0]}),
        _case(authority=5),
        _case(due_at="yesterday"),
        _case(scope={"site": 1, "since": "2026-01-01T00:00:00"}),
    ]
    for body in bodies:
        with pytest.raises(Invalid) as caught:
            parse_body(CaseIn, body)
        for detail in caught.value.details:
            assert "Input should" not in detail["message"], detail
            assert "after validation" not in detail["message"], detail
            assert "function-" not in detail["field"] and "constrained" not in detail["field"], detail


def test_a_site_or_id_union_gives_one_detail_for_the_field() -> None:
    with pytest.raises(Invalid) as caught:
        parse_body(CaseIn, _case(scope={"site": [1]}))
    details = [d for d in caught.value.details if d["field"] == "scope.site"]
    assert len(details) == 1
    assert details[0]["message"] == "Must be a string; or must be an integer."


def test_a_site_key_without_a_site_is_explained_in_api_terms(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    response = client.post("/v1/keys", json={"role": "site"}, headers=auth(admin))
    assert response.status_code == 422
    detail = response.get_json()["error"]["details"][0]
    assert detail["field"] == "site_id" and "--" not in detail["message"] and "site_id" in detail["message"]
    bad_role = client.post("/v1/keys", json={"role": "owner"}, headers=auth(admin))
    assert bad_role.get_json()["error"]["details"][0]["message"] == (
        "Must be one of: site, moderator, compliance, admin.")
