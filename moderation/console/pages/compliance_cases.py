"""Disclosure cases in the console: the list with its 72-hour countdown, opening a case
with a scope builder (and a preview of what it matches), one case's page with its
exports and comments, closing with a reason, and a sender's full details (after a
TOTP step-up, within a case whose export was approved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from moderation.api.context import settings
from moderation.console.auth import login_required
from moderation.domain.errors import DomainError
from moderation.senders import mask_email, mask_ip
from moderation.services import disclosure, exports, sender_records
from moderation.services.scopes import Scope
from moderation.store import Comment, SenderDetails

from .common import actor, session, visible_sites
from .compliance_common import (
    OFFICERS,
    countdown,
    describe_scope,
    parse_scope,
    parse_when,
    person,
    request_id,
    step_up_prompt,
    stepped_up_until,
)
from .compliance_exports import export_view

STATUSES = {"active": "open and exported", "open": "open", "exported": "exported",
            "closed": "closed", "all": "every case"}
CASE_LIMITS = {"authority": 300, "legal_reference": 300, "legal_basis": 1000, "notes": 10_000}
#: How many of a case's comments its page lists.
COMMENTS_SHOWN = 50


@login_required(*OFFICERS)
def cases_page() -> ResponseReturnValue:
    show = request.args.get("show", "active")
    if show not in STATUSES:
        show = "active"
    rows = disclosure.list_requests(session(), actor(), status=None if show in ("all", "active") else show,
                                    limit=200)
    if show == "active":
        rows = [case for case in rows if case.status != "closed"]
    now = datetime.now(UTC)
    # soonest deadline first; answered and closed cases after the ones still due
    rows.sort(key=lambda c: (countdown(c, now).state == "answered", c.due_at, c.id))
    return render_template("pages/compliance/cases.html", cases=rows, show=show, statuses=STATUSES,
                           countdown=lambda c: countdown(c, now), person=person,
                           sites=visible_sites(), overdue=sum(
                               1 for c in rows if countdown(c, now).state == "overdue"))


def _case_fields(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, limit in CASE_LIMITS.items():
        value = (form.get(name) or "").strip()
        if name != "notes" and not value:
            errors[name] = "Required."
        elif len(value) > limit:
            errors[name] = f"At most {limit} characters."
        values[name] = value
    received = parse_when(form.get("received_at") or "")
    due = parse_when(form.get("due_at") or "")
    if isinstance(received, str):
        errors["received_at"] = received
    elif received is not None and received > datetime.now(UTC) + timedelta(minutes=5):
        errors["received_at"] = "The order can't have arrived in the future."
    if isinstance(due, str):
        errors["due_at"] = due
    values["received_at"] = received if not isinstance(received, str) else None
    values["due_at"] = due if not isinstance(due, str) else None
    return values, errors


def _preview(form: Any) -> dict[str, Any]:
    parsed = parse_scope(form)
    if parsed.scope is None:
        return {"scope_errors": parsed.errors, "preview": None}
    return {"scope_errors": {}, "preview": disclosure.preview_scope(session(), parsed.scope)}


@login_required(*OFFICERS)
def scope_preview() -> ResponseReturnValue:
    """The htmx fragment: how many comments and senders the scope matches (counts only)."""
    return render_template("pages/compliance/_scope_preview.html", **_preview(request.form))


@login_required(*OFFICERS)
def case_new() -> ResponseReturnValue:
    sites = visible_sites()
    context: dict[str, Any] = {"sites": sites, "form": request.form, "errors": {}, "preview": None,
                               "scope_errors": {},
                               "default_due_hours": settings().disclosure_default_due_hours,
                               "must_choose_site": actor().is_scoped}
    if request.method == "GET":
        context["form"] = {"received_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")}
        if len(sites) == 1:
            context["form"]["site_id"] = str(next(iter(sites)))
        return render_template("pages/compliance/case_new.html", **context)
    if request.form.get("action") == "preview":  # without JavaScript: the same page, with counts
        context.update(_preview(request.form))
        context["errors"] = context["scope_errors"]
        return render_template("pages/compliance/case_new.html", **context)
    values, errors = _case_fields(request.form)
    parsed = parse_scope(request.form)
    errors.update(parsed.errors)
    if errors or parsed.scope is None:
        context["errors"] = errors
        return render_template("pages/compliance/case_new.html", **context), 422
    case = disclosure.create_request(
        session(), disclosure.CaseInput(
            authority=values["authority"], legal_reference=values["legal_reference"],
            legal_basis=values["legal_basis"], received_at=values["received_at"] or datetime.now(UTC),
            due_at=values["due_at"], notes=values["notes"]),
        parsed.scope, actor(), default_due_hours=settings().disclosure_default_due_hours,
        request_id=request_id())
    flash(f"Case #{case.id} opened; due {case.due_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC.", "success")
    return redirect(url_for("console.compliance_case", case_id=case.id), 303)


def _case_comments(scope: Scope) -> list[dict[str, Any]]:
    """The first comments the case covers, with masked sender details only."""
    query = (select(Comment.id, Comment.title, Comment.created_at, Comment.sender_pseudonym,
                    SenderDetails.ip, SenderDetails.email, SenderDetails.erased_at)
             .outerjoin(SenderDetails, SenderDetails.comment_id == Comment.id)
             .where(*scope.conditions()).order_by(Comment.id).limit(COMMENTS_SHOWN * 4))
    rows = []
    for cid, title, created, pseudonym, ip, email, erased in session().execute(query):
        if scope.needs_ip_check and not scope.ip_matches(ip):
            continue
        rows.append({"id": cid, "title": title, "created_at": created, "pseudonym": pseudonym,
                     "ip_prefix": mask_ip(ip), "email_masked": mask_email(email), "erased": erased})
        if len(rows) == COMMENTS_SHOWN:
            break
    return rows


@login_required(*OFFICERS)
def case_page(case_id: int) -> ResponseReturnValue:
    case = disclosure.visible_request(session(), case_id, actor())
    scope = Scope.from_json(case.scope, case.site_id)
    sites = visible_sites()
    case_exports = exports.list_exports(session(), actor(), case_id=case.id)
    approved = any(e.status == "ready" for e in case_exports)
    return render_template(
        "pages/compliance/case.html", case=case, countdown=countdown(case), person=person,
        scope_lines=describe_scope(case.scope, sites.get(case.site_id) if case.site_id else None),
        preview=disclosure.preview_scope(session(), scope), exports=[export_view(e) for e in case_exports],
        comments=_case_comments(scope) if case.status != "closed" else [], approved=approved,
        stepped_up_until=stepped_up_until())


@login_required(*OFFICERS)
def case_close(case_id: int) -> ResponseReturnValue:
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > 500:
        flash("The reason is at most 500 characters.", "error")
        return redirect(url_for("console.compliance_case", case_id=case_id), 303)
    try:
        disclosure.close_request(session(), case_id, actor(), reason=reason or None,
                                 request_id_header=request_id())
    except DomainError as error:
        if error.status == 404:
            raise
        detail = error.details[0]["message"] if error.details else ""
        flash(f"{error.message} {detail}".strip(), "error")
        return redirect(url_for("console.compliance_case", case_id=case_id), 303)
    flash(f"Case #{case_id} closed.", "success")
    return redirect(url_for("console.compliance_case", case_id=case_id), 303)


@login_required(*OFFICERS)
def case_sender(case_id: int, comment_id: int) -> ResponseReturnValue:
    """One comment's full sender record: only after a fresh TOTP step-up, and only where the
    service allows it (open case, scope covers it, approved export); audited with the case."""
    case = disclosure.visible_request(session(), case_id, actor())
    if stepped_up_until() is None:
        return step_up_prompt("reveal this sender's full details")
    try:
        record = sender_records.view_sender(session(), comment_id, actor(), case_id=case.id,
                                            request_id=request_id())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("console.compliance_case", case_id=case.id), 303)
    return render_template("pages/compliance/sender.html", case=case, record=record)


@login_required(*OFFICERS)
def compliance_home() -> ResponseReturnValue:
    return redirect(url_for("console.compliance_cases"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/compliance/", "compliance_home", compliance_home)
    bp.add_url_rule("/compliance/cases", "compliance_cases", cases_page)
    bp.add_url_rule("/compliance/cases/new", "compliance_case_new", case_new, methods=["GET", "POST"])
    bp.add_url_rule("/compliance/scope-preview", "compliance_scope_preview", scope_preview,
                    methods=["POST"])
    bp.add_url_rule("/compliance/cases/<int:case_id>", "compliance_case", case_page)
    bp.add_url_rule("/compliance/cases/<int:case_id>/close", "compliance_case_close", case_close,
                    methods=["POST"])
    bp.add_url_rule("/compliance/cases/<int:case_id>/comments/<int:comment_id>/sender",
                    "compliance_case_sender", case_sender)
