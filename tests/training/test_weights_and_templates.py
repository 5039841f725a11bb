"""Training weights and templates: no source's base rate is learnable, audits are held out."""

from __future__ import annotations

import numpy as np

from moderation.training import templates, threat_templates
from moderation.training.calibration import pool_weights
from moderation.training.config import HATE_TEMPLATES, SOURCE_CAP, SOURCE_MULTIPLIER, TEMPLATES
from moderation.training.linear import source_weights
from moderation.training.smoke_cases import CASES


def test_each_source_weighs_its_positives_and_negatives_equally() -> None:
    sources = np.array(["a"] * 90 + ["b"] * 10 + ["c"] * 5)
    y = np.array([1.0] * 80 + [0.0] * 10 + [1.0] * 2 + [0.0] * 8 + [np.nan] * 5)
    w = source_weights(sources, y)
    for src in ("a", "b"):
        m = sources == src
        assert np.isclose(w[m & (y == 1)].sum(), w[m & (y == 0)].sum())
    assert (w[sources == "c"] == 0).all()  # unlabelled for this category
    assert np.isclose(w[w > 0].mean(), 1.0)


def test_single_class_sources_are_left_out_but_templates_are_negatives() -> None:
    sources = np.array(["a", "a", "pos_only", "pos_only", TEMPLATES, TEMPLATES])
    y = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    w = source_weights(sources, y)
    assert (w[sources == "pos_only"] == 0).all()
    assert (w[sources == TEMPLATES] > 0).all()


def test_pool_weights_make_sources_count_equally() -> None:
    sources = np.array(["big"] * 100 + ["small"] * 4)
    w = pool_weights(sources)
    assert np.isclose(w[sources == "big"].sum(), w[sources == "small"].sum())


def test_audit_frames_are_never_trained_on() -> None:
    train = set(templates.training_sentences())
    audit = {s for tox in (False, True) for _, _, s in templates.audit_sentences(tox)}
    assert train and audit and not train & audit
    assert not set(templates.TRAIN_FRAMES) & set(templates.AUDIT_FRAMES)
    for term in ("Muslim", "Dalit", "Adivasi", "OBC", "gay", "Pakistani", "Bangladeshi", "Jain"):
        assert any(term in s for s in train)


def test_source_multiplier_scales_a_sources_total_weight() -> None:
    boosted = next(iter(SOURCE_MULTIPLIER))
    sources = np.array([boosted] * 10 + ["plain"] * 10)
    y = np.array([1.0, 0.0] * 10)
    w = source_weights(sources, y)
    ratio = w[sources == boosted].sum() / w[sources == "plain"].sum()
    assert np.isclose(ratio, SOURCE_MULTIPLIER[boosted])
    assert 10 < SOURCE_CAP  # both sources are below the cap, so only the multiplier differs


def test_threat_templates_have_both_classes_and_held_out_audit_frames() -> None:
    train = threat_templates.training_rows()
    audit = threat_templates.audit_rows()
    assert {y for _, y in train} == {0, 1} and {y for _, y in audit} == {0, 1}
    assert not {s for s, _ in train} & {s for s, _ in audit}
    frames = set(threat_templates.THREAT_TRAIN_FRAMES) | set(threat_templates.VIOLENCE_TRAIN_FRAMES)
    held = set(threat_templates.AUDIT_THREAT_FRAMES) | set(threat_templates.AUDIT_VIOLENCE_FRAMES)
    assert not frames & held
    # the smoke set stays outside training
    smoke = {case[0] for case in CASES}
    assert not smoke & {s for s, _ in train}


def test_hate_templates_are_positives_balanced_over_identities_and_held_out() -> None:
    sources = np.array(["a", "a", TEMPLATES, TEMPLATES, HATE_TEMPLATES, HATE_TEMPLATES])
    y = np.array([1.0, 0.0, 0.0, 0.0, 1.0, 1.0])
    w = source_weights(sources, y)
    assert (w[sources == HATE_TEMPLATES] > 0).all()  # single-class by design, still trained
    hate = templates.hate_sentences()
    assert len(hate) == len(templates.HATE_TRAIN_FRAMES) * len(templates.training_sentences()) // len(
        templates.TRAIN_FRAMES)  # every frame × every identity term, like the neutral frames
    audit = {s for _, _, s in templates.audit_sentences(True)}
    assert not set(hate) & audit
    assert not set(templates.HATE_TRAIN_FRAMES) & set(templates.AUDIT_TOXIC_FRAMES)
    assert not {case[0] for case in CASES} & set(hate)


def test_vocabulary_keeps_frequent_words_and_the_encoders_but_no_identity_word() -> None:
    from collections import Counter
    from types import SimpleNamespace

    from moderation.training.config import PRIOR_MIN_COUNT
    from moderation.training.priors import vocabulary

    words = Counter({"imbecile": PRIOR_MIN_COUNT, "rare": PRIOR_MIN_COUNT - 1, "muslims": 50,
                     "gay": 40, "clown": 9})
    encoder = SimpleNamespace(vocabulary=lambda: ["[CLS]", "##ing", "jewish", "buffoon", "x", "café"])
    vocab = vocabulary(SimpleNamespace(words=words), encoder)  # type: ignore[arg-type]
    assert vocab == ["buffoon", "clown", "imbecile"]
    assert {"muslims", "gay", "jewish"} <= templates.identity_words()
