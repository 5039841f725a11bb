"""Site word lists and sender blocklists as pipeline checks (pure, no database)."""

from __future__ import annotations

import pytest

from moderation.pipeline.blocklists import BanRule, SenderFacts, sender_check, word_check
from moderation.pipeline.policy import Blocklists, Policy, WordRule, decide, policy_from_dict
from moderation.pipeline.run import moderate
from tests.support.fake_classifier import FakeClassifier


def codes(text: str, *rules: WordRule) -> list[str]:
    return [r.code for r in word_check(rules)(text).reasons]


@pytest.mark.parametrize(
    ("term", "text", "matches"),
    [
        ("idiot", "What an IDIOT.", True),
        ("idiot", "idiots everywhere", False),  # never inside a longer word
        ("idiot", "id\u200diot", True),  # zero-width joiner can't hide a word
        ("café", "Le cafe\u0301 est froid", True),  # NFD text, NFC term
        ("cafe", "Le cafe\u0301 est froid", False),  # the accent is part of the word
        ("café", "cafés", False),
        ("bad word", "a bad   word here", True),  # phrases match across whitespace runs
        ("राम", "राम आया", True),  # Devanagari
        ("राम", "रामायण पढ़ो", False),  # … not inside a longer word
        ("राम", "रामा", False),  # a vowel sign (matra) continues the word
        ("ಕನ್ನಡ", "ನಾನು ಕನ್ನಡ ಮಾತನಾಡುತ್ತೇನೆ", True),  # Kannada
        ("ಕನ್ನಡ", "ಅವನು ಕನ್ನಡಿಗ", False),  # virama/matra: inside a longer word
        ("ಕನ್ನಡ", "ಕನ್ನಡದ ಪುಸ್ತಕ", False),
    ],
)
def test_word_lists_match_whole_words_in_any_script(term: str, text: str, matches: bool) -> None:
    assert bool(codes(text, WordRule(term, "reject"))) is matches


def test_word_actions_map_to_hard_soft_and_informational_reasons() -> None:
    check = word_check([WordRule("scum", "reject"), WordRule("liar", "review"),
                        WordRule("minister", "none")])
    reasons = {r.code: r for r in check("The minister is a liar and scum.").reasons}
    assert reasons["blocklist:banned_term"].hard
    assert not reasons["blocklist:watched_term"].hard
    assert not reasons["blocklist:noted_term"].hard
    spans = reasons["blocklist:watched_term"].spans
    assert [(s.start, s.end) for s in spans] == [(18, 22)]


def test_a_noted_term_alone_does_not_change_the_decision() -> None:
    noted = word_check([WordRule("minister", "none")])("The minister spoke.").reasons
    assert decide({}, list(noted), Policy()) == "approved"
    watched = word_check([WordRule("minister", "review")])("The minister spoke.").reasons
    assert decide({}, list(watched), Policy()) == "needs_review"


LISTS = Blocklists(ips=("198.51.100.0/24", "2001:db8:1::/48"), emails=("troll@example.com",),
                   email_domains=("spam.example",), disposable_domains=True)


@pytest.mark.parametrize(
    ("facts", "blocked"),
    [
        (SenderFacts("snd_a", "198.51.100.77", "ok@example.com"), True),  # inside the CIDR
        (SenderFacts("snd_a", "198.51.101.1", "ok@example.com"), False),
        (SenderFacts("snd_a", "2001:db8:1:ffff::1", "ok@example.com"), True),  # IPv6 /48
        (SenderFacts("snd_a", "203.0.113.1", "Troll@Example.com"), True),  # case-insensitive
        (SenderFacts("snd_a", "203.0.113.1", "x@mail.spam.example"), True),  # subdomain
        (SenderFacts("snd_a", "203.0.113.1", "x@notspam.example"), False),
        (SenderFacts("snd_a", "203.0.113.1", "x@mailinator.com"), True),  # disposable
        (SenderFacts("snd_a", None, None), False),  # erased sender details
    ],
)
def test_sender_blocklists(facts: SenderFacts, blocked: bool) -> None:
    reasons = sender_check(facts, LISTS, [])("any text").reasons
    assert bool(reasons) is blocked
    if blocked:
        assert reasons[0].code == "blocklist:sender" and reasons[0].hard


def test_disposable_domains_are_only_blocked_when_the_site_opts_in() -> None:
    facts = SenderFacts("snd_a", None, "x@yopmail.com")
    assert not sender_check(facts, Blocklists(), [])("").reasons


@pytest.mark.parametrize(
    "ban",
    [BanRule("pseudonym", "snd_bad"), BanRule("ip", "203.0.113.0/24"),
     BanRule("email", "bad@example.com")],
)
def test_active_bans_block_the_sender(ban: BanRule) -> None:
    facts = SenderFacts("snd_bad", "203.0.113.9", "bad@example.com")
    assert sender_check(facts, Blocklists(), [ban])("").reasons[0].code == "blocklist:sender"


def test_policy_from_dict_reads_blocklists_and_the_pipeline_applies_them() -> None:
    policy = policy_from_dict(
        {"blocklists": {"words": [{"term": "scum", "action": "reject"}]}, "mode": "pre"},
        version=7, base=Policy())
    assert policy.blocklists.words == (WordRule("scum", "reject"),)
    result = moderate("You scum.", classifier=FakeClassifier(), policy=policy,
                      extra_checks=[word_check(policy.blocklists.words)])
    assert result.decision == "rejected"
    assert result.policy_version == 7
    assert "blocklist:banned_term" in {r.code for r in result.reasons}
