"""Reader erasure: held records are kept and named, the rest erased; bad or unknown addresses
never read as success; the compliance API takes erasure requests and audits them."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient

from moderation.cli import build_cli
from moderation.domain.errors import Invalid
from moderation.services import retention
from moderation.services.access import Actor
from moderation.services.holds import create_hold
from moderation.services.scopes import Scope
from tests.support.compliance_data import (  # noqa: F401 (fixture)
    SECRET,
    audit_events,
    export_dir,
    seed_comment,
    sender,
)
from tests.support.factories import auth, make_key, make_site

Invoke = Callable[..., Result]


def _hold(app: Flask, scope: Scope, reference: str = "Order 7") -> int:
    with app.extensions["db"].session() as session:
        return create_hold(session, scope=scope, reference=reference, notes="", expires_at=None,
                           actor=Actor.system("test")).id


def _erase(app: Flask, email: str, site_id: int | None = None) -> retention.ErasureResult:
    with app.extensions["db"].session() as session:
        return retention.erase_sender(session, email=email, pseudonym_key=SECRET,
                                      actor=Actor.system("cli"), site_id=site_id)


def test_one_held_record_no_longer_blocks_the_others(app: Flask) -> None:
    site = make_site(app)
    held = seed_comment(app, site, email="reader@example.com")
    free = [seed_comment(app, site, email="reader@example.com") for _ in range(2)]
    hold_id = _hold(app, Scope(comment_ids=(held,)))

    result = _erase(app, "Reader@Example.com")
    assert (result.outcome, result.found, result.erased, result.kept_count) == ("partial", 3, 2, 1)
    assert result.kept == {f"hold #{hold_id} (Order 7)": [held]}
    assert sender(app, held).email == "reader@example.com"
    assert all(sender(app, c).email is None for c in free)
    (event,) = audit_events(app, "sender.erase")
    assert event["after"] == {"erased": 2, "records": 3, "kept": 1,
                              "held_by": [f"hold #{hold_id} (Order 7)"]}
    assert "reader@example.com" not in str(event)


def test_every_record_held_is_a_refusal_and_nothing_changes(app: Flask) -> None:
    site = make_site(app)
    comment = seed_comment(app, site, email="reader@example.com")
    _hold(app, Scope(sender_email="reader@example.com"))
    result = _erase(app, "reader@example.com")
    assert result.outcome == "refused" and result.refused and result.erased == 0
    assert sender(app, comment).email == "reader@example.com"
    assert len(audit_events(app, "sender.erase_refused")) == 1


def test_an_unknown_address_is_not_found_and_still_audited(app: Flask) -> None:
    make_site(app)
    result = _erase(app, "nobody@example.com")
    assert result.outcome == "not_found" and result.found == 0 and not result.refused
    assert audit_events(app, "sender.erase")[0]["after"] == {"erased": 0}


def test_a_malformed_address_is_invalid(app: Flask) -> None:
    with pytest.raises(Invalid) as caught:
        _erase(app, "notanemail")
    assert caught.value.details[0]["field"] == "email"


# -- command line ------------------------------------------------------------------------

@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_SECRET_KEY", SECRET)

    def run(*args: str) -> Result:
        return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)

    return run


def test_cli_refuses_a_malformed_address_with_a_usage_error(app: Flask, invoke: Invoke) -> None:
    result = invoke("senders", "erase", "--email", "notanemail")
    assert result.exit_code == 2
    assert "--email" in result.output and "not a valid email address" in result.output
    assert "erased" not in result.output


def test_cli_says_not_found_for_an_unknown_address(app: Flask, invoke: Invoke) -> None:
    make_site(app)
    result = invoke("senders", "erase", "--email", "nobody@example.com")
    assert result.exit_code == 1
    assert "NOT FOUND" in result.output and "nothing was erased" in result.output


def test_cli_erases_the_free_records_and_names_the_kept_ones(app: Flask, invoke: Invoke) -> None:
    site = make_site(app)
    held = seed_comment(app, site, email="reader@example.com")
    free = seed_comment(app, site, email="reader@example.com")
    hold_id = _hold(app, Scope(comment_ids=(held,)), reference="Court order 12")
    result = invoke("senders", "erase", "--email", "reader@example.com")
    assert result.exit_code == 3, result.output
    assert "erased the personal data of 1 record(s)" in result.output
    assert f"kept under hold #{hold_id} (Court order 12): comment {held}" in result.output
    assert sender(app, free).email is None and sender(app, held).email == "reader@example.com"


# -- API ---------------------------------------------------------------------------------

def test_the_api_erases_for_a_compliance_officer_and_audits_it(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    held = seed_comment(app, site, email="reader@example.com")
    free = seed_comment(app, site, email="reader@example.com")
    hold_id = _hold(app, Scope(comment_ids=(held,)))
    officer = make_key(app, "compliance")
    response = client.post("/v1/compliance/erasures", json={"email": "reader@example.com"},
                           headers={**auth(officer), "X-Request-ID": "erase-1"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["outcome"], body["found"], body["erased"], body["kept"]) == ("partial", 2, 1, 1)
    assert body["kept_by"] == [{"hold": f"hold #{hold_id} (Order 7)", "comment_ids": [held]}]
    assert body["sender"].startswith("snd_") and "reader" not in str(body)
    assert sender(app, free).email is None
    (event,) = audit_events(app, "sender.erase")
    assert event["actor"].startswith("key:")
    again = client.post("/v1/compliance/erasures", json={"email": "reader@example.com"},
                        headers=auth(officer)).get_json()
    assert (again["outcome"], again["found"], again["erased"]) == ("refused", 1, 0)


def test_the_api_confines_a_scoped_officer_to_their_site(app: Flask, client: FlaskClient) -> None:
    own, other = make_site(app, "news-one"), make_site(app, "news-two")
    mine = seed_comment(app, own, email="reader@example.com")
    theirs = seed_comment(app, other, email="reader@example.com")
    officer = make_key(app, "compliance", own)
    body = client.post("/v1/compliance/erasures", json={"email": "reader@example.com"},
                       headers=auth(officer)).get_json()
    assert (body["outcome"], body["erased"], body["site_id"]) == ("erased", 1, own)
    assert sender(app, mine).email is None and sender(app, theirs).email == "reader@example.com"
    hidden = client.post("/v1/compliance/erasures", json={"email": "reader@example.com", "site": "news-two"},
                         headers=auth(officer))
    assert hidden.status_code == 404


def test_the_api_validates_the_request(app: Flask, client: FlaskClient) -> None:
    officer = make_key(app, "compliance")
    bad = client.post("/v1/compliance/erasures", json={"email": "notanemail"}, headers=auth(officer))
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "email"
    missing = client.post("/v1/compliance/erasures", json={}, headers=auth(officer))
    assert missing.status_code == 422
    moderator = make_key(app, "moderator")
    forbidden = client.post("/v1/compliance/erasures", json={"email": "reader@example.com"},
                            headers=auth(moderator))
    assert forbidden.status_code == 403
    unknown = client.post("/v1/compliance/erasures", json={"email": "nobody@example.com"},
                          headers=auth(officer)).get_json()
    assert unknown["outcome"] == "not_found" and unknown["found"] == 0
