"""Legal holds in the console: what each covers, until when, who placed it; place one with
the scope builder, release one."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.services import disclosure, holds
from moderation.services.scopes import Scope

from .common import actor, session, visible_sites
from .compliance_common import OFFICERS, describe_scope, parse_scope, parse_when, person, request_id


def _page(errors: dict[str, str] | None = None, form: object = None,
          status: int = 200) -> ResponseReturnValue:
    show_all = request.args.get("show") == "all"
    now = datetime.now(UTC)
    sites = visible_sites()
    rows = holds.list_holds(session(), actor(), include_inactive=show_all, now=now)
    covered = {h.id: disclosure.preview_scope(session(), Scope.from_json(h.scope, h.site_id)) for h in rows}
    return render_template(
        "pages/compliance/holds.html", holds=rows, show_all=show_all, sites=sites, person=person,
        active=lambda h: holds.is_active(h, now), covered=covered, errors=errors or {},
        form=form if form is not None else {"site_id": str(next(iter(sites))) if len(sites) == 1 else ""},
        describe=lambda h: describe_scope(h.scope, sites.get(h.site_id) if h.site_id else None)), status


@login_required(*OFFICERS)
def holds_page() -> ResponseReturnValue:
    return _page()


@login_required(*OFFICERS)
def hold_create() -> ResponseReturnValue:
    errors: dict[str, str] = {}
    reference = (request.form.get("reference") or "").strip()
    notes = (request.form.get("notes") or "").strip()
    if not reference:
        errors["reference"] = "Required: the order or matter the hold is for."
    elif len(reference) > 300:
        errors["reference"] = "At most 300 characters."
    if len(notes) > 10_000:
        errors["notes"] = "At most 10,000 characters."
    expires = parse_when(request.form.get("expires_at") or "", end_of_day=True)
    if isinstance(expires, str):
        errors["expires_at"] = expires
    elif expires is not None and expires <= datetime.now(UTC):
        errors["expires_at"] = "A hold that has already expired would hold nothing."
    parsed = parse_scope(request.form)
    errors.update(parsed.errors)
    if errors or parsed.scope is None or isinstance(expires, str):
        return _page(errors, request.form, 422)
    hold = holds.create_hold(session(), scope=parsed.scope, reference=reference, notes=notes,
                             expires_at=expires, actor=actor(), request_id=request_id())
    flash(f"Hold #{hold.id} placed.", "success")
    return redirect(url_for("console.compliance_holds"), 303)


@login_required(*OFFICERS)
def hold_release(hold_id: int) -> ResponseReturnValue:
    hold = holds.release_hold(session(), hold_id, actor(), request_id=request_id())
    flash(f"Hold #{hold.id} released.", "success")
    return redirect(url_for("console.compliance_holds"), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/compliance/holds", "compliance_holds", holds_page)
    bp.add_url_rule("/compliance/holds/new", "compliance_hold_create", hold_create, methods=["POST"])
    bp.add_url_rule("/compliance/holds/<int:hold_id>/release", "compliance_hold_release", hold_release,
                    methods=["POST"])
