"""Requested comment ids that a case's site doesn't hold are named, never silently dropped."""

from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient

from tests.support.compliance_data import (  # noqa: F401 (fixture)
    audit_events,
    export_case,
    export_dir,
    open_case,
    seed_comment,
)
from tests.support.factories import auth, make_key, make_site


def test_a_scoped_officer_is_told_which_ids_are_another_sites(app: Flask, client: FlaskClient) -> None:
    app.extensions["settings"].two_person_rule = False
    own_site, other_site = make_site(app, "news-one"), make_site(app, "news-two")
    own = seed_comment(app, own_site)
    other = seed_comment(app, other_site)
    officer = make_key(app, "compliance", own_site)

    case = open_case(client, officer, {"comment_ids": [other, own, 999_999]})
    assert case["out_of_scope_comment_ids"] == [other, 999_999]
    assert case["warnings"] and str(other) in case["warnings"][0] and "999999" in case["warnings"][0]
    fetched = client.get(f"/v1/compliance/requests/{case['id']}", headers=auth(officer)).get_json()
    assert fetched["out_of_scope_comment_ids"] == [other, 999_999]

    export = export_case(client, officer, case["id"], fmt="json")
    assert export["record_count"] == 1
    assert export["out_of_scope_comment_ids"] == [other, 999_999] and export["warnings"]
    meta = client.get(f"/v1/compliance/exports/{export['id']}", headers=auth(officer)).get_json()
    assert meta["out_of_scope_comment_ids"] == [other, 999_999]
    document = json.loads(client.get(f"/v1/compliance/exports/{export['id']}/file",
                                     headers=auth(officer)).get_data())
    assert document["out_of_scope_comment_ids"] == [other, 999_999]
    assert [r["comment_id"] for r in document["records"]] == [own]
    created = audit_events(app, "compliance.export.create")[-1]
    assert created["after"]["out_of_scope_comment_ids"] == [other, 999_999]


def test_only_other_site_ids_gives_zero_records_and_says_why(app: Flask, client: FlaskClient) -> None:
    own_site, other_site = make_site(app, "news-one"), make_site(app, "news-two")
    other = seed_comment(app, other_site)
    officer = make_key(app, "compliance", own_site)
    case = open_case(client, officer, {"comment_ids": [other]})
    export = export_case(client, officer, case["id"])
    assert export["record_count"] == 0
    assert export["out_of_scope_comment_ids"] == [other]
    assert "not comments of this case's site" in export["warnings"][0]


def test_an_unscoped_officer_hears_only_of_ids_that_do_not_exist(app: Flask, client: FlaskClient) -> None:
    site_a, site_b = make_site(app, "news-one"), make_site(app, "news-two")
    ids = [seed_comment(app, site_a), seed_comment(app, site_b)]
    officer = make_key(app, "compliance")
    case = open_case(client, officer, {"comment_ids": [*ids, 424242]})
    assert case["out_of_scope_comment_ids"] == [424242]
    assert "not comments that exist" in case["warnings"][0]
    clean = open_case(client, officer, {"comment_ids": ids})
    assert clean["out_of_scope_comment_ids"] == [] and clean["warnings"] == []


def test_a_hold_names_the_ids_it_cannot_cover(app: Flask, client: FlaskClient) -> None:
    own_site, other_site = make_site(app, "news-one"), make_site(app, "news-two")
    other = seed_comment(app, other_site)
    officer = make_key(app, "compliance", own_site)
    response = client.post("/v1/compliance/holds", headers=auth(officer),
                           json={"scope": {"comment_ids": [other]}, "reference": "Order 7"})
    assert response.status_code == 201
    assert response.get_json()["out_of_scope_comment_ids"] == [other]
    assert "hold's site" in response.get_json()["warnings"][0]
