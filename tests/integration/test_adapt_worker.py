"""A real Celery worker process scores each site with its own active model and records
the version on the verdict; another site's comments keep the base. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from moderation import create_app
from moderation.classifier.artifact import load_classifier
from moderation.classifier.kannada import head_version
from moderation.domain.actors import Actor
from moderation.services import adaptation
from moderation.store import Site, Verdict
from moderation.training.adapt import AdaptConfig
from tests.support.adapt_data import INSULTS, seed_decisions, stream
from tests.support.factories import auth, comment_body, make_key, make_site
from tests.support.worker import start_worker, stop_worker, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def stack(database_url: str, redis_url: str, tmp_path: Path) -> Iterator[Flask]:
    queue_url = redis_url.rsplit("/", 1)[0] + "/2"
    redis.Redis.from_url(queue_url).flushdb()
    app = create_app({"database_url": database_url, "redis_url": queue_url,
                      "env": "test", "secret_key": "test-secret-key-0123456789"})
    log = tmp_path / "worker.log"
    worker = start_worker(database_url, queue_url, log)
    yield app
    stop_worker(worker)
    app.extensions["db"].dispose()
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[-4000:]


def _verdict(app: Flask, comment_id: int) -> Verdict | None:
    with app.extensions["db"].session() as session:
        return session.scalars(select(Verdict).where(Verdict.comment_id == comment_id)).first()


def test_the_worker_uses_each_sites_active_model_and_records_its_version(stack: Flask) -> None:
    base = load_classifier()
    site_a, site_b = make_site(stack, "site-a"), make_site(stack, "site-b")
    seed_decisions(stack, site_a, stream(400))
    with stack.extensions["db"].session() as session:
        site = session.get(Site, site_a)
        assert site is not None
        run = adaptation.run_adaptation(session, site, base, AdaptConfig(),
                                        actor=Actor.system("cli", "test"))
        assert run.activated
        label = run.row.label
    client = stack.test_client()
    text = f"nodi {INSULTS[0]} mane {INSULTS[4]} ooru"
    ids = {}
    for name, site_id in (("a", site_a), ("b", site_b)):
        token = make_key(stack, "site", site_id)
        created = client.post("/v1/comments", json=comment_body(comment=text, external_id=f"e-{name}"),
                              headers=auth(token))
        assert created.status_code == 202, created.get_data(as_text=True)
        ids[name] = created.get_json()["id"]
    assert wait_until(lambda: all(_verdict(stack, i) is not None for i in ids.values()), timeout=90)
    a, b = _verdict(stack, ids["a"]), _verdict(stack, ids["b"])
    assert a is not None and b is not None
    # romanised Kannada: site A's model was validated on it and keeps it; site B has no site
    # model, so the Kannada head (models/KN_LATEST) scores it
    assert a.model_version == f"{base.version}+{label}"
    assert b.model_version == f"{base.version}+{head_version()}"
    # the site model learnt the site's own insults; the head (YouTube-trained) only half suspects them
    assert a.scores["toxicity"] > 0.8 > b.scores["toxicity"]
    assert a.decision != "approved"
