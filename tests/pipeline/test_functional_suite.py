"""The threats and group-hate functional suite, through the whole pipeline with the
shipped model: a floor per function on the dev half and on the held-out test half."""

from __future__ import annotations

import pytest

from moderation.training.functional_suite import (
    load_suite,
    pass_rates,
    run_suite,
    trusting_policy,
)

#: Minimum pass rate per function, on each half (rules and model, every language).
FLOORS = {
    "threat_direct": 0.9, "threat_incited": 0.9, "threat_conditional": 0.8,
    "threat_deserved": 0.8, "dehumanisation": 0.9, "abuse_hinglish": 0.8,
    "negation": 0.9, "counter_speech": 0.7, "figurative": 0.9, "reported_violence": 0.8,
    "reclaimed": 0.8, "identity_benign": 0.9,
}


@pytest.fixture(scope="module")
def outcomes():  # type: ignore[no-untyped-def]
    from moderation.classifier import load_classifier

    classifier = load_classifier()
    _, cases = load_suite()
    return cases, run_suite(cases, classifier, trusting_policy(classifier)), run_suite(cases, classifier)


def test_suite_is_large_enough_and_split_up_front(outcomes) -> None:  # type: ignore[no-untyped-def]
    cases, _, _ = outcomes
    assert 150 <= len(cases) <= 300
    assert {c.function for c in cases} == set(FLOORS)
    assert {c.language for c in cases} == {"en", "hi-Latn", "hi", "kn", "kn-Latn"}
    for function in FLOORS:
        assert {c.split for c in cases if c.function == function} == {"dev", "test"}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_every_function_meets_its_floor(outcomes, split: str) -> None:  # type: ignore[no-untyped-def]
    _, trusting, _ = outcomes
    rates = pass_rates(trusting, split)  # type: ignore[arg-type]
    below = {f: f"{p}/{t}" for f, (p, t) in rates.items() if p / t < FLOORS[f]}
    assert not below, f"{split} functions below their floor: {below}"


#: Minimum pass rate per language, on each half (rules and model).
LANGUAGE_FLOORS = {"en": 0.9, "hi-Latn": 0.9, "hi": 0.9, "kn": 0.9, "kn-Latn": 0.85}


@pytest.mark.parametrize("split", ["dev", "test"])
def test_every_language_meets_its_floor(outcomes, split: str) -> None:  # type: ignore[no-untyped-def]
    _, trusting, _ = outcomes
    below = {}
    for language, floor in LANGUAGE_FLOORS.items():
        chosen = [o for o in trusting if o.case.language == language and o.case.split == split]
        passed = sum(o.passed for o in chosen)
        if not chosen or passed / len(chosen) < floor:
            below[language] = f"{passed}/{len(chosen)}"
    assert not below, f"{split} languages below their floor: {below}"


def test_the_language_rule_never_lowers_a_harmful_case(outcomes) -> None:  # type: ignore[no-untyped-def]
    _, trusting, default = outcomes
    for a, b in zip(trusting, default, strict=True):
        if a.case.expect != "approved" and a.passed:
            assert b.passed, b.case.text


def test_regenerating_the_report_keeps_the_hand_written_notes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from moderation.training.functional_suite import KEPT_MARKER, main

    report = tmp_path / "FUNCTIONAL_SUITE.md"
    report.write_text("stale table\n" + KEPT_MARKER + "\n\nBefore/after figures.\n", encoding="utf-8")
    assert main(["-o", str(report)]) == 0
    text = report.read_text(encoding="utf-8")
    assert "stale table" not in text and "| threat_direct |" in text
    assert text.count(KEPT_MARKER) == 1 and text.endswith("\n\nBefore/after figures.\n")
