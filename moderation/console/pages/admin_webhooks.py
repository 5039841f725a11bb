"""Admin: a site's signed webhooks in the console, through the same service functions
(and the same rules) as the admin API: list, add, enable, disable and delete endpoints,
rotate a secret (shown once), and each endpoint's delivery log with manual redelivery.

Role ``admin``, like ``/v1/.../webhooks``; an endpoint outside the person's scope is a
404 exactly like a missing one (``webhooks.get_endpoint`` with the actor).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.api.context import settings
from moderation.console.auth import login_required
from moderation.domain.errors import Conflict, Invalid
from moderation.services import webhooks
from moderation.store import Site, WebhookAttempt, WebhookEndpoint

from .common import actor, parse_id, session, visible_site, visible_sites
from .compliance_common import request_id

#: Deliveries per page of the log (the API's default page).
PAGE_SIZE = 50
STATUSES = ("pending", "delivered", "failed")
URL_LIMITS = (8, 2000)
DESCRIPTION_LIMIT = 500
REASON_LIMIT = 500
#: How long the previous secrets keep signing after a rotation from the console (the API's default).
ROTATE_OVERLAP = timedelta(days=1)


def _allowed() -> tuple[Any, ...]:
    return tuple(settings().webhook_networks)


def _errors(exc: Invalid | Conflict) -> dict[str, str]:
    """Field -> message from a service error (``form`` for one not about a field)."""
    found: dict[str, str] = {}
    for detail in exc.details:
        field = str(detail.get("field") or "form")
        found[field] = "; ".join(filter(None, (found.get(field), str(detail.get("message", "")))))
    return found or {"form": exc.message}


def _endpoint_form(form: Any) -> tuple[dict[str, Any], dict[str, str]]:
    url = (form.get("url") or "").strip()
    description = (form.get("description") or "").strip()
    values = {"url": url, "description": description, "event_types": form.getlist("event_types"),
              "compliance": form.get("compliance") == "yes"}
    errors: dict[str, str] = {}
    if not URL_LIMITS[0] <= len(url) <= URL_LIMITS[1]:
        errors["url"] = f"A URL of {URL_LIMITS[0]} to {URL_LIMITS[1]} characters (https://...)."
    if len(description) > DESCRIPTION_LIMIT:
        errors["description"] = f"At most {DESCRIPTION_LIMIT} characters."
    if not values["event_types"]:
        errors["event_types"] = "Subscribe to at least one event type."
    return values, errors


def _site_page(site: Site, *, form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               secret: tuple[WebhookEndpoint, str] | None = None, status: int = 200) -> ResponseReturnValue:
    endpoints = webhooks.list_endpoints(session(), site.id)
    return render_template(
        "pages/admin_webhooks.html", site=site, endpoints=endpoints, form=form or {},
        errors=errors or {}, secret=secret, events=webhooks.EVENT_DESCRIPTIONS,
        compliance_events=webhooks.CASE_EVENTS), status


@login_required("admin")
def index_page() -> ResponseReturnValue:
    """Every site the person may manage, with its endpoints' count and state."""
    names = visible_sites()
    endpoints = [e for e in webhooks.list_endpoints(session()) if e.site_id in names]
    return render_template("pages/admin_webhooks_index.html", sites=names, endpoints=endpoints)


@login_required("admin")
def site_page(site_id: int) -> ResponseReturnValue:
    site = visible_site(site_id)
    if request.method == "GET":
        return _site_page(site)
    values, errors = _endpoint_form(request.form)
    if errors:
        return _site_page(site, form=values, errors=errors, status=422)
    try:
        endpoint, secret = webhooks.create_endpoint(
            session(), site_id=site.id, url=values["url"], description=values["description"],
            event_types=values["event_types"], compliance=values["compliance"], actor=actor(),
            request_id=request_id(), allowed=_allowed())
    except Invalid as exc:
        session().rollback()
        return _site_page(site, form=values, errors=_errors(exc), status=422)
    except Conflict as exc:
        session().rollback()
        return _site_page(site, form=values, errors={"form": exc.message}, status=409)
    # The secret is shown in this answer only (never stored in a flash or the session).
    return _site_page(site, secret=(endpoint, secret), status=201)


def _endpoint(endpoint_id: int) -> WebhookEndpoint:
    return webhooks.get_endpoint(session(), endpoint_id, actor())


@login_required("admin")
def endpoint_page(endpoint_id: int) -> ResponseReturnValue:
    """One endpoint and its delivery log, newest first, ``PAGE_SIZE`` a page (``before``)."""
    endpoint = _endpoint(endpoint_id)
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        status = None
    before = parse_id(request.args.get("before"))
    rows = webhooks.deliveries(session(), endpoint, status=status, limit=PAGE_SIZE + 1, before_id=before)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    logs = webhooks.attempts(session(), [d.id for d, _e in rows])
    items = [{"delivery": d, "event": e, "comment_id": _comment_id(d.subject),
              "last": _last(logs.get(d.id))} for d, e in rows]
    return render_template(
        "pages/admin_webhook.html", endpoint=endpoint, site=visible_site(endpoint.site_id), items=items,
        status=status, statuses=STATUSES, before=before,
        next_before=rows[-1][0].id if more and rows else None)


def _last(log: list[WebhookAttempt] | None) -> WebhookAttempt | None:
    return log[-1] if log else None


def _comment_id(subject: str) -> int | None:
    kind, _, value = subject.partition(":")
    return int(value) if kind == "comment" and value.isdigit() else None


def _change(endpoint_id: int, change: webhooks.EndpointChange, done: str) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    webhooks.update_endpoint(session(), endpoint, change, actor=actor(), request_id=request_id(),
                             allowed=_allowed())
    flash(done.format(url=endpoint.url), "success")
    return redirect(url_for("console.admin_webhook", endpoint_id=endpoint.id), 303)


@login_required("admin")
def enable(endpoint_id: int) -> ResponseReturnValue:
    return _change(endpoint_id, webhooks.EndpointChange(enabled=True),
                   "{url} is enabled; its pending deliveries are retried now.")


@login_required("admin")
def disable(endpoint_id: int) -> ResponseReturnValue:
    reason = (request.form.get("disabled_reason") or "").strip()[:REASON_LIMIT] or None
    return _change(endpoint_id, webhooks.EndpointChange(enabled=False, disabled_reason=reason),
                   "{url} is disabled.")


@login_required("admin")
def delete(endpoint_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    site_id, url = endpoint.site_id, endpoint.url
    webhooks.delete_endpoint(session(), endpoint, actor=actor(), request_id=request_id())
    flash(f"{url} is deleted (kept disabled when it has a delivery log).", "success")
    return redirect(url_for("console.admin_site_webhooks", site_id=site_id), 303)


@login_required("admin")
def rotate(endpoint_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    endpoint, secret = webhooks.rotate_secret(session(), endpoint, expire_previous_after=ROTATE_OVERLAP,
                                              actor=actor(), request_id=request_id())
    return _site_page(visible_site(endpoint.site_id), secret=(endpoint, secret), status=201)


@login_required("admin")
def redeliver(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    endpoint = _endpoint(endpoint_id)
    delivery = webhooks.get_delivery(session(), endpoint, delivery_id)
    webhooks.redeliver(session(), endpoint, delivery, actor=actor(), request_id=request_id())
    flash(f"Delivery {delivery.id} is pending again; it is sent within moments.", "success")
    back: dict[str, Any] = {k: v for k in ("status", "before") if (v := request.form.get(k))}
    return redirect(url_for("console.admin_webhook", endpoint_id=endpoint.id, **back), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/webhooks", "admin_webhooks", index_page)
    bp.add_url_rule("/admin/sites/<int:site_id>/webhooks", "admin_site_webhooks", site_page,
                    methods=["GET", "POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>", "admin_webhook", endpoint_page)
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/enable", "admin_webhook_enable", enable,
                    methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/disable", "admin_webhook_disable", disable,
                    methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/delete", "admin_webhook_delete", delete,
                    methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/rotate", "admin_webhook_rotate", rotate,
                    methods=["POST"])
    bp.add_url_rule("/admin/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver",
                    "admin_webhook_redeliver", redeliver, methods=["POST"])
