"""The pipeline runs the guard, the detectors and the classifier in order."""

from __future__ import annotations

from moderation.pipeline.run import PipelineInput, moderate, moderate_many
from moderation.pipeline.types import CATEGORIES, Span
from tests.support.fake_classifier import FakeClassifier, FakeOutput


def test_clean_comment_is_approved_with_every_category_scored() -> None:
    result = moderate("A thoughtful article, thank you.", classifier=FakeClassifier())
    assert result.decision == "approved"
    assert set(result.scores) == set(CATEGORIES)
    assert result.reasons == ()
    assert result.model_version == "fake-1"


def test_structural_guard_rejects_over_length_text() -> None:
    result = moderate("x" * 2001, classifier=FakeClassifier())
    assert result.decision == "rejected"
    assert "too_long" in {r.code for r in result.reasons}


def test_classifier_reason_carries_its_spans() -> None:
    text = "you idiot"
    clf = FakeClassifier(scores={"abusive": 0.7, "toxicity": 0.7},
                         spans=(Span(4, 9, "abusive"),))
    result = moderate(text, classifier=clf)
    assert result.decision == "needs_review"
    (reason,) = [r for r in result.reasons if r.code == "classifier:abusive"]
    assert [(s.start, s.end) for s in reason.spans] == [(4, 9)]
    assert text[4:9] == "idiot"


def test_each_category_is_judged_by_its_own_thresholds() -> None:
    # toxicity is the classifier's own calibrated head, not the max of the others:
    # an abusive score between abusive's review and reject levels only asks for review.
    clf = FakeClassifier(scores={"abusive": 0.7, "toxicity": 0.3})
    result = moderate("text", classifier=clf)
    assert result.scores["toxicity"] == 0.3
    assert result.decision == "needs_review"


def test_personal_data_rejects() -> None:
    result = moderate("Call me on 98765 43210", classifier=FakeClassifier())
    assert result.decision == "rejected"
    assert "personal_information:phone_number" in {r.code for r in result.reasons}
    assert result.scores["personal_information"] == 1.0


class BatchCountingClassifier(FakeClassifier):
    """Scores by text, and counts how it was called."""

    calls: list[int]

    def predict(self, text: str) -> FakeOutput:
        self.calls.append(1)
        return FakeOutput({"toxicity": 0.95 if "awful" in text else 0.1,
                           "abusive": 0.95 if "awful" in text else 0.1})

    def predict_batch(self, texts: list[str]) -> list[FakeOutput]:
        self.calls.append(len(texts))
        return [self.predict(text) for text in texts][: len(texts)]


def test_a_batch_gives_each_comment_its_own_result_with_one_classifier_call() -> None:
    texts = ["A fair point about the budget.", "You awful person", "Call me on 98765 43210"]
    clf = BatchCountingClassifier()
    clf.calls = []
    batch = moderate_many([PipelineInput(text, title="t") for text in texts], classifier=clf)
    assert clf.calls[0] == 3  # one predict_batch for all three (it predicts each inside)
    clf.calls = []
    one_by_one = [moderate(text, title="t", classifier=clf) for text in texts]
    assert batch == one_by_one
    assert [r.decision for r in batch] == ["approved", "rejected", "rejected"]
