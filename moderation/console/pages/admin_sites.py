"""Admin: the sites (tenants), with their waiting queues; create one; require TOTP of a
site's moderators."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from moderation.console.auth import current_actor, login_required
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


@login_required("admin")
def site_totp(site_id: int) -> ResponseReturnValue:
    """Require (or stop requiring) TOTP of the moderators acting on one site."""
    site = sites.find_site_by_id(session(), site_id)
    required = request.form.get("moderator_totp_required") == "yes"
    sites.set_moderator_totp_required(session(), site, required, actor=current_actor(),
                                      request_id=g.get("request_id"))
    flash(f"Moderators of {site.name} {'must now' if required else 'no longer have to'} use "
          "two-step sign-in.", "success")
    return redirect(url_for("console.admin_sites"), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/sites", "admin_sites", sites_page, methods=["GET", "POST"])
    bp.add_url_rule("/admin/sites/<int:site_id>/totp", "admin_site_totp", site_totp, methods=["POST"])
