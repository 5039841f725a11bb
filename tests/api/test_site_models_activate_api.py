"""``POST /v1/sites/<id>/models/<version>/activate`` and ``…/models/rollback`` (role admin):
the same service functions as ``adapt --rollback``, audited, per site, with clear errors."""

from __future__ import annotations

import functools

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.classifier.artifact import load_classifier
from moderation.classifier.model import ToxicityClassifier
from moderation.domain.actors import Actor
from moderation.services import adaptation
from moderation.services.site_serving import SiteClassifiers
from moderation.store import AuditEvent, Site
from moderation.training.adapt import AdaptConfig
from tests.support.adapt_data import seed_decisions, stream
from tests.support.factories import auth, make_key, make_site

OPERATOR = Actor.system("cli", "command line (test)")


@functools.cache
def _base() -> ToxicityClassifier:
    return load_classifier()


def _train(app: Flask, site_id: int, config: AdaptConfig | None = None) -> str:
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        run = adaptation.run_adaptation(session, site, _base(), config or AdaptConfig(),
                                        actor=OPERATOR)
        return f"{run.row.label} {run.row.status}"


def _serving(app: Flask, site_id: int) -> str:
    """What a fresh worker would score the site's comments with."""
    with app.extensions["db"].session() as session:
        chosen = SiteClassifiers(_base()).for_sites(session, [site_id]).get(site_id)
        return chosen.version if chosen is not None else _base().version


def _statuses(body: dict) -> dict[int, str]:  # type: ignore[type-arg]
    return {item["version"]: item["status"] for item in body["items"]}


def _events(app: Flask) -> list[tuple[str, str, int | None, dict]]:  # type: ignore[type-arg]
    with app.extensions["db"].session() as session:
        return [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(AuditEvent.action, AuditEvent.actor, AuditEvent.site_id, AuditEvent.after)
            .where(AuditEvent.action.in_(("site_model.activate", "site_model.rollback")))
            .order_by(AuditEvent.id))]


def test_activating_an_earlier_model_serves_it_again_audited(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    seed_decisions(app, site_id, stream(400))
    assert _train(app, site_id) == f"site{site_id}.v1 active"
    assert _train(app, site_id) == f"site{site_id}.v2 active"
    admin = make_key(app, "admin")
    assert _serving(app, site_id).endswith(f"+site{site_id}.v2")

    answer = client.post(f"/v1/sites/{site_id}/models/1/activate", headers=auth(admin))
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["active"], body["previous"]) == (f"site{site_id}.v1", f"site{site_id}.v2")
    assert _statuses(body) == {2: "retired", 1: "active"}
    v1 = next(i for i in body["items"] if i["version"] == 1)
    assert v1["activated_by"].startswith("key:") and v1["retired_at"] is None
    assert _serving(app, site_id).endswith(f"+site{site_id}.v1")
    [(action, actor, event_site, after)] = _events(app)
    assert (action, actor, event_site) == ("site_model.activate", v1["activated_by"], site_id)
    assert after == {"active": f"site{site_id}.v1"}

    listed = client.get(f"/v1/sites/{site_id}/models", headers=auth(admin)).get_json()
    assert listed["active"] == f"site{site_id}.v1"


def test_rollback_does_what_the_cli_does(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    seed_decisions(app, site_id, stream(400))
    _train(app, site_id)
    _train(app, site_id)
    admin = make_key(app, "admin")
    first = client.post(f"/v1/sites/{site_id}/models/rollback", headers=auth(admin))
    assert first.status_code == 200
    body = first.get_json()
    assert (body["active"], body["previous"]) == (f"site{site_id}.v1", f"site{site_id}.v2")
    assert _statuses(body) == {2: "rolled_back", 1: "active"}
    again = client.post(f"/v1/sites/{site_id}/models/rollback", headers=auth(admin)).get_json()
    assert (again["active"], again["previous"]) == (None, f"site{site_id}.v1")
    assert _serving(app, site_id) == _base().version
    none_left = client.post(f"/v1/sites/{site_id}/models/rollback", headers=auth(admin))
    assert none_left.status_code == 409
    assert none_left.get_json()["error"]["code"] == "no_site_model"
    assert [e[0] for e in _events(app)] == ["site_model.rollback", "site_model.rollback"]
    # a rolled-back model can be served again on purpose
    back = client.post(f"/v1/sites/{site_id}/models/2/activate", headers=auth(admin))
    assert back.status_code == 200 and back.get_json()["previous"] is None
    assert _serving(app, site_id).endswith(f"+site{site_id}.v2")


def test_one_sites_activation_never_changes_another_sites_serving(
        app: Flask, client: FlaskClient) -> None:
    a = make_site(app, "site-a")
    b = make_site(app, "site-b")
    seed_decisions(app, a, stream(400))
    seed_decisions(app, b, stream(400, seed=4))
    _train(app, a)
    _train(app, a)
    _train(app, b)
    admin = make_key(app, "admin")
    assert client.post(f"/v1/sites/{a}/models/1/activate", headers=auth(admin)).status_code == 200
    assert _serving(app, a).endswith(f"+site{a}.v1")
    assert _serving(app, b).endswith(f"+site{b}.v1")
    rolled = client.post(f"/v1/sites/{a}/models/rollback", headers=auth(admin)).get_json()
    # back to the model the activation replaced
    assert (rolled["active"], rolled["previous"]) == (f"site{a}.v2", f"site{a}.v1")
    assert _serving(app, b).endswith(f"+site{b}.v1")
    # site B has no version 2: A's is never reachable through B
    missing = client.post(f"/v1/sites/{b}/models/2/activate", headers=auth(admin))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    b_models = client.get(f"/v1/sites/{b}/models", headers=auth(admin)).get_json()
    assert b_models["active"] == f"site{b}.v1" and _statuses(b_models) == {1: "active"}
    # a key scoped to site B can't act on site A (even as an admin)
    scoped = make_key(app, "admin", site_id=b)
    hidden = client.post(f"/v1/sites/{a}/models/1/activate", headers=auth(scoped))
    assert hidden.status_code in (403, 404)
    assert _serving(app, a).endswith(f"+site{a}.v2")


def test_errors_are_clear(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    seed_decisions(app, site_id, stream(400))
    assert _train(app, site_id, AdaptConfig(min_per_class=10_000)).endswith("refused")
    assert _train(app, site_id, AdaptConfig(margin=0.9)).endswith("kept_base")
    assert _train(app, site_id).endswith("active")
    admin = make_key(app, "admin")

    def post(path: str, token: str = admin) -> tuple[int, dict]:  # type: ignore[type-arg]
        answer = client.post(path, headers=auth(token))
        return answer.status_code, answer.get_json()

    status, body = post(f"/v1/sites/{site_id}/models/3/activate")
    assert status == 409 and body["error"]["code"] == "already_active"
    for version, run in ((1, "refused"), (2, "kept_base")):
        status, body = post(f"/v1/sites/{site_id}/models/{version}/activate")
        assert status == 422, body
        [detail] = body["error"]["details"]
        assert detail["field"] == "version" and detail["code"] == "not_activatable"
        assert run in detail["message"]
    for path in (f"/v1/sites/{site_id}/models/9/activate", "/v1/sites/999/models/1/activate",
                 "/v1/sites/999/models/rollback", f"/v1/sites/{site_id}/models/99999999999/activate"):
        status, body = post(path)
        assert status == 404 and body["error"]["code"] == "not_found", path
    moderator = make_key(app, "moderator")
    assert post(f"/v1/sites/{site_id}/models/rollback", moderator)[0] == 403
    assert _events(app) == []
    assert _serving(app, site_id).endswith(f"+site{site_id}.v3")


def test_a_model_trained_on_an_older_base_is_not_activated(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    seed_decisions(app, site_id, stream(400))
    _train(app, site_id)
    _train(app, site_id)
    with app.extensions["db"].session() as session:
        old = adaptation.find_model(session, site_id, 1)
        old.base_version = "clf-2025.01.01-1"  # as if the base was upgraded since
        session.commit()
    answer = client.post(f"/v1/sites/{site_id}/models/1/activate", headers=auth(make_key(app, "admin")))
    assert answer.status_code == 422
    [detail] = answer.get_json()["error"]["details"]
    assert detail["code"] == "stale_base" and "clf-2025.01.01-1" in detail["message"]
    assert _serving(app, site_id).endswith(f"+site{site_id}.v2")
