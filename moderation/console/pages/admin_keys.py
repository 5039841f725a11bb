"""Admin: API keys for machines (sites, integrations): list, create (token shown once), revoke."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.api.auth import forget_cached_keys
from moderation.console.auth import login_required
from moderation.domain.errors import NotFound
from moderation.keys import KeyRequestError
from moderation.services import api_keys, sites

from . import actions
from .common import actor, parse_id, session

ROLES = ("site", "moderator", "compliance", "admin")


@login_required("admin")
def keys_page() -> ResponseReturnValue:
    problem = None
    token = None
    if request.method == "POST":
        role = request.form.get("role", "")
        name = (request.form.get("name") or "").strip() or None
        site_id = parse_id(request.form.get("site_id"))
        site = sites.visible_site(session(), site_id, actor()) if site_id else None
        if role not in ROLES:
            problem = "Choose a role."
        elif request.form.get("site_id") and site is None:
            problem = "Choose a site from the list."
        elif name is not None and len(name) > 100:
            problem = "A key name is at most 100 characters."
        else:
            try:
                key, token = actions.create_key(role, site, name)
            except KeyRequestError as exc:
                problem = str(exc)
            else:
                flash(f"Key #{key.id} ({key.name}) created. Copy the token now: it is not shown again.",
                      "success")
    rows = api_keys.list_keys(session(), include_revoked=request.args.get("revoked") == "show")
    return render_template("pages/admin_keys.html", keys=rows, token=token, roles=ROLES,
                           sites={s.id: s.name for s in sites.list_sites(session())},
                           problem=problem), (422 if problem else 200)


@login_required("admin")
def revoke(key_id: int) -> ResponseReturnValue:
    key = api_keys.find_key(session(), key_id)
    if key is None:
        raise NotFound.of("key")
    actions.revoke_key(key)
    forget_cached_keys()  # this process at once; others within MODERATION_KEY_CACHE_SECONDS
    flash(f"Key #{key.id} revoked.", "success")
    return redirect(url_for("console.admin_keys"), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/keys", "admin_keys", keys_page, methods=["GET", "POST"])
    bp.add_url_rule("/admin/keys/<int:key_id>/revoke", "admin_key_revoke", revoke, methods=["POST"])
