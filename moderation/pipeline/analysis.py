"""Score one text for Perspective-style attributes, without storing anything.

The Perspective-compatible API (``moderation/api/perspective.py``) maps Perspective's
attribute names onto our categories:

| attribute | our score |
|---|---|
| ``TOXICITY`` | toxicity |
| ``SEVERE_TOXICITY`` | min(toxicity, max(abusive, obscene, threat, discriminatory)) |
| ``IDENTITY_ATTACK`` | discriminatory |
| ``INSULT`` | abusive |
| ``PROFANITY`` | obscene |
| ``THREAT`` | threat |
| ``DEFAMATION_EXPERIMENTAL`` | defamatory (rules) |
| ``PERSONAL_INFORMATION_EXPERIMENTAL`` | personal_information (detectors) |
| ``SPAM_EXPERIMENTAL`` | spam (rules) |

``THREAT``, ``IDENTITY_ATTACK`` and ``INSULT`` (and so ``SEVERE_TOXICITY``) also read the
threat and group-hate rules (:mod:`moderation.pipeline.checks.threats`), as a verdict
does: a rule-detected threat, dehumanisation or Hindi slur scores at least the rule's
severity (0.95 direct, 0.8 incitement/dehumanisation, 0.7 conditional/deserved, 0.6
slur), and a violent word the rules read as figurative, negated or quoted holds the
model's score where the pipeline holds it (``run.discount_explained``, the model's own
thresholds). Their spans are the rule's.

``SEVERE_TOXICITY`` is a fuzzy AND: toxic *and* at least one specific harm.
Every score is the same calibrated probability the moderation pipeline uses (the
rule-based ones are 0 or their rule's confidence). Span scores carry offsets in
UTF-16 code units, end exclusive, as Perspective's clients (JavaScript) count them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from moderation.pipeline.checks import defamation, pii, spam, threats
from moderation.pipeline.language import LanguageGuess, LatinModel, identify
from moderation.pipeline.policy import PolicyDefaults, resolve_policy
from moderation.pipeline.run import discount_explained
from moderation.pipeline.types import CheckResult, Span

_HARMS = ("abusive", "obscene", "threat", "discriminatory")
#: Perspective attribute → how its score is read from our scores.
ATTRIBUTES: dict[str, Callable[[Mapping[str, float]], float]] = {
    "TOXICITY": lambda s: s["toxicity"],
    "SEVERE_TOXICITY": lambda s: min(s["toxicity"], max(s[name] for name in _HARMS)),
    "IDENTITY_ATTACK": lambda s: s["discriminatory"],
    "INSULT": lambda s: s["abusive"],
    "PROFANITY": lambda s: s["obscene"],
    "THREAT": lambda s: s["threat"],
    "DEFAMATION_EXPERIMENTAL": lambda s: s["defamatory"],
    "PERSONAL_INFORMATION_EXPERIMENTAL": lambda s: s["personal_information"],
    "SPAM_EXPERIMENTAL": lambda s: s["spam"],
}
#: Which of our span categories explain each attribute.
SPAN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "TOXICITY": ("toxicity", *_HARMS),
    "SEVERE_TOXICITY": _HARMS,
    "IDENTITY_ATTACK": ("discriminatory",),
    "INSULT": ("abusive",),
    "PROFANITY": ("obscene",),
    "THREAT": ("threat",),
    "DEFAMATION_EXPERIMENTAL": ("defamatory",),
    "PERSONAL_INFORMATION_EXPERIMENTAL": ("personal_information",),
    "SPAM_EXPERIMENTAL": ("spam",),
}
#: Attributes scored by rules and detectors that read any language (the rest are the model's).
LANGUAGE_INDEPENDENT = frozenset({"PERSONAL_INFORMATION_EXPERIMENTAL", "SPAM_EXPERIMENTAL"})
#: The rule-based checks, by the attribute they score (run only when it is requested).
_CHECKS: dict[str, Callable[[str], CheckResult]] = {
    "PERSONAL_INFORMATION_EXPERIMENTAL": pii.check,
    "SPAM_EXPERIMENTAL": spam.check,
    "DEFAMATION_EXPERIMENTAL": defamation.check,
}


#: Attributes whose score reads a category the threat rules speak for.
_THREAT_RULE_ATTRIBUTES = frozenset({"THREAT", "IDENTITY_ATTACK", "INSULT", "SEVERE_TOXICITY"})


def _apply_threat_rules(text: str, scores: dict[str, float], thresholds: object) -> list[Span]:
    """The threat rules' part of the scores, as in a verdict; returns the rules' spans."""
    result = threats.check(text)
    if result.discounted and isinstance(thresholds, Mapping):
        policy = resolve_policy({}, version=0, model_thresholds=thresholds, defaults=PolicyDefaults())
        discount_explained(scores, result.reasons, policy, set(result.discounted))
    spans: list[Span] = []
    for reason in result.reasons:
        severity = threats.SEVERITY.get(reason.code)
        if severity is None:  # threat:non_literal: a note, not a finding
            continue
        category = reason.code.split(":", 1)[0]
        scores[category] = max(scores.get(category, 0.0), severity)
        spans.extend(reason.spans)
    return spans


class Scorer(Protocol):
    def predict(self, text: str) -> _Output: ...


class _Output(Protocol):
    @property
    def scores(self) -> dict[str, float]: ...
    @property
    def spans(self) -> tuple[Span, ...]: ...


@dataclass(frozen=True, slots=True)
class SpanScore:
    begin: int  # UTF-16 code units, inclusive
    end: int  # exclusive
    score: float


@dataclass(frozen=True, slots=True)
class Analysis:
    scores: dict[str, float]  # attribute → probability
    spans: dict[str, tuple[SpanScore, ...]]
    language: LanguageGuess


def utf16_offsets(text: str) -> list[int]:
    """``offsets[i]`` is the UTF-16 offset of code point ``i`` (and ``offsets[len]`` the length)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + (2 if ord(char) > 0xFFFF else 1))
    return offsets


def detect_language(text: str, latin_model: LatinModel | None) -> LanguageGuess:
    return identify([text], latin_model)[0]


def analyze(
    text: str,
    attributes: Sequence[str],
    scorer: Scorer,
    *,
    language: LanguageGuess,
    span_annotations: bool,
) -> Analysis:
    """Scores and spans for ``attributes`` (all known names; the caller validated them)."""
    output = scorer.predict(text)
    scores = {name: 0.0 for name in ("defamatory", "personal_information", "spam")}
    scores.update({name: float(value) for name, value in output.scores.items()})
    spans: list[Span] = list(output.spans)
    if _THREAT_RULE_ATTRIBUTES.intersection(attributes):
        spans.extend(_apply_threat_rules(text, scores, getattr(scorer, "thresholds", None)))
    for check in (_CHECKS[name] for name in attributes if name in _CHECKS):
        result = check(text)
        for name, value in result.scores.items():
            scores[name] = max(scores.get(name, 0.0), value)
        for reason in result.reasons:
            spans.extend(reason.spans)
    offsets = utf16_offsets(text)
    attribute_scores = {name: round(min(1.0, max(0.0, ATTRIBUTES[name](scores))), 6)
                        for name in attributes}
    attribute_spans: dict[str, tuple[SpanScore, ...]] = {}
    for name in attributes:
        value = attribute_scores[name]
        if not span_annotations:  # as Perspective does: one span over the whole comment
            attribute_spans[name] = (SpanScore(0, offsets[-1], value),)
            continue
        wanted = SPAN_CATEGORIES[name]
        found = sorted({(s.start, s.end) for s in spans if s.category in wanted})
        attribute_spans[name] = tuple(SpanScore(offsets[start], offsets[end], value)
                                      for start, end in found if 0 <= start < end <= len(text))
    return Analysis(attribute_scores, attribute_spans, language)
