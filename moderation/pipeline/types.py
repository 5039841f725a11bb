"""Value types shared by the checks, the classifier and the decision policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Decision = Literal["approved", "rejected", "needs_review"]

#: Every category that appears in a verdict's score map, in display order.
CATEGORIES: tuple[str, ...] = (
    "toxicity",
    "abusive",
    "obscene",
    "threat",
    "discriminatory",
    "defamatory",
    "personal_information",
    "spam",
)

#: Categories scored by the scikit-learn classifier.
CLASSIFIER_CATEGORIES: tuple[str, ...] = (
    "toxicity",
    "abusive",
    "obscene",
    "threat",
    "discriminatory",
)


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets ``[start, end)`` into the original comment text."""

    start: int
    end: int
    category: str

    def as_dict(self) -> dict[str, object]:
        return {"start": self.start, "end": self.end, "category": self.category}


@dataclass(frozen=True, slots=True)
class Reason:
    """One machine-readable reason, e.g. ``personal_information:phone_number``.

    ``hard`` reasons reject on their own (a hard rule); soft reasons only send
    a comment to review.
    """

    code: str
    message: str
    spans: tuple[Span, ...] = ()
    hard: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "spans": [s.as_dict() for s in self.spans],
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What one check found: reasons plus the category scores it contributes.

    ``discounted`` names classifier categories whose score a rule explained away (a
    violent word used figuratively, a quoted or negated threat): the pipeline holds
    those classifier scores below review, unless another check found that category.
    """

    reasons: tuple[Reason, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    discounted: tuple[str, ...] = ()
