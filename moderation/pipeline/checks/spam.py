"""Spam signals: links, link shorteners, character/word floods, shouting, promotions.

Category ``spam``. Every reason is soft (spam goes to review, never straight to
rejection). Each signal found contributes a fixed weight and the weights are
combined as a noisy-OR, ``score = 1 - prod(1 - w)``, so one weak signal stays
low, several signals add up, and the score never leaves [0, 1]:

=========================  ======  ===========================================
reason                     weight  fires when
=========================  ======  ===========================================
``spam:links``             0.5     more than ``max_links`` links (default 2)
``spam:link_shortener``    0.6     any link on a known URL shortener
``spam:repeated_characters`` 0.3   one character ≥ ``max_char_repeat`` (8) times
                                   in a row (whitespace, digits and the
                                   separators ``. - _ = * ~`` don't count)
``spam:repeated_words``    0.5     a word repeated ≥ 6 times in a row, a 2-4
                                   word phrase ≥ 4 times in a row, or one word
                                   ≥ 50 % of a text of ≥ 10 words
``spam:shouting``          0.3     ≥ ``shout_min_letters`` (24) cased letters,
                                   ≥ ``shout_ratio`` (0.75) of them upper case
``spam:promotional``       0.7     a phrase from :data:`PROMOTIONAL_PATTERNS`
=========================  ======  ===========================================
"""

from __future__ import annotations

import re
from collections import Counter

from moderation.pipeline.types import CheckResult, Reason, Span
from moderation.pipeline.wordmatch import iter_words

CATEGORY = "spam"

WEIGHTS: dict[str, float] = {
    "links": 0.5,
    "link_shortener": 0.6,
    "repeated_characters": 0.3,
    "repeated_words": 0.5,
    "shouting": 0.3,
    "promotional": 0.7,
}

#: Well-known URL shorteners (they hide where a link goes).
LINK_SHORTENERS: frozenset[str] = frozenset(
    {
        "bit.ly", "tinyurl.com", "t.co", "goo.gl", "ow.ly", "is.gd", "buff.ly", "rebrand.ly",
        "cutt.ly", "shorturl.at", "tiny.cc", "rb.gy", "t.ly", "s.id", "bl.ink", "lnkd.in",
        "v.gd", "shorte.st", "adf.ly", "bitly.com", "tiny.one", "surl.li", "clck.ru",
    }
)

#: Cheap, well-known promotional phrases (English and Hinglish), each one regex.
PROMOTIONAL_PATTERNS: tuple[str, ...] = (
    r"whats\s?app\s+(?:me|us|now|karo|kare|on|at|no\.?|number)",  # contact off-site
    r"(?:wa|t)\.me/",  # click-to-chat links
    r"(?:dm|inbox|message)\s+me\s+(?:for|to)",
    r"earn\s+(?:money|\S*\d[\d,]*\S*)\s+(?:\w+\s+){0,3}(?:from|at)\s+home",
    r"work\s+from\s+home\s+(?:job|opportunity|offer)",
    r"(?:part[\s\-]?time|online)\s+jobs?\s+(?:available|offer|opportunity)",
    r"earn\s+(?:rs\.?|₹|\$|inr)?\s?\d[\d,]*\s*(?:daily|per\s+day|a\s+day|weekly|monthly)",
    r"ghar\s+baithe\s+(?:paise|kamaye|kamaen|kamao|earning)",
    r"(?:guaranteed|assured)\s+(?:returns?|profits?|income)",
    r"(?:double|triple)\s+your\s+(?:money|investment|bitcoin|crypto)",
    r"(?:crypto|bitcoin|forex)\s+(?:signals?|trading\s+tips|investment\s+plan)",
    r"(?:instant|easy)\s+(?:personal\s+)?loans?\s+(?:app|approval|without)",
    r"loan\s+without\s+(?:documents|cibil|credit\s+check)",
    r"join\s+(?:my|our)\s+telegram",
    r"free\s+(?:recharge|followers|likes|gift\s+card)",
    r"(?:check|visit)\s+(?:out\s+)?my\s+(?:profile|bio|channel)",
    r"subscribe\s+to\s+my\s+(?:channel|youtube)",
)
_PROMOTIONAL = re.compile("|".join(f"(?:{p})" for p in PROMOTIONAL_PATTERNS), re.IGNORECASE)

_TLDS = (
    r"com|in|net|org|info|biz|io|co|me|ly|gl|gd|cc|at|id|xyz|online|site|top|club|"
    r"shop|live|app|link|click|tk|ml|ga|cf|ru|uk|us|tv|ink"
)
_URL = re.compile(
    r"(?<![\w@.\-])(?:"
    r"(?:https?://|www\.)[^\s<>\"'()\[\]{}]+"
    rf"|(?:[a-z0-9](?:[a-z0-9\-]{{0,62}}\.)){{1,4}}(?-i:{_TLDS})(?![\w\-])(?:/[^\s<>\"'()]*)?"
    r")",
    re.IGNORECASE,
)
_HOST = re.compile(r"^(?:https?://)?(?:www\.)?([^/:?#\s]+)", re.IGNORECASE)
_NOT_FLOOD = frozenset(".-_=*~")


def _link_spans(text: str) -> list[tuple[int, int, str]]:
    found = []
    for m in _URL.finditer(text):
        url = m.group().rstrip(".,;:!?")
        host_m = _HOST.match(url)
        host = host_m.group(1).lower() if host_m else ""
        found.append((m.start(), m.start() + len(url), host))
    return found


def _char_floods(text: str, min_repeat: int) -> list[tuple[int, int]]:
    spans = []
    i, n = 0, len(text)
    while i < n:
        j = i + 1
        while j < n and text[j] == text[i]:
            j += 1
        ch = text[i]
        if j - i >= min_repeat and not (ch.isspace() or ch.isdigit() or ch in _NOT_FLOOD):
            spans.append((i, j))
        i = j
    return spans


def _word_floods(text: str) -> list[tuple[int, int]]:
    words = list(iter_words(text))
    keys = [w.casefold() for _, _, w in words]
    spans: list[tuple[int, int]] = []
    for size, min_runs in ((1, 6), (2, 4), (3, 4), (4, 4)):
        i = 0
        while i + size <= len(keys):
            runs = 1
            while keys[i + runs * size : i + (runs + 1) * size] == keys[i : i + size]:
                runs += 1
            if runs >= min_runs:
                spans.append((words[i][0], words[i + runs * size - 1][1]))
                i += runs * size
            else:
                i += 1
        if spans:
            return spans
    if len(keys) >= 10:
        word, count = Counter(keys).most_common(1)[0]
        if count * 2 >= len(keys):
            spans = [(s, e) for (s, e, _), k in zip(words, keys, strict=True) if k == word]
    return spans


def _shouting(text: str, min_letters: int, ratio: float) -> list[tuple[int, int]]:
    upper = lower = 0
    first = last = -1
    for i, ch in enumerate(text):
        if ch.isupper():
            upper += 1
        elif ch.islower():
            lower += 1
        else:
            continue
        if first < 0:
            first = i
        last = i
    if upper + lower >= min_letters and upper >= ratio * (upper + lower):
        return [(first, last + 1)]
    return []


_MESSAGES = {
    "links": "Comment contains many links",
    "link_shortener": "Comment contains a shortened link",
    "repeated_characters": "Comment repeats a character many times",
    "repeated_words": "Comment repeats the same words many times",
    "shouting": "Comment is mostly in capital letters",
    "promotional": "Comment contains promotional or scam wording",
}


def check(
    text: str,
    *,
    max_links: int = 2,
    max_char_repeat: int = 8,
    shout_min_letters: int = 24,
    shout_ratio: float = 0.75,
) -> CheckResult:
    """Score ``text`` for spam; the keyword arguments tune the limits (see module doc)."""
    found: dict[str, list[tuple[int, int]]] = {}
    links = _link_spans(text)
    if len(links) > max_links:
        found["links"] = [(s, e) for s, e, _ in links]
    shortened = [(s, e) for s, e, host in links if host in LINK_SHORTENERS]
    if shortened:
        found["link_shortener"] = shortened
    found["repeated_characters"] = _char_floods(text, max_char_repeat)
    found["repeated_words"] = _word_floods(text)
    found["shouting"] = _shouting(text, shout_min_letters, shout_ratio)
    found["promotional"] = [m.span() for m in _PROMOTIONAL.finditer(text)]

    reasons = []
    miss = 1.0
    for kind, spans in found.items():
        if not spans:
            continue
        miss *= 1.0 - WEIGHTS[kind]
        reasons.append(
            Reason(
                code=f"{CATEGORY}:{kind}",
                message=_MESSAGES[kind],
                spans=tuple(Span(s, e, CATEGORY) for s, e in spans),
                hard=False,
            )
        )
    return CheckResult(reasons=tuple(reasons), scores={CATEGORY: round(1.0 - miss, 4)})
