"""The decision policy: how a site's policy is resolved, and scores and reasons in, a decision out.

Resolution (:func:`resolve_policy`, the one resolver): a site's effective policy is a
pure function of its stored overrides, the loaded model's thresholds and the service's
settings (:class:`PolicyDefaults`). The intake API, the admin read side, the CLI and the
worker all call it, so the length limit the API enforces is the worker's, and the
thresholds an admin is shown are the thresholds applied. Thresholds come, in order of
precedence, from the site's overrides, the model artifact, and :data:`FALLBACK_THRESHOLDS`
(only for the categories the model doesn't score: defamation, personal data, spam).

Decision rules, in order (:func:`decide`):
1. Any *hard* reason (a structural failure, personal data, a banned term) rejects.
2. A category at or above its ``reject`` threshold rejects.
3. A category at or above its ``review`` threshold, or any soft reason
   (defamation, spam, a watched term) sends the comment to ``needs_review``.
4. In ``pre`` moderation mode, anything that is not *clearly clean* is held for review
   too. Clearly clean means every category scores below ``clean_below`` times its own
   review threshold (``clean_below`` is a fraction: 1 makes ``pre`` behave like
   ``post``, 0 holds every comment).
Defamation never rejects on its own: its thresholds have no ``reject`` level.

Every comment held or rejected says why (:func:`judge`): a category that reached a
threshold gives a reason naming the threshold it crossed (never the raw calibrated
score, which reads like a percentage but isn't one), and a comment held only by
pre-moderation carries ``policy:pre_moderation``.

Site word lists: a ``reject`` word is a hard reason (``blocklist:banned_term``), a
``review`` word a soft one (``blocklist:watched_term``), and a ``none`` word is
*informational* (``blocklist:noted_term``): it is recorded with its spans so
moderators see it highlighted, but it never changes the decision. So is
``threat:non_literal`` (the threat check's note that a violent word was figurative,
negated or quoted; the pipeline has already held the classifier's threat score below
review for it, see ``run.discount_explained``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from moderation.pipeline.structure import DEFAULT_MAX_LENGTH
from moderation.pipeline.types import CATEGORIES, CLASSIFIER_CATEGORIES, Decision, Reason, Span

#: Reason codes that are recorded on a verdict but never influence the decision.
INFORMATIONAL_CODES = frozenset({"blocklist:noted_term", "threat:non_literal"})
PRE_MODERATION = "policy:pre_moderation"
WordAction = Literal["reject", "review", "none"]
#: Pre-moderation's default: clearly clean is below half of every review threshold. On the
#: random (unselected) rows of the Jigsaw sample this holds about 3% of the comments no
#: rater labelled and 98% of the labelled ones, against 0.4% and 88% in ``post`` mode.
DEFAULT_CLEAN_BELOW = 0.5


@dataclass(frozen=True, slots=True)
class Thresholds:
    review: float
    reject: float | None = None  # None: this category never rejects on its score alone


#: Used for a category only when neither the site nor the model artifact gives its
#: thresholds: in practice the rule-based categories, which the model doesn't score.
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

#: How reasons name each category ("The comment looks ...").
CATEGORY_LABELS = {
    "toxicity": "toxic",
    "abusive": "abusive or insulting",
    "obscene": "obscene or indecent",
    "threat": "threatening",
    "discriminatory": "discriminatory",
    "defamatory": "possibly defamatory",
    "personal_information": "like it contains personal information",
    "spam": "like spam",
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
class PolicyDefaults:
    """What the service's settings contribute to every site's policy."""

    max_length: int = DEFAULT_MAX_LENGTH  # MODERATION_MAX_COMMENT_LENGTH


@dataclass(frozen=True, slots=True)
class Policy:
    """A site's effective moderation policy (see :func:`resolve_policy`)."""

    version: int = 0
    max_length: int = DEFAULT_MAX_LENGTH
    mode: Literal["post", "pre"] = "post"
    clean_below: float = DEFAULT_CLEAN_BELOW
    #: A comment in a language the classifier was not validated on: ``review`` (the default:
    #: a person reads it) or ``classifier`` (the site explicitly trusts the scores anyway).
    unsupported_languages: Literal["review", "classifier"] = "review"
    thresholds: Mapping[str, Thresholds] = field(default_factory=lambda: dict(FALLBACK_THRESHOLDS))
    blocklists: Blocklists = field(default_factory=Blocklists)
    #: ``per_key`` / ``per_sender_ip`` limit strings; None means the service default.
    rate_limits: Mapping[str, str | None] = field(
        default_factory=lambda: {"per_key": None, "per_sender_ip": None})

    def with_thresholds(self, overrides: Mapping[str, Thresholds]) -> Policy:
        merged = dict(self.thresholds)
        merged.update(overrides)
        return replace(self, thresholds=merged)


def thresholds_from_model(model_thresholds: Mapping[str, Mapping[str, float]]) -> dict[str, Thresholds]:
    """Convert the artifact's ``{"abusive": {"review": .., "reject": ..}}`` map."""
    return {
        name: Thresholds(review=float(levels["review"]),
                         reject=None if levels.get("reject") is None else float(levels["reject"]))
        for name, levels in model_thresholds.items()
        if name in CATEGORIES and "review" in levels
    }


def resolve_policy(
    overrides: Mapping[str, Any],
    *,
    version: int,
    model_thresholds: Mapping[str, Mapping[str, float]],
    defaults: PolicyDefaults,
) -> Policy:
    """The effective policy: ``overrides`` (a site's stored, validated policy document)
    over the model's thresholds over the settings' defaults. Pure; the only resolver."""
    base = Policy(max_length=defaults.max_length).with_thresholds(thresholds_from_model(model_thresholds))
    return policy_from_dict(overrides, version=version, base=base)


def policy_from_dict(data: Mapping[str, Any], *, version: int, base: Policy) -> Policy:
    """Apply a site's stored overrides (already validated by the admin API) to ``base``."""
    limits = data.get("rate_limits") or {}
    policy = replace(
        base,
        version=version,
        max_length=int(data.get("max_length", base.max_length)),
        mode=data.get("mode", base.mode),
        clean_below=float(data.get("clean_below", base.clean_below)),
        unsupported_languages=data.get("unsupported_languages", base.unsupported_languages),
        blocklists=blocklists_from_dict(data.get("blocklists") or {}),
        rate_limits={name: limits.get(name, value) for name, value in base.rate_limits.items()},
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


def policy_document(policy: Policy) -> dict[str, Any]:
    """The policy as the admin API and CLI show it: the same values the worker applies."""
    lists = policy.blocklists
    return {
        "max_length": policy.max_length,
        "mode": policy.mode,
        "clean_below": policy.clean_below,
        "unsupported_languages": policy.unsupported_languages,
        "thresholds": {name: {"review": t.review, "reject": t.reject}
                       for name, t in policy.thresholds.items()},
        "blocklists": {"ips": list(lists.ips), "emails": list(lists.emails),
                       "email_domains": list(lists.email_domains),
                       "disposable_domains": lists.disposable_domains,
                       "words": [{"term": w.term, "action": w.action} for w in lists.words]},
        "rate_limits": dict(policy.rate_limits),
    }


def is_clearly_clean(scores: Mapping[str, float], policy: Policy) -> bool:
    """Every category below ``clean_below`` times its review threshold."""
    return all(scores.get(name, 0.0) < policy.clean_below * levels.review
               for name, levels in policy.thresholds.items())


def decide(scores: Mapping[str, float], reasons: Sequence[Reason], policy: Policy) -> Decision:
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
    if policy.mode == "pre" and not is_clearly_clean(scores, policy):
        return "needs_review"
    return "approved"


def _crossed(score: float, levels: Thresholds) -> str | None:
    if levels.reject is not None and score >= levels.reject:
        return "reject"
    if score >= levels.review:
        return "review"
    return None


def threshold_reasons(
    scores: Mapping[str, float], reasons: Sequence[Reason], spans: Sequence[Span], policy: Policy
) -> list[Reason]:
    """A reason for every category at or above one of its thresholds, naming the threshold.

    Classifier categories give ``classifier:<category>`` (with the category's spans; the
    overall ``toxicity`` last). A rule-based category whose check already said why
    (``spam:links``) needs nothing more; one that reached a threshold without a reason of
    its own (a site that lowered it) gives ``<category>:threshold``.
    """
    found: list[Reason] = []
    ordered = [*(c for c in CLASSIFIER_CATEGORIES if c != "toxicity"), "toxicity",
               *(c for c in policy.thresholds if c not in CLASSIFIER_CATEGORIES)]
    for name in ordered:
        levels = policy.thresholds.get(name)
        level = _crossed(scores.get(name, 0.0), levels) if levels is not None else None
        if level is None:
            continue
        label = CATEGORY_LABELS.get(name, name.replace("_", " "))
        message = f"The comment looks {label} (at or above the {level} threshold for {name})."
        if name in CLASSIFIER_CATEGORIES:
            found.append(Reason(f"classifier:{name}", message,
                                spans=tuple(s for s in spans if s.category == name)))
        elif not any(r.code.startswith(f"{name}:") for r in reasons):
            found.append(Reason(f"{name}:threshold", message))
    return found


def judge(
    scores: Mapping[str, float], reasons: Sequence[Reason], policy: Policy,
    spans: Sequence[Span] = (),
) -> tuple[Decision, tuple[Reason, ...]]:
    """The decision and every reason for it: the checks' reasons, a reason per threshold
    crossed and, for a comment pre-moderation holds for no other reason,
    ``policy:pre_moderation``. A comment held or rejected always has a reason."""
    all_reasons = [*reasons, *threshold_reasons(scores, reasons, spans, policy)]
    decision = decide(scores, all_reasons, policy)
    held_by_mode_alone = not any(r.code not in INFORMATIONAL_CODES for r in all_reasons)
    if decision == "needs_review" and policy.mode == "pre" and held_by_mode_alone:
        all_reasons.append(Reason(
            PRE_MODERATION,
            "Held for review: this site pre-moderates comments that are not clearly clean.",
        ))
    return decision, tuple(all_reasons)
