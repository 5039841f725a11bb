"""The adaptation schedule: beat entries from the settings, and the task (called in-process)
training the sites that are due, as ``system:adapt``."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from moderation.celery_setup import ADAPT_TASK, celery_config
from moderation.settings import load_settings
from moderation.store import SiteModel
from tests.support.adapt_data import seed_decisions, stream
from tests.support.factories import make_site
from workers import tasks


def test_beat_runs_adaptation_nightly_and_after_new_decisions_as_configured() -> None:
    schedule = celery_config(load_settings(adapt_nightly_hour=3))["beat_schedule"]
    assert schedule["adapt-nightly"]["task"] == ADAPT_TASK
    assert schedule["adapt-nightly"]["kwargs"] == {"nightly": True}
    assert schedule["adapt-nightly"]["schedule"].hour == {3}
    assert schedule["adapt-after-decisions"]["kwargs"] == {"nightly": False}
    off = celery_config(load_settings(adapt_nightly_hour=-1, adapt_every_decisions=0))["beat_schedule"]
    assert "adapt-nightly" not in off and "adapt-after-decisions" not in off


def test_the_task_trains_only_sites_with_enough_new_decisions(app: Flask) -> None:
    busy, quiet = make_site(app, "busy"), make_site(app, "quiet")
    seed_decisions(app, busy, stream(400))
    seed_decisions(app, quiet, stream(10, seed=2))
    app.extensions["settings"] = app.extensions["settings"].model_copy(
        update={"adapt_every_decisions": 300})
    with app.app_context():
        first = tasks.adapt_sites.run(nightly=False)
        assert first == {"busy": f"site{busy}.v1: active"}
        assert tasks.adapt_sites.run(nightly=False) == {}  # nothing new since
        nightly = tasks.adapt_sites.run(nightly=True)  # the quiet site has new decisions too
    assert nightly == {"quiet": f"site{quiet}.v1: refused"}
    with app.extensions["db"].session() as session:
        rows = session.execute(select(SiteModel.site_id, SiteModel.trained_by)).all()
    assert sorted(rows) == sorted([(busy, "system:adapt"), (quiet, "system:adapt")])
