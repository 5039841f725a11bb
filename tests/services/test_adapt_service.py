"""Site models from a site's own decisions, on SQLite and PostgreSQL: the labels (final
decisions only, feedback), train → activate → roll back, audit, and per-site isolation."""

from __future__ import annotations

import functools
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from moderation.classifier.artifact import load_classifier
from moderation.classifier.model import ToxicityClassifier
from moderation.domain.actors import Actor
from moderation.services import adaptation, decisions, feedback
from moderation.services import moderation as moderation_service
from moderation.services.site_serving import SiteClassifiers
from moderation.store import AuditEvent, Comment, Site, Verdict
from moderation.training.adapt import AdaptConfig
from tests.support.adapt_data import INSULTS, T0, seed_decisions, stream
from tests.support.factories import make_site

OPERATOR = Actor.system("cli", "command line (test)")
MODERATOR = Actor.for_user(user_id=1, display_name="Mod", role="moderator", site_ids=None)


@functools.cache
def _base() -> ToxicityClassifier:
    return load_classifier()


@pytest.fixture
def base() -> ToxicityClassifier:
    return _base()


def _site(app: Flask, site_id: int) -> Site:
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        session.expunge(site)
        return site


def _train(app: Flask, site_id: int, base: ToxicityClassifier,
           config: AdaptConfig | None = None) -> adaptation.RunOutcome:
    with app.extensions["db"].session() as session:
        run = adaptation.run_adaptation(session, _site(app, site_id), base, config or AdaptConfig(),
                                        actor=OPERATOR)
        session.expunge(run.row)
        return run


def _pending(app: Flask, site_id: int, text: str) -> int:
    with app.extensions["db"].session() as session:
        comment = Comment(site_id=site_id, article_id="a", title="t", text=text,
                          sender_pseudonym="p" * 32, status="pending")
        session.add(comment)
        session.commit()
        return comment.id


def test_a_later_override_replaces_the_earlier_decision_and_counts_once(app: Flask) -> None:
    site = make_site(app)
    [first, second] = seed_decisions(app, site, [("nodi zorblak", False), ("nodi mane", False)])
    with app.extensions["db"].session() as session:
        result = decisions.decide(session, comment_id=first, decision="rejected", reason="threat",
                                  override=True, actor=MODERATOR, request_id=None)
        assert result.outcome == "decided"
        examples, newest = adaptation.gather_examples(session, site)
    assert [(e.text, e.rejected, e.category) for e in examples] == [
        ("nodi mane", False, None), ("nodi zorblak", True, "threat")]
    assert newest == result.decision.id  # type: ignore[union-attr]


def test_suggestscore_feedback_is_one_label_per_suggestion(app: Flask) -> None:
    site_id = make_site(app)
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id)
        assert site is not None
        for text, scores in (("gundapa nodi", {"TOXICITY": 0.9, "INSULT": 0.95}),
                             ("mane ooru", {"TOXICITY": 0.1}),
                             ("gundapa nodi", {"TOXICITY": 0.2})):  # a later one of the same text wins
            feedback.record_suggestion(session, site=site, text=text, language="kn-Latn",
                                       scores=scores, community_id=None, client_token=None,
                                       actor=OPERATOR, request_id=None)
        examples, _ = adaptation.gather_examples(session, site_id)
    assert sorted((e.text, e.rejected, e.category, e.source) for e in examples) == [
        ("gundapa nodi", False, "toxicity", "perspective.suggestscore"),
        ("mane ooru", False, "toxicity", "perspective.suggestscore")]


def test_too_few_labels_is_recorded_as_refused_and_the_site_keeps_the_base(
    app: Flask, base: ToxicityClassifier
) -> None:
    site = make_site(app)
    seed_decisions(app, site, stream(60))
    run = _train(app, site, base)
    assert not run.activated and run.row.status == "refused" and run.row.artifact is None
    assert "at least 50 of each" in run.row.reason
    with app.extensions["db"].session() as session:
        assert adaptation.active_model(session, site) is None


def test_train_activate_retrain_and_roll_back_twice_all_audited(
    app: Flask, base: ToxicityClassifier
) -> None:
    site = make_site(app)
    seed_decisions(app, site, stream(400))
    v1 = _train(app, site, base)
    assert v1.activated and v1.row.status == "active" and v1.row.label == f"site{site}.v1"
    assert v1.row.validation["site_auc"] > v1.row.validation["base_auc"] + 0.02
    assert v1.row.counts["total"] == 400 and v1.row.trained_by == "system:cli"
    seed_decisions(app, site, stream(100, seed=5), start=T0 + timedelta(days=1))
    v2 = _train(app, site, base)
    assert v2.activated and v2.row.version == 2 and v2.row.counts["total"] == 500

    with app.extensions["db"].session() as session:
        statuses = {r.label: r.status for r in adaptation.site_models(session, site)}
        assert statuses == {f"site{site}.v1": "retired", f"site{site}.v2": "active"}
        s = session.get(Site, site)
        assert s is not None
        gone, restored = adaptation.rollback(session, s, actor=OPERATOR)
        assert (gone.label, restored and restored.label) == (f"site{site}.v2", f"site{site}.v1")
        gone, restored = adaptation.rollback(session, s, actor=OPERATOR)
        assert (gone.label, restored) == (f"site{site}.v1", None)
        with pytest.raises(adaptation.NothingToRollBack):
            adaptation.rollback(session, s, actor=OPERATOR)
        statuses = {r.label: r.status for r in adaptation.site_models(session, site)}
        assert set(statuses.values()) == {"rolled_back"}
        events = session.execute(select(AuditEvent.action, AuditEvent.actor, AuditEvent.after)
                                 .where(AuditEvent.action.like("site_model.%"))
                                 .order_by(AuditEvent.id)).all()
    assert [(a, who) for a, who, _ in events] == [("site_model.train", "system:cli")] * 2 + [
        ("site_model.rollback", "system:cli")] * 2
    assert events[2].after == {"active": f"site{site}.v1"} and events[3].after == {"active": None}


def test_a_site_model_scores_its_own_site_only_and_verdicts_name_it(
    app: Flask, base: ToxicityClassifier
) -> None:
    site_a, site_b = make_site(app, "site-a"), make_site(app, "site-b")
    seed_decisions(app, site_a, stream(400))
    run = _train(app, site_a, base)
    assert run.activated
    text = f"nodi {INSULTS[1]} mane {INSULTS[2]} ooru"
    a, b = _pending(app, site_a, text), _pending(app, site_b, text)
    serving = SiteClassifiers(base)
    with app.extensions["db"].session() as session:
        assert set(serving.for_sites(session, [site_a, site_b])) == {site_a}
        batch = moderation_service.moderate_batch(session, a, base, size=10,
                                                  site_classifiers=serving)
        assert {o.comment_id for o in batch.moderated} == {a, b}
        verdicts = {v.comment_id: v for v in session.scalars(select(Verdict))}
    assert verdicts[a].model_version == f"{base.version}+{run.row.label}"
    assert verdicts[b].model_version == base.version
    assert verdicts[a].scores["toxicity"] > 0.8 > 0.3 > verdicts[b].scores["toxicity"]
    assert verdicts[a].decision != "approved"


def test_a_model_trained_on_another_base_is_not_served(app: Flask, base: ToxicityClassifier) -> None:
    site = make_site(app)
    seed_decisions(app, site, stream(400))
    assert _train(app, site, base).activated
    with app.extensions["db"].session() as session:
        row = adaptation.active_model(session, site)
        assert row is not None
        row.base_version = "clf-older"
        session.commit()
        assert SiteClassifiers(base).for_sites(session, [site]) == {}
