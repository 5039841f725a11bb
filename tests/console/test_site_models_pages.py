"""The console's site-models page (admin): every run of a site with its status and why,
label counts, validation against the base, who activated it; Activate and Roll back post
(CSRF) through the service ``adapt --rollback`` and the API use, audited as the person."""

from __future__ import annotations

import functools
import re

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
from tests.console.conftest import create_person, sign_in, token_for
from tests.support.adapt_data import seed_decisions, stream
from tests.support.factories import make_site

OPERATOR = Actor.system("cli", "command line (test)")


@functools.cache
def _base() -> ToxicityClassifier:
    return load_classifier()


def _train(app: Flask, site_id: int, config: AdaptConfig | None = None) -> None:
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        adaptation.run_adaptation(session, site, _base(), config or AdaptConfig(), actor=OPERATOR)


def _serving(app: Flask, site_id: int) -> str:
    with app.extensions["db"].session() as session:
        chosen = SiteClassifiers(_base()).for_sites(session, [site_id]).get(site_id)
        return chosen.version if chosen is not None else _base().version


def _rows(html: str) -> dict[int, str]:
    return {int(v): s for v, s in re.findall(r'data-site-model="(\d+)" data-status="(\w+)"', html)}


def _page(client: FlaskClient, site_id: int) -> str:
    page = client.get(f"/console/admin/sites/{site_id}/models")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_page_lists_every_run_with_status_reason_counts_and_validation(
        app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-kn")
    seed_decisions(app, site, stream(400))
    _train(app, site, AdaptConfig(min_per_class=10_000))  # v1 refused
    _train(app, site, AdaptConfig(margin=0.9))  # v2 kept the base
    _train(app, site)  # v3
    _train(app, site)  # v4 replaces v3
    sign_in(client, create_person(app, "chief", "admin"))
    sites_page = client.get("/console/admin/sites").get_data(as_text=True)
    assert f'href="/console/admin/sites/{site}/models"' in sites_page

    html = _page(client, site)
    assert _rows(html) == {4: "active", 3: "inactive", 2: "rejected", 1: "rejected"}
    assert f'data-site-models-active="site{site}.v4"' in html
    rows = dict(re.findall(r'data-site-model="(\d+)"(.*?)</tr>', html, re.S))
    assert "too few labels" in rows["1"] and "not trained" in rows["1"]
    assert "did not beat the base" in rows["2"] and "does not beat the base" in rows["2"]
    assert "replaced by a later model" in rows["3"]
    approved = len([1 for _t, rejected in stream(400) if not rejected])
    for version in ("1", "2", "3", "4"):
        assert f"<span data-approved>{approved}</span> approved" in rows[version]
        assert f"<span data-rejected>{400 - approved}</span> rejected" in rows[version]
        assert "kn-Latn 400" in rows[version]
    site_auc = re.search(r"data-site-auc>([\d.]+)<", rows["4"])
    base_auc = re.search(r"data-base-auc>([\d.]+)<", rows["4"])
    assert site_auc and base_auc and float(site_auc.group(1)) > float(base_auc.group(1))
    assert "data-site-auc" not in rows["1"]  # a refused run has no validation
    assert "by system:cli" in rows["4"]  # activated by its training run
    # only models that can serve get an Activate button
    assert re.findall(r'data-site-model-activate="(\d+)"', html) == ["3"]
    assert "data-site-model-rollback" in html


def test_activate_and_roll_back_go_through_the_service_audited_as_the_person(
        app: Flask, client: FlaskClient) -> None:
    site, other = make_site(app, "news-kn"), make_site(app, "news-other")
    seed_decisions(app, site, stream(400))
    seed_decisions(app, other, stream(400, seed=4))
    _train(app, site)
    _train(app, site)
    _train(app, other)
    admin = create_person(app, "chief", "admin")
    sign_in(client, admin)
    path = f"/console/admin/sites/{site}/models"

    done = client.post(f"{path}/1/activate", data={"csrf_token": token_for(client, path)})
    assert done.status_code == 303 and done.headers["Location"].endswith(path)
    html = _page(client, site)
    assert f"news-kn now uses site{site}.v1 (site{site}.v2 retired)." in html
    assert _rows(html) == {2: "inactive", 1: "active"}
    assert f"by user:{admin.id}" in html
    assert _serving(app, site).endswith(f"+site{site}.v1")
    assert _serving(app, other).endswith(f"+site{other}.v1")

    # rolling back returns to the model the activation replaced, then to the base
    client.post(f"{path}/rollback", data={"csrf_token": token_for(client, path)})
    html = _page(client, site)
    assert f"Rolled back site{site}.v1; news-kn now uses site{site}.v2." in html
    assert _rows(html) == {2: "active", 1: "inactive"}
    client.post(f"{path}/rollback", data={"csrf_token": token_for(client, path)})
    html = _page(client, site)
    assert "news-kn now uses the base model." in html and 'data-site-models-active="base"' in html
    assert _serving(app, site) == _base().version
    assert _serving(app, other).endswith(f"+site{other}.v1")

    # a refused change is a message, not an error page
    again = client.post(f"{path}/rollback", data={"csrf_token": token_for(client, path)})
    assert again.status_code == 303
    assert "has no active site model" in _page(client, site)
    with app.extensions["db"].session() as session:
        events = session.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.site_id)
                                 .where(AuditEvent.action.in_(("site_model.activate",
                                                               "site_model.rollback")))
                                 .order_by(AuditEvent.id)).all()
    assert [tuple(e) for e in events] == [("site_model.activate", f"user:{admin.id}", site),
                                          ("site_model.rollback", f"user:{admin.id}", site),
                                          ("site_model.rollback", f"user:{admin.id}", site)]
    assert "rolled back" in html


def test_only_admins_with_the_csrf_token_and_only_existing_versions(
        app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-kn")
    seed_decisions(app, site, stream(400))
    _train(app, site)
    _train(app, site)
    path = f"/console/admin/sites/{site}/models"
    sign_in(client, create_person(app, "desk-asha", site_ids=(site,)))
    assert client.get(path).status_code == 403
    assert client.post(f"{path}/1/activate", data={"csrf_token": token_for(client)}).status_code == 403
    client.post("/console/logout", data={"csrf_token": token_for(client)})
    sign_in(client, create_person(app, "chief", "admin"))
    assert client.post(f"{path}/1/activate").status_code == 400  # no CSRF token
    token = token_for(client, path)
    assert client.post(f"{path}/9/activate", data={"csrf_token": token}).status_code == 404
    assert client.get("/console/admin/sites/999/models").status_code == 404
    assert client.post(f"{path}/2/activate", data={"csrf_token": token}).status_code == 303
    assert "is already the site&#39;s active model" in _page(client, site)
    assert _serving(app, site).endswith(f"+site{site}.v2")
