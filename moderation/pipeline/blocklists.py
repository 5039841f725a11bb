"""Site blocklists as pipeline checks: word lists on the text, sender lists on the sender.

Pure functions of the policy and the sender facts; the moderation service loads
the sender's details and the site's active bans and passes them in.

* Word list (Unicode-aware whole-word matching, see :mod:`moderation.pipeline.wordmatch`):
  ``reject`` → hard ``blocklist:banned_term``; ``review`` → soft
  ``blocklist:watched_term``; ``none`` → informational ``blocklist:noted_term``.
* Sender: an IP inside a blocked address/CIDR, a blocked email, a blocked email
  domain (or a disposable-mail domain when the site opts in), or an active ban by
  pseudonym, IP/CIDR or email → hard ``blocklist:sender``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from moderation.pipeline.disposable import DISPOSABLE_DOMAINS
from moderation.pipeline.policy import Blocklists, WordRule
from moderation.pipeline.types import CheckResult, Reason, Span
from moderation.pipeline.wordmatch import TermMatcher, compile_terms

CATEGORY = "blocklist"
_WORD_CODES = {
    "reject": ("blocklist:banned_term", True, "The comment contains a banned term ({term})."),
    "review": ("blocklist:watched_term", False, "The comment contains a watched term ({term})."),
    "none": ("blocklist:noted_term", False, "The comment contains a noted term ({term})."),
}


@dataclass(frozen=True, slots=True)
class SenderFacts:
    """What the pipeline may know of a sender (None once retention erased it)."""

    pseudonym: str
    ip: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class BanRule:
    kind: str  # "pseudonym" | "ip" | "email"
    value: str


@lru_cache(maxsize=256)
def _matchers(words: tuple[WordRule, ...]) -> tuple[tuple[str, TermMatcher], ...]:
    by_action: dict[str, list[str]] = {}
    for rule in words:
        by_action.setdefault(rule.action, []).append(rule.term)
    return tuple((action, compile_terms(terms)) for action, terms in by_action.items())


def word_check(words: Sequence[WordRule]) -> Callable[[str], CheckResult]:
    """A check that flags the site's banned, watched and noted words in a text."""
    matchers = _matchers(tuple(words))

    def check(text: str) -> CheckResult:
        reasons = []
        for action, matcher in matchers:
            found = matcher.find(text)
            if not found:
                continue
            code, hard, message = _WORD_CODES[action]
            terms = sorted({term for _s, _e, term in found})
            reasons.append(Reason(
                code, message.format(term=", ".join(terms)),
                spans=tuple(Span(s, e, CATEGORY) for s, e, _t in found), hard=hard,
            ))
        return CheckResult(reasons=tuple(reasons))

    return check


def _networks(values: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            continue  # validated on the way in; an odd stored value never matches
    return networks


def ip_in(ip: str | None, values: Iterable[str]) -> bool:
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in _networks(values)
               if network.version == address.version)


def _domain_listed(domain: str, domains: Iterable[str]) -> bool:
    return any(domain == d or domain.endswith("." + d) for d in domains)


def sender_block_reason(facts: SenderFacts, lists: Blocklists, bans: Sequence[BanRule]) -> str | None:
    """Why this sender is blocked (a short explanation), or None."""
    email = (facts.email or "").strip().casefold()
    domain = email.rpartition("@")[2]
    ban_values = {kind: [b.value for b in bans if b.kind == kind] for kind in ("pseudonym", "ip", "email")}
    if facts.pseudonym in ban_values["pseudonym"]:
        return "the sender is banned"
    if ip_in(facts.ip, ban_values["ip"]):
        return "the sender's IP address is banned"
    if email and email in {v.strip().casefold() for v in ban_values["email"]}:
        return "the sender's email address is banned"
    if ip_in(facts.ip, lists.ips):
        return "the sender's IP address is on the site's blocklist"
    if email and email in {v.strip().casefold() for v in lists.emails}:
        return "the sender's email address is on the site's blocklist"
    if domain and _domain_listed(domain, [d.strip().casefold() for d in lists.email_domains]):
        return "the sender's email domain is on the site's blocklist"
    if domain and lists.disposable_domains and _domain_listed(domain, DISPOSABLE_DOMAINS):
        return "the sender uses a disposable email address"
    return None


def sender_check(facts: SenderFacts, lists: Blocklists,
                 bans: Sequence[BanRule]) -> Callable[[str], CheckResult]:
    """A check (text is ignored) that rejects blocked or banned senders."""
    why = sender_block_reason(facts, lists, bans)

    def check(_text: str) -> CheckResult:
        if why is None:
            return CheckResult()
        return CheckResult(reasons=(Reason("blocklist:sender", f"Blocked: {why}.", hard=True),))

    return check
