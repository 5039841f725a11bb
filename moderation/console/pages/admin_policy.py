"""Admin: a site's thresholds per category, with a preview computed from stored scores.

"Preview" replays the decision policy with the typed thresholds on the site's last 7
days of scored comments and shows what share would be held for review and rejected,
next to the current thresholds' figures; "Save" stores them through the policy service
(validated, versioned, audited).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from moderation.api.auth import forget_cached_keys
from moderation.api.context import settings
from moderation.console.auth import login_required
from moderation.console.highlight import label
from moderation.domain.errors import Invalid
from moderation.pipeline.policy import FALLBACK_THRESHOLDS, Thresholds
from moderation.services import console_queries, policies, sites
from moderation.store import Site

from . import actions
from .common import actor, session

PREVIEW_DAYS = 7


def _current(site: Site) -> dict[str, Thresholds]:
    effective = policies.effective_policy(site, settings())["thresholds"]
    return {name: Thresholds(review=float(t["review"]),
                             reject=None if t.get("reject") is None else float(t["reject"]))
            for name, t in effective.items()}


def _typed(form: Any) -> tuple[dict[str, Thresholds], dict[str, str]]:
    chosen: dict[str, Thresholds] = {}
    errors: dict[str, str] = {}
    for name in FALLBACK_THRESHOLDS:
        raw_review = (form.get(f"{name}.review") or "").strip()
        raw_reject = (form.get(f"{name}.reject") or "").strip()
        try:
            review = float(raw_review)
            reject = float(raw_reject) if raw_reject else None
        except ValueError:
            errors[name] = "Scores are numbers from 0 to 1 (leave reject empty: never rejects)."
            continue
        if not 0 <= review <= 1 or (reject is not None and not 0 <= reject <= 1):
            errors[name] = "Scores are numbers from 0 to 1."
        elif reject is not None and reject < review:
            errors[name] = "Reject must not be below review."
        else:
            chosen[name] = Thresholds(review=review, reject=reject)
    return chosen, errors


@login_required("admin")
def policy_page(site_id: int) -> ResponseReturnValue:
    site = sites.visible_site(session(), site_id, actor())
    current = _current(site)
    shown = current
    errors: dict[str, str] = {}
    preview = None
    if request.method == "POST":
        shown, errors = _typed(request.form)
        shown = {**current, **shown}
        if not errors and request.form.get("action") == "save":
            data = dict(site.policy or {})
            data["thresholds"] = {n: {"review": t.review, "reject": t.reject} for n, t in shown.items()}
            try:
                actions.set_policy(site, data)
            except ValidationError as exc:
                errors["policy"] = "; ".join(e["msg"] for e in exc.errors())
            except Invalid as exc:
                errors["policy"] = "; ".join(d.get("message", "") for d in exc.details) or exc.message
            else:
                forget_cached_keys()  # the key cache holds sites' policies too
                flash(f"Thresholds of {site.name} saved (policy version {site.policy_version}).",
                      "success")
                return redirect(url_for("console.admin_policy", site_id=site.id), 303)
        if not errors:
            preview = console_queries.policy_preview(session(), site, shown, days=PREVIEW_DAYS)
    baseline = console_queries.policy_preview(session(), site, current, days=PREVIEW_DAYS)
    return render_template("pages/admin_policy.html", site=site, shown=shown, errors=errors,
                           preview=preview, baseline=baseline, label=label,
                           names=list(FALLBACK_THRESHOLDS)), (422 if errors else 200)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/sites/<int:site_id>/policy", "admin_policy", policy_page,
                    methods=["GET", "POST"])
