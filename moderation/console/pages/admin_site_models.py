"""Admin: a site's models learnt from its moderators, with Activate and Roll back.

One row per ``adapt`` run: its status (active; inactive: retired or rolled back;
rejected: kept the base or refused, and why), the label counts per class and category,
the held-out validation figures against the base, when it was trained and who made it
active. The buttons post (CSRF) to the service functions the API and ``adapt
--rollback`` use (``adaptation.activate`` / ``adaptation.rollback``), audited as the
signed-in admin; a refused change (409/422) comes back as a message on the page.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.domain.errors import DomainError
from moderation.services import adaptation, sites
from moderation.store import SiteModel
from moderation.store.site_models import ACTIVE, KEPT_BASE, REFUSED

from . import actions
from .common import actor, session

#: what the page calls each stored status
SHOWN_STATUS = {ACTIVE: "active", KEPT_BASE: "rejected", REFUSED: "rejected"}
STATUS_NOTE = {"retired": "replaced by a later model", "rolled_back": "rolled back",
               KEPT_BASE: "did not beat the base", REFUSED: "too few labels"}


def shown_status(row: SiteModel) -> str:
    return SHOWN_STATUS.get(row.status, "inactive")


def activatable(row: SiteModel) -> bool:
    return row.status != ACTIVE and row.artifact is not None


def _counts(row: SiteModel) -> dict[str, Any]:
    counts = dict(row.counts or {})
    for key in ("categories", "languages", "sources"):
        counts.setdefault(key, {})
    return counts


@login_required("admin")
def site_models_page(site_id: int) -> ResponseReturnValue:
    site = sites.visible_site(session(), site_id, actor())
    rows = adaptation.site_models(session(), site.id)
    active = next((r for r in rows if r.status == ACTIVE), None)
    last = rows[0] if rows else None
    since = adaptation.decisions_since(session(), site.id,
                                       last.last_decision_id if last is not None else None)
    return render_template("pages/admin_site_models.html", site=site, rows=rows, active=active,
                           since=since, shown_status=shown_status, note=STATUS_NOTE,
                           activatable=activatable, counts=_counts)


def _back(site_id: int) -> ResponseReturnValue:
    return redirect(url_for("console.admin_site_models", site_id=site_id), 303)


def _refused(error: DomainError) -> None:
    detail = error.details[0]["message"] if error.details else ""
    flash(f"{error.message} {detail}".strip(), "error")


@login_required("admin")
def activate(site_id: int, version: int) -> ResponseReturnValue:
    site = sites.visible_site(session(), site_id, actor())
    try:
        row, previous = actions.activate_site_model(site, version)
    except DomainError as error:
        if error.status == 404:
            raise
        _refused(error)
        return _back(site.id)
    flash(f"{site.name} now uses {row.label}"
          + (f" ({previous.label} retired)." if previous is not None else "."), "success")
    return _back(site.id)


@login_required("admin")
def rollback(site_id: int) -> ResponseReturnValue:
    site = sites.visible_site(session(), site_id, actor())
    try:
        gone, restored = actions.roll_back_site_model(site)
    except DomainError as error:
        _refused(error)
        return _back(site.id)
    flash(f"Rolled back {gone.label}; {site.name} now uses "
          f"{restored.label if restored is not None else 'the base model'}.", "success")
    return _back(site.id)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/sites/<int:site_id>/models", "admin_site_models", site_models_page)
    bp.add_url_rule("/admin/sites/<int:site_id>/models/<int:version>/activate",
                    "admin_site_model_activate", activate, methods=["POST"])
    bp.add_url_rule("/admin/sites/<int:site_id>/models/rollback", "admin_site_model_rollback",
                    rollback, methods=["POST"])
