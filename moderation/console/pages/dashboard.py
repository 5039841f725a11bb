"""The dashboard: decisions per day, queue size and oldest age, per-moderator counts and
median time to decision, the category mix and how often people overrode the machine.
Charts are SVG drawn on the server (``moderation/console/charts.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, render_template, request
from flask.typing import ResponseReturnValue

from moderation.console import charts
from moderation.console.auth import login_required
from moderation.console.highlight import label
from moderation.services import console_queries

from .common import READERS, filter_ids, session, site_choice, visible_sites

WINDOWS = (7, 30, 90)


@login_required(*READERS)
def dashboard_page() -> ResponseReturnValue:
    site_id = site_choice(request.args.get("site_id"))
    days = int(request.args.get("days", "30")) if request.args.get("days") in ("7", "30", "90") else 30
    until = datetime.now(UTC)
    since = (until - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0, microsecond=0)
    data = console_queries.dashboard(session(), site_ids=filter_ids(site_id), since=since, until=until)
    labels = [day for day, _a, _r in data.per_day]
    per_day = charts.stacked_columns(
        "Moderator decisions per day", labels,
        [("series-approved", "approved", [a for _d, a, _r in data.per_day]),
         ("series-rejected", "rejected", [r for _d, _a, r in data.per_day])],
        every=7 if days > 14 else 1)
    per_moderator = charts.horizontal_bars(
        "Decisions per moderator", [(m.name, m.approved + m.rejected) for m in data.moderators[:15]])
    mix = charts.horizontal_bars(
        "Comments flagged per category", [(label(name), n) for name, n in data.categories],
        css="series-b")
    return render_template("pages/dashboard.html", data=data, per_day=per_day,
                           per_moderator=per_moderator, mix=mix, sites=visible_sites(),
                           site_id=site_id, days=days, windows=WINDOWS)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/dashboard", "dashboard", dashboard_page)
