"""Admin: the sites (tenants), with their waiting queues; create one."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from moderation.console.auth import login_required
from moderation.services import console_queries, sites

from . import actions
from .common import session


@login_required("admin")
def sites_page() -> ResponseReturnValue:
    problem = None
    if request.method == "POST":
        name = (request.form.get("name") or "").strip()
        if not 1 <= len(name) <= 100:
            problem = "A site name is 1 to 100 characters."
        else:
            try:
                site = actions.create_site(name)
            except sites.SiteExists:
                problem = f"A site named {name!r} already exists."
            except ValidationError:
                problem = "The site could not be created."
            else:
                flash(f"Site {site.name} created (id {site.id}).", "success")
                return redirect(url_for("console.admin_sites"), 303)
    rows = sites.list_sites(session())
    queues = {q.site_id: q for q in console_queries.queue_overview(session(), None)}
    return render_template("pages/admin_sites.html", sites=rows, queues=queues,
                           problem=problem), (422 if problem else 200)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/sites", "admin_sites", sites_page, methods=["GET", "POST"])
