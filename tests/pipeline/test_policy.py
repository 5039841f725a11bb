"""The decision policy turns scores and reasons into approved / needs_review / rejected."""

from __future__ import annotations

from moderation.pipeline.policy import Policy, Thresholds, decide, policy_from_dict
from moderation.pipeline.types import Reason


def test_clean_scores_are_approved() -> None:
    assert decide({"abusive": 0.1}, [], Policy()) == "approved"


def test_a_hard_reason_rejects_whatever_the_scores() -> None:
    reasons = [Reason("personal_information:aadhaar", "Aadhaar number", hard=True)]
    assert decide({}, reasons, Policy()) == "rejected"


def test_score_above_reject_threshold_rejects_and_between_reviews() -> None:
    policy = Policy(thresholds={"abusive": Thresholds(review=0.5, reject=0.9)})
    assert decide({"abusive": 0.95}, [], policy) == "rejected"
    assert decide({"abusive": 0.6}, [], policy) == "needs_review"
    assert decide({"abusive": 0.49}, [], policy) == "approved"


def test_defamation_alone_never_rejects() -> None:
    reasons = [Reason("defamatory:accusation", "accusation", hard=False)]
    assert decide({"defamatory": 1.0}, reasons, Policy()) == "needs_review"


def test_pre_moderation_holds_anything_not_clearly_clean() -> None:
    pre = Policy(mode="pre", clean_below=0.2)
    assert decide({"toxicity": 0.3}, [], pre) == "needs_review"
    assert decide({"toxicity": 0.1}, [], pre) == "approved"
    assert decide({"toxicity": 0.3}, [], Policy(mode="post")) == "approved"


def test_site_overrides_merge_over_the_base_policy() -> None:
    policy = policy_from_dict(
        {"mode": "pre", "max_length": 500, "thresholds": {"abusive": {"reject": 0.7}}},
        version=3, base=Policy(),
    )
    assert policy.version == 3 and policy.mode == "pre" and policy.max_length == 500
    assert policy.thresholds["abusive"].reject == 0.7
    assert policy.thresholds["abusive"].review == Policy().thresholds["abusive"].review
