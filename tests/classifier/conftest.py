"""A tiny classifier trained in-test on synthetic rows: fast, and independent of the data folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from moderation.classifier.artifact import save_classifier
from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.model import ToxicityClassifier
from moderation.classifier.normalize import normalize
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

CLEAN = [
    "thanks for the thoughtful article", "the metro line opens next year",
    "i disagree with the editorial but it is well argued", "great reporting on the floods",
    "the council meeting is on tuesday", "my family enjoyed the festival",
    "please fix the typo in the second paragraph", "the match was exciting",
    "prices went up again this month", "good interview with the minister",
]
ABUSIVE = ["you are an idiot", "what a stupid moron", "shut up you idiot", "idiot author",
           "you moron", "stupid idiot reporter"]
OBSCENE = ["fuck this", "what the fuck", "fucking hell", "this is shit", "bullshit fuck"]
THREAT = ["i will kill you", "we will kill them", "someone should kill him", "kill you all"]
DISCRIM = ["all vermin should leave", "those vermin ruin everything", "vermin go home",
           "send the vermin back"]


def _rows() -> tuple[list[str], np.ndarray]:
    texts, labels = [], []
    groups = {"abusive": ABUSIVE, "obscene": OBSCENE, "threat": THREAT, "discriminatory": DISCRIM}
    for t in CLEAN * 2:
        texts.append(t)
        labels.append([0.0] * len(CLASSIFIER_CATEGORIES))
    for cat, items in groups.items():
        for t in items:
            texts.append(t)
            labels.append([1.0 if c in ("toxicity", cat) else 0.0 for c in CLASSIFIER_CATEGORIES])
    return texts, np.array(labels)


@pytest.fixture(scope="session")
def tiny_clf() -> ToxicityClassifier:
    from moderation.training import linear

    texts, labels = _rows()
    featurizer = HashedFeaturizer(word_bits=12, char_bits=14)
    counts = featurizer.counts([normalize(t) for t in texts])
    idf, coef, intercept = linear.fit_linear(
        counts,
        labels,
        None,
        np.arange(len(texts)),
        featurizer,
        CLASSIFIER_CATEGORIES,
        0,
        False,
        "",
        c_values=dict.fromkeys(CLASSIFIER_CATEGORIES, 4.0),
    )
    n = len(CLASSIFIER_CATEGORIES)
    return ToxicityClassifier(
        version="clf-test-1",
        thresholds={c: {"reject": 0.9, "review": 0.5} for c in CLASSIFIER_CATEGORIES},
        featurizer=featurizer, idf=idf, coef=coef, intercept=intercept,
        platt_a=np.ones(n), platt_b=np.zeros(n), span_rel=0.3, span_abs=0.0,
        metadata={"seed": 0},
    )


@pytest.fixture(scope="session")
def tiny_artifact(tiny_clf: ToxicityClassifier, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return save_classifier(tiny_clf, tmp_path_factory.mktemp("model") / "clf-test-1.npz")


#: Word priors for ``tiny_prior_clf``: words the tiny model never saw get a prior, like an
#: insult the corpora rarely use but the encoder knows.
PRIOR_WORDS = {"imbecile": 4.0, "clown": 2.0, "idiot": 1.0, "council": -2.0, "the": -1.0}


@pytest.fixture(scope="session")
def tiny_prior_clf(tiny_clf: ToxicityClassifier) -> ToxicityClassifier:
    """``tiny_clf`` plus a word-prior table (toxicity, abusive and discriminatory at 0.5)."""
    from dataclasses import replace

    from moderation.classifier.word_priors import from_words

    n = len(CLASSIFIER_CATEGORIES)
    priors = np.zeros((len(PRIOR_WORDS), n), dtype=np.float32)
    priors[:] = np.array(list(PRIOR_WORDS.values()))[:, None]
    weight = np.array([0.5 if c in ("toxicity", "abusive", "discriminatory") else 0.0
                       for c in CLASSIFIER_CATEGORIES])
    table = from_words(tiny_clf.featurizer, list(PRIOR_WORDS), priors, weight)
    # span_abs > 0, so that the fallback to the prior's word (spans.kept_tokens) is exercised
    return replace(tiny_clf, version="clf-test-priors-1", priors=table, span_abs=0.5)
