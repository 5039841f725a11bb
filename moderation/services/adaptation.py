"""Learning from a site's moderators: gather its labels, train, gate, activate, roll back.

Labels (``gather_examples``):

* every moderator decision on the site's comments, **the final one only** (a later
  override replaces the earlier decision: one label per comment), on the text of the
  revision that was decided. Withdrawn comments are left out. The optional category is
  the decision's ``reason`` when it names a category (``threat`` or ``category:threat``);
* every feedback row (Perspective ``suggestscore``): one suggestion's attribute scores
  are one label, rejected when its highest score is ≥ 0.5, its category that attribute.
  A suggestion naming a stored comment counts with that comment's label (the later
  of the two wins); one without a comment replaces an earlier suggestion of the same text.

Every run is a ``site_models`` row (versioned per site) and a ``site_model.*`` audit event;
at most one row per site is ``active``, and only the worker and ``score --site`` of that
site read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.classifier.model import ToxicityClassifier
from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, Invalid, NotFound
from moderation.pipeline.types import CATEGORIES
from moderation.store import Comment, CommentRevision, Decision, Feedback, Site, SiteModel
from moderation.store.site_models import ACTIVE, KEPT_BASE, REFUSED, RETIRED, ROLLED_BACK
from moderation.training.adapt import AdaptConfig, Example, NotEnoughLabels, adapt, label_counts

#: The actor of scheduled runs.
SYSTEM_ADAPT = Actor.system("adapt", "nightly adaptation")


class NothingToRollBack(Conflict):
    code = "no_site_model"


class AlreadyActive(Conflict):
    code = "already_active"


#: Perspective attribute names → our categories (suggestscore feedback).
PERSPECTIVE_CATEGORIES = {"severe_toxicity": "toxicity", "insult": "abusive",
                          "profanity": "obscene", "identity_attack": "discriminatory"}


def _category(reason: str) -> str | None:
    text = reason.strip().lower()
    text = text.removeprefix("category:").strip()
    text = PERSPECTIVE_CATEGORIES.get(text, text)
    return text if text in CATEGORIES else None


def gather_examples(session: Session, site_id: int) -> tuple[list[Example], int | None]:
    """The site's labels (see the module doc), and the newest decision id among them."""
    latest = (select(Decision.comment_id, func.max(Decision.id).label("id"))
              .join(Comment, Comment.id == Decision.comment_id)
              .where(Comment.site_id == site_id).group_by(Decision.comment_id).subquery())
    rows = session.execute(
        select(Decision.id, Decision.comment_id, Decision.decision, Decision.reason,
               Decision.created_at, Decision.revision.label("decided_revision"),
               Comment.revision.label("current_revision"), Comment.text,
               Comment.language, Comment.status)
        .join(latest, latest.c.id == Decision.id)
        .join(Comment, Comment.id == Decision.comment_id)
    ).all()
    old = {(r.comment_id, r.decided_revision) for r in rows
           if r.decided_revision != r.current_revision}
    old_texts: dict[tuple[int, int], str] = {}
    if old:
        for cid, rev, old_text in session.execute(
                select(CommentRevision.comment_id, CommentRevision.revision, CommentRevision.text)
                .where(CommentRevision.comment_id.in_({c for c, _ in old}))):
            old_texts[(cid, rev)] = old_text
    labels: dict[tuple[str, Any], Example] = {}
    newest: int | None = None
    for r in rows:
        newest = r.id if newest is None else max(newest, r.id)
        if r.status == "withdrawn":
            continue
        text: str | None = (r.text if r.decided_revision == r.current_revision
                else old_texts.get((r.comment_id, r.decided_revision)))
        if text is None:
            continue
        labels[("comment", r.comment_id)] = Example(
            text, r.decision == "rejected", r.created_at, _category(r.reason), r.language)
    groups: list[list[Feedback]] = []
    for fb in session.scalars(select(Feedback).where(Feedback.site_id == site_id)
                              .order_by(Feedback.id)):
        # one suggestion = its rows (one per attribute), written together with consecutive ids
        last = groups[-1][0] if groups else None
        if last is not None and (last.text, last.comment_id, last.actor, last.client_token,
                                 last.community_id) == (fb.text, fb.comment_id, fb.actor,
                                                        fb.client_token, fb.community_id) \
                and abs((fb.created_at - last.created_at).total_seconds()) < 1 \
                and fb.attribute not in {f.attribute for f in groups[-1]}:
            groups[-1].append(fb)
        else:
            groups.append([fb])
    for group in groups:
        top = max(group, key=lambda fb: fb.score)
        first = group[0]
        example = Example(first.text, top.score >= 0.5, first.created_at,
                          _category(top.attribute), first.language, first.source)
        key = ("comment", first.comment_id) if first.comment_id is not None else ("text", first.text)
        if key not in labels or labels[key].at <= example.at:
            labels[key] = example
    return sorted(labels.values(), key=lambda e: e.at), newest


def active_model(session: Session, site_id: int) -> SiteModel | None:
    return session.scalars(select(SiteModel).where(SiteModel.site_id == site_id,
                                                   SiteModel.status == ACTIVE)).first()


def site_models(session: Session, site_id: int) -> list[SiteModel]:
    """Every run of the site, newest first."""
    return list(session.scalars(select(SiteModel).where(SiteModel.site_id == site_id)
                                .order_by(SiteModel.version.desc())))


def decisions_since(session: Session, site_id: int, after_id: int | None) -> int:
    """How many decisions the site's moderators made after decision ``after_id``."""
    q = (select(func.count(Decision.id)).join(Comment, Comment.id == Decision.comment_id)
         .where(Comment.site_id == site_id))
    if after_id is not None:
        q = q.where(Decision.id > after_id)
    return int(session.scalar(q) or 0)


def last_run(session: Session, site_id: int) -> SiteModel | None:
    return session.scalars(select(SiteModel).where(SiteModel.site_id == site_id)
                           .order_by(SiteModel.version.desc()).limit(1)).first()


@dataclass(frozen=True)
class RunOutcome:
    row: SiteModel
    activated: bool


def run_adaptation(
    session: Session, site: Site, base: ToxicityClassifier, config: AdaptConfig, *, actor: Actor,
    progress: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Gather the site's labels, train and gate a model, record the run (and activate the
    model when it passed the gate). Commits. A refused or kept-base run is recorded too,
    with its reason."""
    say = progress or (lambda _msg: None)
    examples, newest = gather_examples(session, site.id)
    counts = label_counts(examples)
    say(f"site {site.name}: {counts['total']} labels ({counts['approved']} approved, "
        f"{counts['rejected']} rejected)")
    session.commit()  # no transaction is held while training runs
    version = int(session.scalar(select(func.coalesce(func.max(SiteModel.version), 0))
                                 .where(SiteModel.site_id == site.id)) or 0) + 1
    label = f"site{site.id}.v{version}"
    now = datetime.now(UTC)
    row = SiteModel(site_id=site.id, version=version, label=label, base_version=base.version,
                    counts=counts, validation={}, languages=[], last_decision_id=newest,
                    trained_by=actor.id, created_at=now)
    try:
        result = adapt(base, examples, config, version=label, progress=say)
    except NotEnoughLabels as exc:
        row.status, row.reason = REFUSED, f"not trained: {exc}"
    else:
        row.reason, row.validation = result.reason, result.validation
        row.train_seconds = round(result.seconds, 2)
        if result.model is None:
            row.status = KEPT_BASE
        else:
            row.status, row.artifact = ACTIVE, result.model.to_bytes()
            row.languages, row.activated_at = list(result.model.languages), now
            row.activated_by = actor.id
    previous = active_model(session, site.id) if row.status == ACTIVE else None
    if previous is not None:
        previous.status, previous.retired_at = RETIRED, now
        session.flush()
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="site_model.train", target_type="site_model",
                 target_id=row.id, site_id=site.id,
                 before={"active": previous.label if previous is not None else None},
                 after={"version": label, "status": row.status, "reason": row.reason,
                        "counts": {k: counts[k] for k in ("total", "approved", "rejected")},
                        "site_auc": row.validation.get("site_auc"),
                        "base_auc": row.validation.get("base_auc")},
                 request_id=None)
    session.commit()
    return RunOutcome(row, row.status == ACTIVE)


def rollback(session: Session, site: Site, *, actor: Actor,
             request_id: str | None = None) -> tuple[SiteModel, SiteModel | None]:
    """Retire the active model as ``rolled_back`` and reactivate the one it replaced (the
    ``retired`` one retired last), or the base when there is none. Commits. Returns (rolled
    back, now active or None for the base)."""
    current = active_model(session, site.id)
    if current is None:
        raise NothingToRollBack(f"site {site.name} has no active site model (it uses the base)")
    now = datetime.now(UTC)
    current.status, current.retired_at = ROLLED_BACK, now
    session.flush()
    restored = session.scalars(
        select(SiteModel).where(SiteModel.site_id == site.id, SiteModel.status == RETIRED)
        # the one the active model replaced: retired last (an admin may have activated an
        # older version over a newer one); for trained runs this is the previous version
        .order_by(SiteModel.retired_at.desc().nulls_last(), SiteModel.version.desc())
        .limit(1)).first()
    if restored is not None:
        _claim_active(session, restored, RETIRED, now, actor)
    audit.record(session, actor=actor, action="site_model.rollback", target_type="site_model",
                 target_id=current.id, site_id=site.id,
                 before={"active": current.label},
                 after={"active": restored.label if restored is not None else None},
                 request_id=request_id)
    session.commit()
    return current, restored



def _claim_active(session: Session, row: SiteModel, expected_status: str, now: datetime,
                  actor: Actor) -> None:
    """Make ``row`` the active model if it still has ``expected_status`` (:class:`Conflict`,
    rolled back, when a concurrent change got there first)."""
    claim = session.execute(
        update(SiteModel).where(SiteModel.id == row.id, SiteModel.status == expected_status)
        .values(status=ACTIVE, activated_at=now, retired_at=None, activated_by=actor.id)
        .execution_options(synchronize_session=False))
    if claim.rowcount != 1:  # type: ignore[attr-defined]
        session.rollback()
        raise Conflict("the site's models changed meanwhile; try again")
    session.refresh(row)

def find_model(session: Session, site_id: int, version: int) -> SiteModel:
    """The site's run ``version`` (:class:`NotFound` otherwise: never another site's)."""
    row = session.scalars(select(SiteModel).where(SiteModel.site_id == site_id,
                                                  SiteModel.version == version)).first()
    if row is None:
        raise NotFound(f"This site has no model version {version}.")
    return row


def activate(session: Session, site: Site, version: int, *, actor: Actor,
             request_id: str | None = None) -> tuple[SiteModel, SiteModel | None]:
    """Make the site's model ``version`` the active one (a model it retired or rolled back:
    one that passed its gate when trained), retiring the active one. Commits. Returns
    (now active, retired or None when the site used the base).

    :class:`NotFound` for a version the site doesn't have, :class:`AlreadyActive` when it
    is active, :class:`Invalid` when the run trained no model (kept the base or refused)
    or trained it on another base than the site's last run (it would be served as the
    base), :class:`Conflict` when the site's models changed meanwhile.
    """
    row = find_model(session, site.id, version)
    if row.status == ACTIVE:
        raise AlreadyActive(f"{row.label} is already the site's active model.")
    if row.artifact is None or row.status not in (RETIRED, ROLLED_BACK):
        raise Invalid.field("version", "not_activatable",
                            f"{row.label} has no model to serve ({row.status}: {row.reason})",
                            "This run trained no model that can be activated.")
    newest = last_run(session, site.id)
    if newest is not None and newest.base_version != row.base_version:
        raise Invalid.field("version", "stale_base",
                            f"{row.label} was trained on base {row.base_version}; the site's "
                            f"latest run used {newest.base_version}, so it would be served as the base",
                            "This model was trained on an older base model.")
    now = datetime.now(UTC)
    current = active_model(session, site.id)
    if current is not None:
        current.status, current.retired_at = RETIRED, now
        session.flush()
    _claim_active(session, row, row.status, now, actor)
    audit.record(session, actor=actor, action="site_model.activate", target_type="site_model",
                 target_id=row.id, site_id=site.id,
                 before={"active": current.label if current is not None else None},
                 after={"active": row.label}, request_id=request_id)
    session.commit()
    return row, current


def select_site(name: str) -> Select[Any]:
    return select(Site).where(Site.name == name)


def require_site(session: Session, name: str) -> Site:
    site: Site | None = session.scalars(select_site(name)).first()
    if site is None:
        raise NotFound(f"No site named {name!r}.")
    return site


def adapt_config(settings: Any) -> AdaptConfig:
    """The training and gate settings (MODERATION_ADAPT_*)."""
    return AdaptConfig(min_per_class=settings.adapt_min_labels, margin=settings.adapt_margin,
                       holdout_fraction=settings.adapt_holdout_fraction)


def sites_due(session: Session, *, every: int, nightly: bool) -> list[Site]:
    """Sites whose moderators made ``every`` decisions (or, ``nightly``, any) since their
    last run."""
    due = []
    for site in session.scalars(select(Site).order_by(Site.id)):
        previous = last_run(session, site.id)
        new = decisions_since(session, site.id,
                              previous.last_decision_id if previous is not None else None)
        if (nightly and new > 0) or (every > 0 and new >= every):
            due.append(site)
    return due
