"""Ban rules: no accidental ban on the whole internet, single IPs listed as themselves,
one way to give an expiry, and dates inside the API's window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation.services.bans import InvalidBan, PrefixLimits, check_breadth
from tests.support.factories import auth, make_key, make_site


@pytest.mark.parametrize(
    ("value", "refused"),
    [("0.0.0.0/0", True), ("10.0.0.0/8", True), ("10.1.0.0/15", True), ("10.1.0.0/16", False),
     ("203.0.113.7/32", False), ("::/0", True), ("2001:db8::/31", True), ("2001:db8::/32", False),
     ("2001:db8::1/128", False)],
)
def test_networks_wider_than_the_minimum_need_force(value: str, refused: bool) -> None:
    if refused:
        with pytest.raises(InvalidBan) as caught:
            check_breadth("ip", value, PrefixLimits(), force=False)
        assert caught.value.code == "too_broad" and "force" in str(caught.value)
    else:
        check_breadth("ip", value, PrefixLimits(), force=False)
    check_breadth("ip", value, PrefixLimits(), force=True)


def _ban(client: FlaskClient, token: str, **fields: Any) -> Any:
    return client.post("/v1/bans", json={"site_id": 1, "kind": "ip", "reason": "abuse", **fields},
                       headers=auth(token))


def _detail(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.get_data(as_text=True)
    detail: dict[str, Any] = response.get_json()["error"]["details"][0]
    return detail


def test_a_ban_on_every_address_is_refused_unless_forced(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    moderator = make_key(app, "moderator")
    detail = _detail(_ban(client, moderator, value="0.0.0.0/0"))
    assert detail["field"] == "value" and detail["code"] == "too_broad"
    assert "/16" in detail["message"] and "force" in detail["message"]
    assert _detail(_ban(client, moderator, value="2001:db8::/20"))["code"] == "too_broad"
    forced = _ban(client, moderator, value="0.0.0.0/0", force=True)
    assert forced.status_code == 201 and forced.get_json()["value"] == "0.0.0.0/0"


def test_the_minimum_prefix_is_a_setting(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    moderator = make_key(app, "moderator")
    app.extensions["settings"].ban_min_prefix_ipv4 = 24
    assert _detail(_ban(client, moderator, value="198.51.0.0/16"))["code"] == "too_broad"
    app.extensions["settings"].ban_min_prefix_ipv4 = 8
    assert _ban(client, moderator, value="10.0.0.0/8").status_code == 201


def test_a_single_ip_ban_is_listed_as_that_ip(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    moderator = make_key(app, "moderator")
    created = _ban(client, moderator, value="203.0.113.7")
    assert created.status_code == 201 and created.get_json()["value"] == "203.0.113.7"
    assert _ban(client, moderator, value="2001:db8::7").get_json()["value"] == "2001:db8::7"
    listed = client.get("/v1/bans", headers=auth(moderator)).get_json()["items"]
    assert {ban["value"] for ban in listed} == {"203.0.113.7", "2001:db8::7"}


def test_an_ipv6_zone_id_is_not_a_bannable_address(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    moderator = make_key(app, "moderator")
    assert _detail(_ban(client, moderator, value="fe80::1%eth0"))["field"] == "value"


def test_expiry_is_given_one_way_and_inside_the_window(app: Flask, client: FlaskClient) -> None:
    make_site(app)
    moderator = make_key(app, "moderator")
    later = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    both = _detail(_ban(client, moderator, value="203.0.113.7", expires_at=later, expires_in_days=3))
    assert both["field"] == "expires_in_days" and "not both" in both["message"]
    far = _detail(_ban(client, moderator, value="203.0.113.7", expires_at="9999-12-31T23:00:00Z"))
    assert far["field"] == "expires_at" and far["code"] == "out_of_range"
    assert _ban(client, moderator, value="203.0.113.7", expires_at=later).status_code == 201
