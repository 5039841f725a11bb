"""A deterministic stand-in classifier for unit tests of the pipeline and policy.

The real model is exercised by tests/classifier and the integration tests; this
one only lets the decision logic be tested with scores chosen by the test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span


@dataclass(frozen=True)
class FakeOutput:
    scores: dict[str, float]
    spans: tuple[Span, ...] = ()


@dataclass
class FakeClassifier:
    scores: dict[str, float] = field(default_factory=dict)
    spans: tuple[Span, ...] = ()
    version: str = "fake-1"
    thresholds: dict[str, dict[str, float]] = field(default_factory=lambda: {
        "abusive": {"review": 0.5, "reject": 0.9},
        "toxicity": {"review": 0.5, "reject": 0.9},
    })

    def predict(self, text: str) -> FakeOutput:
        return FakeOutput({name: self.scores.get(name, 0.0) for name in CLASSIFIER_CATEGORIES},
                          self.spans)
