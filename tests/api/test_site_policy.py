"""Site policies: one resolver for what the API shows, what intake enforces and what the
worker applies; partial changes (JSON merge patch) and If-Match on the policy version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.classifier.tier2 import load_service_classifier, service_thresholds
from moderation.pipeline.policy import policy_document
from moderation.services import moderation as moderation_service
from moderation.services.policies import length_limit, policy_defaults
from moderation.store import AuditEvent, Comment, Site, Verdict
from tests.support.factories import auth, comment_body, make_key
from tests.support.fake_classifier import FakeClassifier
from tests.support.moderation_data import add_comment

#: Scored by the shipped model between its discriminatory review threshold (0.034) and the
#: fallback's (0.4): needs_review as applied, approved under the thresholds old main showed.
BORDERLINE = "Those immigrants should go back where they came from."


@cache
def real_classifier() -> Any:
    """The classifier a worker with default settings runs (the shipped fast tier)."""
    return load_service_classifier(None, "")


def verdict_of(app: Flask, comment_id: int, classifier: Any = None) -> Verdict:
    with app.extensions["db"].session() as session:
        outcome = moderation_service.moderate_comment(
            session, comment_id, classifier or FakeClassifier(),
            policy_defaults(app.extensions["settings"]))
        assert outcome.verdict_id is not None
        verdict = session.get(Verdict, outcome.verdict_id)
        assert verdict is not None
        session.expunge(verdict)
        return verdict


def new_site(client: FlaskClient, admin: str, name: str = "daily", **policy: Any) -> int:
    response = client.post("/v1/sites", headers=auth(admin), json={"name": name, "policy": policy})
    assert response.status_code == 201, response.get_data(as_text=True)
    site_id: int = response.get_json()["id"]
    return site_id


def worker_document(app: Flask, site_id: int) -> dict[str, Any]:
    """The policy the worker applies to the site, in the shape the API shows."""
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        return policy_document(moderation_service.site_policy(
            site, real_classifier(), policy_defaults(app.extensions["settings"])))


# --- shown = applied --------------------------------------------------------------------


def test_the_thresholds_shown_are_the_thresholds_applied(app: Flask, client: FlaskClient) -> None:
    """Old main showed the fallback thresholds (threat review 0.4) while the worker applied
    the model's (threat review 0.035)."""
    admin = make_key(app, "admin")
    plain = new_site(client, admin, "plain")
    tuned = new_site(client, admin, "tuned", mode="pre", thresholds={"threat": {"review": 0.2}})
    version, model = service_thresholds(None, "")
    for site_id in (plain, tuned):
        shown = client.get(f"/v1/sites/{site_id}/policy", headers=auth(admin)).get_json()
        assert shown["policy"] == worker_document(app, site_id)
        assert shown["model_version"] == version == real_classifier().version
        assert client.get(f"/v1/sites/{site_id}", headers=auth(admin)).get_json()["policy"] \
            == shown["policy"]
    shown = client.get(f"/v1/sites/{plain}/policy", headers=auth(admin)).get_json()["policy"]
    assert shown["thresholds"]["threat"] == model["threat"]
    tuned_shown = client.get(f"/v1/sites/{tuned}/policy", headers=auth(admin)).get_json()["policy"]
    assert tuned_shown["thresholds"]["threat"] == {"review": 0.2, "reject": model["threat"]["reject"]}


def test_resaving_the_shown_policy_keeps_the_verdict(app: Flask, client: FlaskClient) -> None:
    """Old main: PUT back what GET showed, and a needs_review comment became approved."""
    admin = make_key(app, "admin")
    site = new_site(client, admin)
    before = verdict_of(app, add_comment(app, site, status="pending", text=BORDERLINE), real_classifier())
    assert before.decision == "needs_review"
    shown = client.get(f"/v1/sites/{site}/policy", headers=auth(admin)).get_json()["policy"]
    assert client.put(f"/v1/sites/{site}/policy", headers=auth(admin), json=shown).status_code == 200
    after = verdict_of(app, add_comment(app, site, status="pending", text=BORDERLINE), real_classifier())
    assert after.decision == "needs_review" and after.policy_version == 2
    assert after.scores == before.scores


def test_cli_shows_the_same_policy_as_the_api(
    app: Flask, client: FlaskClient, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moderation.cli import build_cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    admin = make_key(app, "admin")
    site = new_site(client, admin, "paper", thresholds={"abusive": {"reject": 0.7}})
    shown = client.get(f"/v1/sites/{site}/policy", headers=auth(admin)).get_json()
    result = CliRunner().invoke(build_cli(), ["sites", "policy", "show", "paper"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert printed["policy"] == shown["policy"] and printed["policy_version"] == 1


# --- one length limit -------------------------------------------------------------------


@pytest.fixture
def long_app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789", "max_comment_length": 5000})
    yield app
    app.extensions["db"].dispose()


def _sentences(n: int) -> str:
    words = ("budget", "river", "school", "market", "bridge", "council", "harvest", "library")
    text = " ".join(f"The {words[i % 8]} plan {i} needs a closer look." for i in range(n))
    return text


def test_the_api_length_limit_is_the_workers(long_app: Flask) -> None:
    """Old main: with MODERATION_MAX_COMMENT_LENGTH=5000 a 3,000-character comment got a 202
    and then the worker rejected it too_long (the pipeline kept its own 2,000)."""
    client = long_app.test_client()
    admin = make_key(long_app, "admin")
    site = new_site(client, admin)
    token = make_key(long_app, "site", site)
    text = _sentences(120)[:3000]
    accepted = client.post("/v1/comments", headers=auth(token), json=comment_body(comment=text))
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    verdict = verdict_of(long_app, accepted.get_json()["id"])
    assert "too_long" not in {r["code"] for r in verdict.reasons}
    refused = client.post("/v1/comments", headers=auth(token),
                          json=comment_body(comment=_sentences(200)[:5001]))
    assert refused.status_code == 422

    # a site's own limit binds both sides the same way
    client.patch(f"/v1/sites/{site}/policy", headers=auth(admin), json={"max_length": 100})
    assert client.post("/v1/comments", headers=auth(token),
                       json=comment_body(comment=text[:101])).status_code == 422
    over = add_comment(long_app, site, status="pending", text=text[:101])
    assert "too_long" in {r["code"] for r in verdict_of(long_app, over).reasons}
    with long_app.extensions["db"].session() as session:
        stored = session.get(Site, site)
        assert stored is not None
        settings = long_app.extensions["settings"]
        assert length_limit(stored, settings) == moderation_service.site_policy(
            stored, FakeClassifier(), policy_defaults(settings)).max_length == 100


def test_the_worker_reads_the_length_limit_from_the_environment_by_default(
    app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = new_site(app.test_client(), make_key(app, "admin"))
    comment = add_comment(app, site, status="pending", text=_sentences(120)[:3000])
    monkeypatch.setenv("MODERATION_MAX_COMMENT_LENGTH", "5000")
    with app.extensions["db"].session() as session:
        outcome = moderation_service.moderate_comment(session, comment, FakeClassifier())
        assert outcome.result is not None
        assert "too_long" not in {r.code for r in outcome.result.reasons}


# --- PATCH, ETag and If-Match -----------------------------------------------------------


def _policy(client: FlaskClient, admin: str, site: int) -> tuple[dict[str, Any], str]:
    response = client.get(f"/v1/sites/{site}/policy", headers=auth(admin))
    return response.get_json(), response.headers["ETag"]


def test_patch_changes_part_of_the_policy_and_keeps_the_rest(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = new_site(client, admin, mode="pre", thresholds={"threat": {"review": 0.2}},
                    blocklists={"words": [{"term": "zorbwick"}]})
    body, tag = _policy(client, admin, site)
    assert tag == '"1"'
    patched = client.patch(f"/v1/sites/{site}/policy", headers={**auth(admin), "If-Match": tag},
                           data=json.dumps({"thresholds": {"abusive": {"review": 0.3}}}),
                           content_type="application/merge-patch+json")
    assert patched.status_code == 200, patched.get_data(as_text=True)
    assert patched.headers["ETag"] == '"2"'
    overrides = patched.get_json()["overrides"]
    assert overrides == {"mode": "pre", "blocklists": {"words": [{"term": "zorbwick"}]},
                         "thresholds": {"threat": {"review": 0.2}, "abusive": {"review": 0.3}}}

    # null removes an override: back to the default (the model's thresholds, post mode)
    reverted = client.patch(f"/v1/sites/{site}/policy", headers=auth(admin),
                            json={"mode": None, "thresholds": {"threat": None}}).get_json()
    assert reverted["policy_version"] == 3
    assert "mode" not in reverted["overrides"] and reverted["policy"]["mode"] == "post"
    assert reverted["policy"]["thresholds"]["threat"] == service_thresholds(None, "")[1]["threat"]
    assert reverted["overrides"]["thresholds"] == {"abusive": {"review": 0.3}}

    events = client.get("/v1/audit", headers=auth(admin)).get_json()["items"]
    latest = next(e for e in events if e["action"] == "policy.update")
    assert latest["before"]["policy_version"] == 2 and latest["after"]["policy_version"] == 3


def test_a_stale_if_match_is_a_412_and_changes_nothing(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = new_site(client, admin)
    assert client.put(f"/v1/sites/{site}/policy", headers={**auth(admin), "If-Match": '"1"'},
                      json={"mode": "pre"}).headers["ETag"] == '"2"'
    with app.extensions["db"].session() as session:
        audited = session.query(AuditEvent).count()
    for method in ("put", "patch"):
        # an empty tag ('""') is parsed as None: a 412 like any tag that isn't a version, not a 500
        for stale in ('"1"', 'W/"2"', '"two"', '"1", "3"', '""', 'W/"x", "", W/"y"'):
            response = getattr(client, method)(f"/v1/sites/{site}/policy",
                                               headers={**auth(admin), "If-Match": stale},
                                               json={"mode": "post"})
            assert response.status_code == 412, (method, stale)
            error = response.get_json()["error"]
            assert error["code"] == "precondition_failed" and "version 2" in error["message"]
            assert response.headers["ETag"] == '"2"'
    body, tag = _policy(client, admin, site)
    assert tag == '"2"' and body["policy"]["mode"] == "pre"
    with app.extensions["db"].session() as session:
        assert session.query(AuditEvent).count() == audited
    for version, current in ((2, '"2"'), (3, "*"), (4, '"1", "4"')):
        response = client.patch(f"/v1/sites/{site}/policy", headers={**auth(admin), "If-Match": current},
                                json={"clean_below": 0.4})
        assert response.status_code == 200, current
        assert response.headers["ETag"] == f'"{version + 1}"'



def test_invalid_changes_are_422_with_the_field_and_change_nothing(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = new_site(client, admin)
    threat_review = service_thresholds(None, "")[1]["threat"]["review"]
    cases = [({"mode": "never"}, "mode"),
             ({"thresholds": {"threat": {"reject": threat_review / 2}}}, "thresholds.threat"),
             ({"thresholds": {"nonsense": {"review": 0.5}}}, "thresholds"),
             ({"unknown": 1}, "unknown")]
    for method in ("put", "patch"):
        for change, field in cases:
            response = getattr(client, method)(f"/v1/sites/{site}/policy", headers=auth(admin), json=change)
            assert response.status_code == 422, (method, change)
            fields = [d["field"] for d in response.get_json()["error"]["details"]]
            assert any(f.startswith(field) for f in fields), (method, change, fields)
    assert client.patch(f"/v1/sites/{site}/policy", headers=auth(admin), data="[1]",
                        content_type="application/merge-patch+json").status_code == 422
    assert _policy(client, admin, site)[1] == '"1"'
    assert client.patch("/v1/sites/999/policy", headers=auth(admin), json={}).status_code == 404


def test_pre_mode_set_by_patch_holds_with_a_reason(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = new_site(client, admin)
    _version, model = service_thresholds(None, "")
    clf = FakeClassifier(thresholds=model, scores={"threat": model["threat"]["review"] * 0.8})
    assert verdict_of(app, add_comment(app, site, status="pending"), clf).decision == "approved"
    client.patch(f"/v1/sites/{site}/policy", headers=auth(admin), json={"mode": "pre"})
    held = verdict_of(app, add_comment(app, site, status="pending"), clf)
    assert held.decision == "needs_review"
    assert [r["code"] for r in held.reasons] == ["policy:pre_moderation"]
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, held.comment_id)
        assert comment is not None and comment.reason_codes == " policy:pre_moderation "


def test_cli_patch_keeps_the_rest_and_honours_if_version(
    app: Flask, database_url: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from moderation.cli import build_cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    cli, runner = build_cli(), CliRunner()
    assert runner.invoke(cli, ["sites", "create", "paper"]).exit_code == 0
    assert runner.invoke(cli, ["sites", "policy", "set", "paper"],
                         input='{"blocklists": {"words": [{"term": "scum"}]}}').exit_code == 0
    patched = runner.invoke(cli, ["sites", "policy", "patch", "paper", "--if-version", "2"],
                            input='{"mode": "pre"}')
    assert patched.exit_code == 0, patched.output
    shown = json.loads(runner.invoke(cli, ["sites", "policy", "show", "paper"]).output)
    assert shown["policy_version"] == 3
    assert shown["overrides"] == {"mode": "pre", "blocklists": {"words": [{"term": "scum"}]}}
    stale = runner.invoke(cli, ["sites", "policy", "patch", "paper", "--if-version", "2"],
                          input='{"mode": "post"}')
    assert stale.exit_code == 1 and "version 3" in stale.output
    bad = runner.invoke(cli, ["sites", "policy", "patch", "paper"], input='{"clean_below": 7}')
    assert bad.exit_code == 2 and "clean_below" in bad.output
