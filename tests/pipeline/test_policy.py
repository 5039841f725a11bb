"""The decision policy: one resolver for a site's policy, and scores and reasons in, a
decision (with every reason for it) out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from moderation.pipeline.policy import (
    FALLBACK_THRESHOLDS,
    INFORMATIONAL_CODES,
    Policy,
    PolicyDefaults,
    Thresholds,
    decide,
    policy_document,
    policy_from_dict,
    resolve_policy,
)
from moderation.pipeline.run import PipelineInput, moderate, moderate_many
from moderation.pipeline.types import CATEGORIES, CLASSIFIER_CATEGORIES, CheckResult, Reason
from tests.support.fake_classifier import FakeClassifier

#: Thresholds shaped like a real artifact's (models/clf-2026.11.30-4): far below the fallback.
MODEL = {
    "toxicity": {"review": 0.1559, "reject": 0.6814},
    "abusive": {"review": 0.1862, "reject": 0.6164},
    "obscene": {"review": 0.1257, "reject": 1.0},
    "threat": {"review": 0.0352, "reject": 0.8038},
    "discriminatory": {"review": 0.0344, "reject": 0.5774},
}


def model_policy(**changes: object) -> Policy:
    return resolve_policy(changes, version=1, model_thresholds=MODEL, defaults=PolicyDefaults())


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


# --- the one resolver ---------------------------------------------------------------------


def test_the_resolver_takes_site_over_model_over_fallback_and_the_length_from_settings() -> None:
    policy = resolve_policy({"thresholds": {"threat": {"review": 0.2}}}, version=4,
                            model_thresholds=MODEL, defaults=PolicyDefaults(max_length=5000))
    assert policy.version == 4 and policy.max_length == 5000
    assert policy.thresholds["threat"] == Thresholds(review=0.2, reject=0.8038)  # site, then model
    assert policy.thresholds["discriminatory"] == Thresholds(review=0.0344, reject=0.5774)  # model
    assert policy.thresholds["spam"] == FALLBACK_THRESHOLDS["spam"]  # the model doesn't score spam
    assert resolve_policy({"max_length": 300}, version=4, model_thresholds=MODEL,
                          defaults=PolicyDefaults(max_length=5000)).max_length == 300


def test_the_shown_document_resolves_to_the_same_policy() -> None:
    """Re-saving what the admin API shows changes nothing the worker applies."""
    shown = policy_document(model_policy(mode="pre", blocklists={"words": [{"term": "x"}]}))
    resaved = resolve_policy(shown, version=1, model_thresholds=MODEL, defaults=PolicyDefaults())
    assert resaved == model_policy(mode="pre", blocklists={"words": [{"term": "x"}]})
    assert shown["thresholds"]["threat"] == {"review": 0.0352, "reject": 0.8038}


def test_site_overrides_merge_over_the_base_policy() -> None:
    policy = policy_from_dict(
        {"mode": "pre", "max_length": 500, "thresholds": {"abusive": {"reject": 0.7}}},
        version=3, base=Policy(),
    )
    assert policy.version == 3 and policy.mode == "pre" and policy.max_length == 500
    assert policy.thresholds["abusive"].reject == 0.7
    assert policy.thresholds["abusive"].review == Policy().thresholds["abusive"].review


# --- pre-moderation -------------------------------------------------------------------------


def test_pre_mode_at_defaults_holds_what_post_mode_approves_with_a_reason() -> None:
    """Old main: the default clean_below (0.2, on toxicity alone) was above the model's
    toxicity review threshold, so ``pre`` held nothing ``post`` didn't, and said nothing."""
    clf = FakeClassifier(scores={"toxicity": 0.1, "threat": 0.02}, thresholds=MODEL)
    post = moderate("text", classifier=clf, policy=model_policy())
    pre = moderate("text", classifier=clf, policy=model_policy(mode="pre"))
    assert post.decision == "approved" and post.reasons == ()
    assert pre.decision == "needs_review"
    assert [r.code for r in pre.reasons] == ["policy:pre_moderation"]
    assert "pre-moderates" in pre.reasons[0].message


def test_pre_mode_approves_what_is_clearly_clean_relative_to_every_review_threshold() -> None:
    # below half of every review threshold (the default clean_below, 0.5)
    clean = {"toxicity": 0.07, "abusive": 0.09, "obscene": 0.06, "threat": 0.017, "discriminatory": 0.017}
    clf = FakeClassifier(scores=clean, thresholds=MODEL)
    assert moderate("text", classifier=clf, policy=model_policy(mode="pre")).decision == "approved"
    # clean_below is a fraction: 1 makes pre behave like post, 0 holds everything
    nearly = FakeClassifier(scores={"threat": 0.03}, thresholds=MODEL)
    assert moderate("t", classifier=nearly, policy=model_policy(mode="pre", clean_below=1)).decision \
        == "approved"
    assert moderate("t", classifier=FakeClassifier(thresholds=MODEL),
                    policy=model_policy(mode="pre", clean_below=0)).decision == "needs_review"


# --- reasons ------------------------------------------------------------------------------


def test_a_comment_held_for_toxicity_alone_says_why() -> None:
    result = moderate("text", classifier=FakeClassifier(scores={"toxicity": 0.3}, thresholds=MODEL),
                      policy=model_policy())
    assert result.decision == "needs_review"
    assert [r.code for r in result.reasons] == ["classifier:toxicity"]


def test_reason_messages_name_the_threshold_crossed_not_the_calibrated_score() -> None:
    """Old main: "looks discriminatory (score 0.04)", which reads as "4% likely"."""
    held = moderate("text", classifier=FakeClassifier(scores={"discriminatory": 0.04}, thresholds=MODEL),
                    policy=model_policy())
    (reason,) = held.reasons
    assert reason.code == "classifier:discriminatory"
    assert "review threshold" in reason.message and "0.04" not in reason.message
    rejected = moderate("text", classifier=FakeClassifier(scores={"threat": 0.9}, thresholds=MODEL),
                        policy=model_policy())
    assert rejected.decision == "rejected"
    assert "reject threshold" in next(r for r in rejected.reasons if r.code == "classifier:threat").message


def test_a_rule_category_past_a_lowered_threshold_says_why() -> None:
    def hedged(_text: str) -> CheckResult:
        return CheckResult(scores={"defamatory": 0.3})  # a score, no reason of its own

    policy = model_policy(thresholds={"defamatory": {"review": 0.2}})
    (result,) = moderate_many([PipelineInput("text", policy=policy, extra_checks=(hedged,))],
                              classifier=FakeClassifier(thresholds=MODEL))
    assert result.decision == "needs_review"
    assert [r.code for r in result.reasons] == ["defamatory:threshold"]


def test_reasons_and_decision_see_the_same_rounded_score() -> None:
    # 0.03519 rounds to the threshold 0.0352: the verdict records 0.0352, so it must say why
    result = moderate("t", classifier=FakeClassifier(scores={"threat": 0.03519}, thresholds=MODEL),
                      policy=model_policy())
    assert result.scores["threat"] == 0.0352
    assert result.decision == "needs_review" and [r.code for r in result.reasons] == ["classifier:threat"]


score = st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.0344, 0.0352, 0.1559, 0.5, 0.9, 1.0]))
level = st.floats(0, 1)


@given(
    scores=st.fixed_dictionaries({name: score for name in CLASSIFIER_CATEGORIES}),
    rule_scores=st.fixed_dictionaries({name: score for name in CATEGORIES
                                       if name not in CLASSIFIER_CATEGORIES}),
    overrides=st.dictionaries(st.sampled_from(CATEGORIES),
                              st.builds(lambda a, b: {"review": min(a, b), "reject": max(a, b)},
                                        level, level), max_size=4),
    mode=st.sampled_from(["post", "pre"]),
    clean_below=level,
)
def test_every_held_or_rejected_comment_says_why(
    scores: dict[str, float], rule_scores: dict[str, float], overrides: dict[str, dict[str, float]],
    mode: str, clean_below: float,
) -> None:
    policy = model_policy(mode=mode, clean_below=clean_below, thresholds=overrides)
    (result,) = moderate_many(
        [PipelineInput("plain text", policy=policy,
                       extra_checks=(lambda _t: CheckResult(scores=rule_scores),))],
        classifier=FakeClassifier(scores=scores, thresholds=MODEL))
    if result.decision != "approved":
        assert [r for r in result.reasons if r.code not in INFORMATIONAL_CODES], result
