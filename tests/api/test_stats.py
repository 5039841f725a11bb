"""GET /v1/stats: counts per status, category, day and decision; per moderator; queue time."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask.testing import FlaskClient

from tests.support.factories import auth, make_key, make_site
from tests.support.moderation_data import add_comment


def test_stats_count_decisions_categories_days_and_queue_time(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    other = make_site(app, "other")
    held = [add_comment(app, site) for _ in range(3)]
    add_comment(app, site, status="approved", reasons=[])
    add_comment(app, site, status="rejected",
                reasons=[{"code": "spam:links", "message": "", "spans": []}])
    add_comment(app, other)  # not counted for a site-scoped moderator
    alice = make_key(app, "moderator", site, name="alice")
    bob = make_key(app, "moderator", site, name="bob")
    client.post(f"/v1/comments/{held[0]}/decision", headers=auth(alice), json={"decision": "approved"})
    client.post(f"/v1/comments/{held[1]}/decision", headers=auth(bob), json={"decision": "rejected"})
    client.post(f"/v1/comments/{held[1]}/decision", headers=auth(alice),
                json={"decision": "approved", "override": True})

    stats = client.get("/v1/stats", headers=auth(alice)).get_json()
    assert stats["comments"]["total"] == 5
    assert stats["comments"]["by_status"] == {"approved": 3, "needs_review": 1, "rejected": 1}
    assert stats["comments"]["by_category"]["abusive"] == 3  # the three held ones
    assert stats["comments"]["by_category"]["spam"] == 1
    today = datetime.now(UTC).date().isoformat()
    assert stats["comments"]["by_day"] == {today: {"approved": 3, "needs_review": 1, "rejected": 1}}
    assert stats["decisions"]["by_decision"] == {"approved": 2, "rejected": 1}
    assert stats["decisions"]["by_moderator"] == {"alice": {"approved": 2}, "bob": {"rejected": 1}}
    assert stats["queue"]["waiting_now"] == 1
    assert stats["queue"]["decided"] == 2
    assert stats["queue"]["median_seconds_in_queue"] >= 0

    everything = client.get("/v1/stats", headers=auth(make_key(app, "admin"))).get_json()
    assert everything["comments"]["total"] == 6
    assert client.get("/v1/stats?from=2030-01-01&to=2029-01-01",
                      headers=auth(alice)).status_code == 422
