"""Defamation check: precision/recall floor on the labelled set, and its core rules."""

import json
from pathlib import Path

import pytest

from moderation.pipeline.checks.defamation import check

DATA = Path(__file__).parent / "fixtures" / "defamation_labelled.jsonl"
PRECISION_FLOOR = 0.85
RECALL_FLOOR = 0.8


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]


def test_labelled_set_is_a_realistic_mix() -> None:
    rows = _rows()
    assert 80 <= len(rows) <= 130
    positives = sum(1 for r in rows if r["label"] == 1)
    assert 0.3 < positives / len(rows) < 0.6


def test_precision_and_recall_on_labelled_set_meet_the_floor() -> None:
    tp = fp = fn = 0
    for row in _rows():
        flagged = bool(check(str(row["text"])).reasons)
        tp += flagged and row["label"] == 1
        fp += flagged and row["label"] == 0
        fn += (not flagged) and row["label"] == 1
    precision = tp / (tp + fp)
    recall = tp / (tp + fn)
    assert precision >= PRECISION_FLOOR, precision
    assert recall >= RECALL_FLOOR, recall


def test_accusation_reason_is_always_soft_with_spans_on_accusation_and_target() -> None:
    text = "MLA Ramesh Patil took bribes from the sand mafia."
    result = check(text)
    (reason,) = result.reasons
    assert reason.code == "defamatory:accusation"
    assert reason.hard is False
    assert [text[s.start : s.end] for s in reason.spans] == ["Ramesh Patil", "took bribes"]
    assert all(s.category == "defamatory" for s in reason.spans)
    assert 0.5 <= result.scores["defamatory"] <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "The MLA allegedly took bribes.",
        "If the collector took money, he should go.",
        "Was the mayor paid by the builders?",
        "Minister Rao never took a bribe.",
        "Police arrested Patil for taking bribes.",
    ],
)
def test_hedged_negated_questioned_or_reported_accusations_only_raise_the_score(text: str) -> None:
    result = check(text)
    assert result.reasons == ()
    assert 0.0 < result.scores["defamatory"] < 0.5


def test_accusation_without_identifiable_target_is_not_flagged() -> None:
    assert check("All politicians are corrupt.").reasons == ()
    assert check("Ministers take bribes, that's the system.").reasons == ()


def test_honorific_abbreviation_does_not_split_the_sentence() -> None:
    assert check("Mr. Verma is a fraud.").reasons


def test_clean_text_scores_zero() -> None:
    assert check("Congratulations to Dr Mehta on the new wing.").scores == {"defamatory": 0.0}
