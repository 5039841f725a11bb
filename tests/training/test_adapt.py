"""Training a site model (pure): the label floor, the time-held-out gate, the artifact."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pytest

from moderation.classifier.artifact import load_classifier
from moderation.classifier.model import ArtifactError, ToxicityClassifier
from moderation.classifier.site_model import SiteAdaptedClassifier, SiteModel
from moderation.training.adapt import (
    AdaptConfig,
    Example,
    NotEnoughLabels,
    adapt,
    split_by_time,
)
from tests.support.adapt_data import INSULTS, T0, examples

ENGLISH_CLEAN = ["Thank you for the clear report on the floods.", "The council meets on Tuesday.",
                 "A fair editorial, though I disagree with the conclusion.",
                 "Good interview with the minister about the metro."]
ENGLISH_ABUSE = ["You are a pathetic idiot and a disgusting moron.",
                 "Shut up you stupid worthless loser.", "What a fucking idiot this writer is.",
                 "Idiot reporter, you are a moron and a disgrace."]


@pytest.fixture(scope="module")
def base() -> ToxicityClassifier:
    return load_classifier()


def test_it_refuses_to_train_below_the_minimum_labels_per_class(base: ToxicityClassifier) -> None:
    few = [e for e in examples(400) if not e.rejected] + [e for e in examples(400) if e.rejected][:49]
    with pytest.raises(NotEnoughLabels, match="49 rejected labels; at least 50"):
        adapt(base, few, AdaptConfig(min_per_class=50), version="s.v1")


def test_the_validation_set_is_the_most_recent_labels(base: ToxicityClassifier) -> None:
    shuffled = list(reversed(examples(100)))
    older, recent = split_by_time(shuffled, 0.2)
    assert len(recent) == 20 and max(e.at for e in older) < min(e.at for e in recent)
    result = adapt(base, examples(400), AdaptConfig(), version="s.v1")
    assert result.validation["holdout"] == 80 and result.validation["train"] == 320
    assert result.validation["holdout_from"] == (T0 + timedelta(minutes=320)).isoformat()


def test_it_learns_words_the_base_never_saw_and_activates(base: ToxicityClassifier) -> None:
    result = adapt(base, examples(400), AdaptConfig(), version="s.v1")
    v = result.validation
    assert v["base_auc"] < 0.7 < 0.95 < v["site_auc"], v
    assert result.activate and result.model is not None and "activated" in result.reason
    adapted = SiteAdaptedClassifier(base, result.model)
    scores = [o.scores["toxicity"] for o in adapted.predict_batch(
        [f"nodi mane {INSULTS[0]} ooru", "nodi mane chennagide ooru"])]
    assert scores[0] > 0.8 > 0.2 > scores[1]
    assert adapted.version == f"{base.version}+s.v1"


def test_it_keeps_the_base_when_it_does_not_beat_it_by_the_margin(base: ToxicityClassifier) -> None:
    # English abuse the base already ranks perfectly: nothing left to win
    labels = [Example(t + f" #{i}", rejected, T0 + timedelta(minutes=i)) for i, (t, rejected) in
              enumerate((ENGLISH_ABUSE[i % 4], True) if i % 3 == 0 else (ENGLISH_CLEAN[i % 4], False)
                        for i in range(300))]
    result = adapt(base, labels, AdaptConfig(), version="s.v1")
    assert not result.activate and result.model is None
    assert result.validation["base_auc"] > 0.98
    assert result.reason.startswith("kept the base") and "does not beat" in result.reason


def test_a_margin_no_model_can_reach_keeps_the_base_whatever_it_learnt(base: ToxicityClassifier) -> None:
    result = adapt(base, examples(400), AdaptConfig(margin=0.6), version="s.v1")
    assert not result.activate and result.validation["site_auc"] > 0.95


def test_the_artifact_round_trips_as_plain_arrays(base: ToxicityClassifier) -> None:
    model = adapt(base, examples(400), AdaptConfig(), version="s.v1").model
    assert model is not None
    again = SiteModel.from_bytes(model.to_bytes())
    texts = [t.text for t in examples(50, seed=3)]
    a = SiteAdaptedClassifier(base, model).probabilities(texts)[1]
    b = SiteAdaptedClassifier(base, again).probabilities(texts)[1]
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert again.metadata["counts"]["total"] == 400 and again.base_version == base.version


def test_a_corrupt_or_foreign_artifact_is_refused(base: ToxicityClassifier) -> None:
    with pytest.raises(ArtifactError):
        SiteModel.from_bytes(b"not an npz")
    model = adapt(base, examples(400), AdaptConfig(), version="s.v1").model
    assert model is not None
    with pytest.raises(ArtifactError, match="trained on base"):
        SiteAdaptedClassifier(base, replace(model, base_version="clf-other"))


def test_languages_enough_held_out_labels_validate_are_declared(base: ToxicityClassifier) -> None:
    labelled = [replace(e, language="kn-Latn") for e in examples(600)]
    result = adapt(base, labelled, AdaptConfig(language_min_per_class=20), version="s.v1")
    assert result.model is not None and result.model.languages == ("kn-Latn",)
    assert result.validation["per_language"]["kn-Latn"]["covered"] is True
    adapted = SiteAdaptedClassifier(base, result.model, ("en",))
    assert adapted.languages == ("en", "kn-Latn")
    few = adapt(base, labelled, AdaptConfig(language_min_per_class=500), version="s.v2")
    assert few.model is not None and few.model.languages == ()
