"""Policy changes are written only on the version they were computed from: a change that
loses a race is re-read and re-applied (no If-Match) or refused with a 412 (If-Match).
(PostgreSQL only: on SQLite writers are serialised from their first statement.)"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from moderation.domain.actors import CLI
from moderation.domain.errors import PreconditionFailed
from moderation.services import policies
from moderation.store import Site
from tests.support.factories import make_site

MODEL = {"threat": {"review": 0.0352, "reject": 0.8038}}


def _racing(app: Flask, site_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first policy parsed triggers another change, committed by another session, between
    the change's read and its write."""
    if app.extensions["settings"].database_url.startswith("sqlite"):
        pytest.skip("SQLite transactions begin IMMEDIATE: a second writer waits until the whole "
                    "change (read, then write) has committed, so this race can't happen there")
    original = policies.parse_policy
    raced: list[bool] = []

    def parse(data: Any, thresholds: Any) -> dict[str, Any]:
        if not raced:
            raced.append(True)
            with app.extensions["db"].session() as other:
                site = other.get(Site, site_id)
                assert site is not None
                policies.patch_policy(other, site, {"clean_below": 0.3}, actor=CLI, request_id=None,
                                      thresholds=MODEL)
        return original(data, thresholds)

    monkeypatch.setattr(policies, "parse_policy", parse)


def test_a_patch_that_loses_a_race_is_reapplied_on_the_new_version(
    app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site_id = make_site(app, policy={"mode": "pre"})
    _racing(app, site_id, monkeypatch)
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None and site.policy_version == 1
        site = policies.patch_policy(session, site, {"max_length": 900}, actor=CLI, request_id=None,
                                     thresholds=MODEL)
        assert site.policy_version == 3
        assert site.policy == {"mode": "pre", "clean_below": 0.3, "max_length": 900}


def test_a_change_with_if_match_that_loses_a_race_is_412(
    app: Flask, monkeypatch: pytest.MonkeyPatch,
) -> None:
    site_id = make_site(app, policy={"mode": "pre"})
    _racing(app, site_id, monkeypatch)
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        with pytest.raises(PreconditionFailed) as raised:
            policies.set_policy(session, site, {"max_length": 900}, actor=CLI, request_id=None,
                                thresholds=MODEL, if_match={1})
        assert raised.value.headers["ETag"] == '"2"'
    with app.extensions["db"].session() as session:
        stored = session.get(Site, site_id)
        assert stored is not None and stored.policy == {"mode": "pre", "clean_below": 0.3}
