"""``GET /v1/sites/<id>/models``: every run with its label counts and validation figures (admin)."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from moderation.classifier.artifact import load_classifier
from moderation.domain.actors import Actor
from moderation.services import adaptation
from moderation.store import Site
from moderation.training.adapt import AdaptConfig
from tests.support.adapt_data import seed_decisions, stream
from tests.support.factories import auth, make_key, make_site


def test_admins_see_the_active_model_its_counts_and_validation(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    admin = make_key(app, "admin")
    empty = client.get(f"/v1/sites/{site_id}/models", headers=auth(admin))
    assert empty.status_code == 200
    assert empty.get_json() == {"site_id": site_id, "active": None, "decisions_since_last_run": 0,
                                "items": []}
    seed_decisions(app, site_id, stream(400))
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        adaptation.run_adaptation(session, site, load_classifier(), AdaptConfig(),
                                  actor=Actor.system("cli", "test"))
    seed_decisions(app, site_id, stream(3, seed=9))
    body = client.get(f"/v1/sites/{site_id}/models", headers=auth(admin)).get_json()
    assert body["active"] == f"site{site_id}.v1" and body["decisions_since_last_run"] == 3
    [item] = body["items"]
    assert item["status"] == "active" and item["trained_by"] == "system:cli"
    assert item["counts"]["total"] == 400
    assert item["counts"]["approved"] + item["counts"]["rejected"] == 400
    assert item["counts"]["languages"] == {"kn-Latn": 400}
    v = item["validation"]
    assert (v["train"], v["holdout"]) == (320, 80) and v["site_auc"] > v["base_auc"]
    assert v["per_language"]["kn-Latn"]["n"] == 80


def test_only_admins_and_only_existing_sites(app: Flask, client: FlaskClient) -> None:
    site_id = make_site(app)
    moderator = make_key(app, "moderator")
    assert client.get(f"/v1/sites/{site_id}/models", headers=auth(moderator)).status_code == 403
    admin = make_key(app, "admin")
    missing = client.get("/v1/sites/999/models", headers=auth(admin))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
