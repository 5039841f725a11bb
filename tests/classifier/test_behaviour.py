"""Behavioural smoke set: hand-written news comments through the real artifact and ``moderate()``.

The cases (``moderation/training/smoke_cases.py``) were written before any tuning and are
never used to choose settings; 40 sentences say little about a sealed test set. The test
asserts an overall pass rate rather than each case and prints every failure, so a retrain that
trades one case for another does not break the build, but a broad regression does.
"""

from __future__ import annotations

import pytest

from moderation.classifier import ToxicityClassifier, load_classifier
from moderation.classifier.artifact import MODELS_DIR
from moderation.training.smoke_cases import CASES, run_cases

#: Minimum share of cases that must pass.
PASS_RATE = 0.85


@pytest.fixture(scope="module")
def real_clf() -> ToxicityClassifier:
    if not (MODELS_DIR / "LATEST").is_file():
        pytest.skip("no committed artifact")
    return load_classifier(MODELS_DIR / (MODELS_DIR / "LATEST").read_text().strip())


def test_smoke_set_pass_rate(real_clf: ToxicityClassifier) -> None:
    rate, failures = run_cases(real_clf)
    print(f"\nsmoke set: {rate:.0%} of {len(CASES)} pass ({real_clf.version})")
    for line in failures:
        print("  " + line)
    assert rate >= PASS_RATE, "\n".join(failures)


def test_smoke_set_covers_both_outcomes() -> None:
    flagged = sum(1 for _, f in CASES if f)
    assert len(CASES) >= 40
    assert 15 <= flagged <= len(CASES) - 15
