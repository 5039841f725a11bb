"""A site's models learnt from its moderators (role admin).

``GET /v1/sites/<id>/models`` lists every run; ``POST …/models/<version>/activate`` serves
an earlier model again and ``POST …/models/rollback`` does what ``adapt --rollback``
does, through the same service functions (audited as ``site_model.activate`` and
``site_model.rollback``). A change affects that site only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id
from moderation.api.operations import Out, documented, respond
from moderation.api.scope import in_range
from moderation.errors import not_found
from moderation.services import adaptation
from moderation.services.sites import visible_site
from moderation.store import Site, SiteModel

bp = Blueprint("site_models", __name__, url_prefix="/v1")


class LabelCountsOut(Out):
    total: int
    approved: int
    rejected: int
    #: labels per category the moderators named (decision reason ``threat`` / ``category:threat``)
    categories: dict[str, int]
    #: labels per identified language of the comment (``und``: unknown)
    languages: dict[str, int]
    #: labels per source: ``decision``, ``perspective.suggestscore``
    sources: dict[str, int]


class SiteModelOut(Out):
    id: int
    #: per-site run number
    version: int
    #: what verdicts record after the base's version (``<base>+site3.v2``)
    label: str
    #: the base model it was trained on (served only with that base)
    base_version: str
    #: active, retired (replaced), rolled_back, kept_base (lost the gate), refused (too few labels)
    status: str
    #: why it was (or wasn't) activated
    reason: str
    counts: LabelCountsOut
    #: held-out validation: train/holdout sizes, holdout time range, site_auc, base_auc,
    #: margin, per-language figures
    validation: dict[str, Any]
    #: languages it was validated on (added to the base's coverage for this site)
    languages: list[str]
    #: the actor who ran it (``system:adapt`` for the schedule, ``system:cli`` for the CLI)
    trained_by: str
    train_seconds: float | None
    created_at: str
    activated_at: str | None
    #: the actor who last made it active: its training run's, or whoever rolled back to
    #: it or activated it (None: never active)
    activated_by: str | None
    retired_at: str | None


class SiteModelsOut(Out):
    site_id: int
    #: the active site model's label; None when the site uses the base model
    active: str | None
    #: decisions made since the last run (the schedule retrains after MODERATION_ADAPT_EVERY_DECISIONS)
    decisions_since_last_run: int
    #: every run, newest first
    items: list[SiteModelOut]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def model_body(row: SiteModel) -> SiteModelOut:
    counts = {"categories": {}, "languages": {}, "sources": {}, **(row.counts or {})}
    return SiteModelOut(
        id=row.id, version=row.version, label=row.label, base_version=row.base_version,
        status=row.status, reason=row.reason, counts=LabelCountsOut.model_validate(counts),
        validation=row.validation or {}, languages=list(row.languages or []),
        trained_by=row.trained_by, train_seconds=row.train_seconds,
        created_at=row.created_at.isoformat(), activated_at=_iso(row.activated_at),
        activated_by=row.activated_by, retired_at=_iso(row.retired_at))


@bp.get("/sites/<int:site_id>/models")
@documented("A site's models learnt from its moderators: the active one, every run with its "
            "label counts and validation figures (role: admin)", response=SiteModelsOut,
            description="The site's models", errors=(404,))
@require_role("admin")
def list_site_models(site_id: int) -> Response:
    session = db_session()
    site = session.get(Site, site_id) if in_range(site_id) else None
    if site is None:
        raise not_found("site")
    rows = adaptation.site_models(session, site.id)
    active = next((r.label for r in rows if r.status == "active"), None)
    last = rows[0] if rows else None
    since = adaptation.decisions_since(session, site.id,
                                       last.last_decision_id if last is not None else None)
    return respond(SiteModelsOut(site_id=site.id, active=active, decisions_since_last_run=since,
                                 items=[model_body(r) for r in rows]))


class SiteModelChangeOut(Out):
    site_id: int
    #: the label of the model that serves the site now; None: the base model
    active: str | None
    #: the label of the model that served it before; None: the base model
    previous: str | None
    #: every run after the change, newest first
    items: list[SiteModelOut]


def _changed(session: Any, site: Site, active: SiteModel | None,
             previous: SiteModel | None) -> Response:
    return respond(SiteModelChangeOut(
        site_id=site.id, active=active.label if active is not None else None,
        previous=previous.label if previous is not None else None,
        items=[model_body(r) for r in adaptation.site_models(session, site.id)]))


@bp.post("/sites/<int:site_id>/models/<int:version>/activate")
@documented("Serve one of the site's earlier models again (role: admin)", response=SiteModelChangeOut,
            description="The model is active; the one it replaces is retired",
            notes="Only a model the site retired or rolled back can be activated (a run that "
                  "kept the base or was refused trained none: 422 `not_activatable`; one "
                  "trained on an older base than the site's latest run: 422 `stale_base`). "
                  "409 `already_active` when it is active. Audited as `site_model.activate`; "
                  "the site's workers serve it from their next batch. Other sites are untouched.",
            errors=(404, 409, 422))
@require_role("admin")
def activate_site_model(site_id: int, version: int) -> Response:
    session = db_session()
    site = visible_site(session, site_id, current_actor())
    if not in_range(version):
        raise not_found("site model")
    active, previous = adaptation.activate(session, site, version, actor=current_actor(),
                                           request_id=request_id())
    return _changed(session, site, active, previous)


@bp.post("/sites/<int:site_id>/models/rollback")
@documented("Roll the site back to the model before its active one, or to the base (role: admin)",
            response=SiteModelChangeOut, description="Rolled back",
            notes="What `python -m moderation adapt --site NAME --rollback` does: the active "
                  "model becomes `rolled_back` and the newest model it replaced (`retired`) "
                  "serves again, or the base when there is none. 409 `no_site_model` when the "
                  "site already uses the base. Audited as `site_model.rollback`.",
            errors=(404, 409))
@require_role("admin")
def rollback_site_model(site_id: int) -> Response:
    session = db_session()
    site = visible_site(session, site_id, current_actor())
    gone, restored = adaptation.rollback(session, site, actor=current_actor(),
                                         request_id=request_id())
    return _changed(session, site, restored, gone)
