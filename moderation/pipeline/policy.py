"""The decision policy: scores and reasons in, a decision out.

Rules, in order:
1. Any *hard* reason (a structural failure, personal data, a banned term) rejects.
2. A classifier category at or above its ``reject`` threshold rejects.
3. A category at or above its ``review`` threshold, or any soft reason
   (defamation, spam, a watched term) sends the comment to ``needs_review``.
4. In ``pre`` moderation mode, anything that is not clearly clean (overall
   toxicity at or above ``clean_below``) is held for review too.
Defamation never rejects on its own: its thresholds have no ``reject`` level.

Site word lists: a ``reject`` word is a hard reason (``blocklist:banned_term``), a
``review`` word a soft one (``blocklist:watched_term``), and a ``none`` word is
*informational* (``blocklist:noted_term``): it is recorded with its spans so
moderators see it highlighted, but it never changes the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from moderation.pipeline.structure import DEFAULT_MAX_LENGTH
from moderation.pipeline.types import CATEGORIES, Decision, Reason

#: Reason codes that are recorded on a verdict but never influence the decision.
INFORMATIONAL_CODES = frozenset({"blocklist:noted_term"})
WordAction = Literal["reject", "review", "none"]


@dataclass(frozen=True, slots=True)
class Thresholds:
    review: float
    reject: float | None = None  # None: this category never rejects on its score alone


#: Used when neither the model artifact nor the site says otherwise.
FALLBACK_THRESHOLDS: dict[str, Thresholds] = {
    "toxicity": Thresholds(review=0.5, reject=0.9),
    "abusive": Thresholds(review=0.5, reject=0.9),
    "obscene": Thresholds(review=0.5, reject=0.9),
    "threat": Thresholds(review=0.4, reject=0.85),
    "discriminatory": Thresholds(review=0.4, reject=0.85),
    "defamatory": Thresholds(review=0.5, reject=None),
    "personal_information": Thresholds(review=0.5, reject=None),
    "spam": Thresholds(review=0.5, reject=None),
}


@dataclass(frozen=True, slots=True)
class WordRule:
    """A banned or watched word or phrase on a site's word list."""

    term: str
    action: WordAction = "reject"


@dataclass(frozen=True, slots=True)
class Blocklists:
    """A site's sender blocklists and word lists (active bans are added at run time)."""

    ips: tuple[str, ...] = ()  # addresses or CIDR networks, IPv4 or IPv6
    emails: tuple[str, ...] = ()
    email_domains: tuple[str, ...] = ()
    disposable_domains: bool = False  # also block well-known disposable-mail domains
    words: tuple[WordRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    """A site's moderation policy (defaults merged with the site's overrides)."""

    version: int = 0
    max_length: int = DEFAULT_MAX_LENGTH
    mode: Literal["post", "pre"] = "post"
    clean_below: float = 0.2
    thresholds: Mapping[str, Thresholds] = field(default_factory=lambda: dict(FALLBACK_THRESHOLDS))
    blocklists: Blocklists = field(default_factory=Blocklists)

    def with_thresholds(self, overrides: Mapping[str, Thresholds]) -> Policy:
        merged = dict(self.thresholds)
        merged.update(overrides)
        return replace(self, thresholds=merged)


def thresholds_from_model(model_thresholds: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    """Convert the artifact's ``{"abusive": {"review": .., "reject": ..}}`` map."""
    return {
        name: Thresholds(review=float(levels["review"]), reject=levels.get("reject"))
        for name, levels in model_thresholds.items()
        if name in CATEGORIES and "review" in levels
    }


def policy_from_dict(data: Mapping[str, Any], *, version: int, base: Policy) -> Policy:
    """Apply a site's stored overrides (already validated by the admin API) to ``base``."""
    policy = replace(
        base,
        version=version,
        max_length=int(data.get("max_length", base.max_length)),
        mode=data.get("mode", base.mode),
        clean_below=float(data.get("clean_below", base.clean_below)),
        blocklists=blocklists_from_dict(data.get("blocklists") or {}),
    )
    raw = data.get("thresholds") or {}
    overrides = {
        name: Thresholds(
            review=float(levels.get("review", policy.thresholds[name].review)),
            reject=levels.get("reject", policy.thresholds[name].reject),
        )
        for name, levels in raw.items()
        if name in policy.thresholds
    }
    return policy.with_thresholds(overrides)


def blocklists_from_dict(data: Mapping[str, Any]) -> Blocklists:
    return Blocklists(
        ips=tuple(data.get("ips", ())),
        emails=tuple(data.get("emails", ())),
        email_domains=tuple(data.get("email_domains", ())),
        disposable_domains=bool(data.get("disposable_domains", False)),
        words=tuple(WordRule(str(w["term"]), w.get("action", "reject")) for w in data.get("words", ())),
    )


def decide(scores: Mapping[str, float], reasons: list[Reason], policy: Policy) -> Decision:
    reasons = [reason for reason in reasons if reason.code not in INFORMATIONAL_CODES]
    if any(reason.hard for reason in reasons):
        return "rejected"
    for name, levels in policy.thresholds.items():
        score = scores.get(name, 0.0)
        if levels.reject is not None and score >= levels.reject:
            return "rejected"
    if reasons:
        return "needs_review"
    for name, levels in policy.thresholds.items():
        if scores.get(name, 0.0) >= levels.review:
            return "needs_review"
    if policy.mode == "pre" and scores.get("toxicity", 0.0) >= policy.clean_below:
        return "needs_review"
    return "approved"
