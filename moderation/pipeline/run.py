"""Run every check, then the classifier, then the decision policy.

This is the single entry point used by the Celery worker and by
``python -m moderation score``, so both always agree.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from moderation.pipeline import structure
from moderation.pipeline.checks import defamation, pii, spam, threats
from moderation.pipeline.checks.language import coverage_reason
from moderation.pipeline.language import LanguageGuess, LatinModel, identify
from moderation.pipeline.policy import (
    INFORMATIONAL_CODES,
    Policy,
    PolicyDefaults,
    judge,
    resolve_policy,
)
from moderation.pipeline.types import (
    CATEGORIES,
    CLASSIFIER_CATEGORIES,
    CheckResult,
    Decision,
    Reason,
    Span,
)


class ClassifierLike(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def thresholds(self) -> dict[str, dict[str, float]]: ...

    def predict(self, text: str) -> ClassifierOutputLike: ...


class ClassifierOutputLike(Protocol):
    @property
    def scores(self) -> dict[str, float]: ...

    @property
    def spans(self) -> tuple[Span, ...]: ...


#: Content checks run in this order after the structural guard.
CONTENT_CHECKS: tuple[Callable[[str], CheckResult], ...] = (
    pii.check, spam.check, defamation.check, threats.check)

#: What a classifier covers when it doesn't say (every model so far was validated on English).
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)


@dataclass(frozen=True, slots=True)
class PipelineResult:
    decision: Decision
    scores: dict[str, float]
    reasons: tuple[Reason, ...]
    model_version: str
    policy_version: int
    language: LanguageGuess = field(default_factory=lambda: LanguageGuess("und", "Zyyy", 0.0))


def default_policy(classifier: ClassifierLike, defaults: PolicyDefaults | None = None) -> Policy:
    """The policy of a site without overrides: the model's thresholds, the settings' defaults."""
    return resolve_policy({}, version=0, model_thresholds=classifier.thresholds,
                          defaults=defaults or PolicyDefaults())


@dataclass(frozen=True, slots=True)
class PipelineInput:
    """One comment for :func:`moderate_many`, with its site's policy and extra checks."""

    text: str
    title: str | None = None
    policy: Policy | None = None
    extra_checks: Sequence[Callable[[str], CheckResult]] = ()


def moderate(
    text: str,
    *,
    classifier: ClassifierLike,
    policy: Policy | None = None,
    title: str | None = None,
    extra_checks: Sequence[Callable[[str], CheckResult]] = (),
    language_model: LatinModel | None = None,
) -> PipelineResult:
    """Moderate one comment. ``extra_checks`` carries site rules such as blocklists."""
    item = PipelineInput(text, title, policy, extra_checks)
    return moderate_many([item], classifier=classifier, language_model=language_model)[0]


def covered_languages(classifier: ClassifierLike) -> tuple[str, ...]:
    """The languages the classifier declares it was validated on (``languages``), or English."""
    declared = getattr(classifier, "languages", None)
    return tuple(declared) if declared else DEFAULT_LANGUAGES


def moderate_many(
    items: Sequence[PipelineInput], *, classifier: ClassifierLike,
    language_model: LatinModel | None = None,
) -> list[PipelineResult]:
    """Moderate several comments: the same results as :func:`moderate` on each, but with
    one classifier call for all of them (``predict_batch`` when the classifier has it).

    Each comment's language is identified first (``language_model`` tells romanised
    Kannada from English); one outside the classifier's languages gets the reason
    ``language:unsupported`` and is never approved on the classifier's word, unless its
    site's policy says ``unsupported_languages: classifier``.
    """
    texts = [item.text for item in items]
    languages = identify(texts, language_model)
    covered = covered_languages(classifier)
    checked = [_run_checks(item, classifier) for item in items]
    outputs = _predict_all(classifier, texts, languages)
    results = []
    for (policy, reasons, scores, discounted), output, guess in zip(
            checked, outputs, languages, strict=True):
        if policy.unsupported_languages == "review":
            coverage = coverage_reason(guess, covered)
            if coverage is not None:
                reasons.append(coverage)
        results.append(replace(_finish(scores, reasons, output, policy, classifier, discounted),
                               language=guess))
    return results


def _run_checks(
    item: PipelineInput, classifier: ClassifierLike
) -> tuple[Policy, list[Reason], dict[str, float], set[str]]:
    policy = item.policy or default_policy(classifier)
    reasons: list[Reason] = []
    scores: dict[str, float] = dict.fromkeys(CATEGORIES, 0.0)
    guard = structure.check(item.text, title=item.title, max_length=policy.max_length)
    reasons.extend(guard.reasons)
    discounted: set[str] = set()
    for check in (*CONTENT_CHECKS, *item.extra_checks):
        result = check(item.text)
        reasons.extend(result.reasons)
        discounted.update(result.discounted)
        for name, value in result.scores.items():
            scores[name] = max(scores.get(name, 0.0), value)
    return policy, reasons, scores, discounted


def _predict_all(classifier: ClassifierLike, texts: list[str],
                 languages: Sequence[LanguageGuess]) -> list[ClassifierOutputLike]:
    # a classifier that routes by language (the Kannada head) takes the guesses made above
    # rather than identifying every comment a second time
    predict_identified = getattr(classifier, "predict_identified", None)
    if callable(predict_identified):
        routed: list[ClassifierOutputLike] = list(predict_identified(texts, languages))
        return routed
    predict_batch = getattr(classifier, "predict_batch", None)
    if callable(predict_batch) and len(texts) > 1:
        outputs: list[ClassifierOutputLike] = list(predict_batch(texts))
        return outputs
    return [classifier.predict(text) for text in texts]


def _finish(
    scores: dict[str, float],
    reasons: list[Reason],
    output: ClassifierOutputLike,
    policy: Policy,
    classifier: ClassifierLike,
    discounted: set[str] | None = None,
) -> PipelineResult:
    for name in CLASSIFIER_CATEGORIES:
        scores[name] = float(output.scores.get(name, 0.0))
    discount_explained(scores, reasons, policy, discounted or set())
    # Rounded first, so the reasons and the decision see the scores the verdict records.
    scores = {name: round(min(1.0, max(0.0, value)), 4) for name, value in scores.items()}
    decision, all_reasons = judge(scores, reasons, policy, output.spans)
    return PipelineResult(
        decision=decision,
        scores=scores,
        reasons=all_reasons,
        model_version=getattr(output, "version", None) or classifier.version,
        policy_version=policy.version,
    )


def discount_explained(scores: dict[str, float], reasons: Sequence[Reason], policy: Policy,
                       discounted: set[str]) -> None:
    """Hold a classifier category a rule explained away (``threat:non_literal``: "this budget
    will kill the middle class") below half its clearly-clean level, so neither ``post`` nor
    ``pre`` moderation holds the comment for it. Not when any check found that category.

    A score at or above the category's reject threshold is a confident model the rule
    disagrees with: it is not discounted but held just below that threshold, so a person
    reads the comment (neither approved on the rule's word nor rejected on the model's)."""
    for name in discounted:
        levels = policy.thresholds.get(name)
        if name not in CLASSIFIER_CATEGORIES or levels is None:
            continue
        if any(r.code.startswith(f"{name}:") and r.code not in INFORMATIONAL_CODES for r in reasons):
            continue
        if levels.reject is not None and scores[name] >= levels.reject:
            scores[name] = max(levels.review, min(scores[name], levels.reject) - 1e-3)
            continue
        scores[name] = min(scores[name], levels.review * policy.clean_below / 2)
