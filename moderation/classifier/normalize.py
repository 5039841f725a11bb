"""Text normalisation that defeats common obfuscation, with an offset map back to the input.

The classifier sees the *normalised* text; explanations must point at the *original*
characters. So every step exists twice: a fast form for scoring (``normalize``) and a
tracked form (``normalize_with_offsets``) that records, for every normalised character,
the index of the original code point it came from. Both forms share the same tables and
replacement callbacks, and a property test pins them to the same output.

Steps, in order:

1. per code point: casefold, NFKD, drop combining marks, fold Cyrillic/Greek look-alikes,
   drop zero-width characters, turn any whitespace/control character into a space;
2. drop dataset artefacts: URLs, ``@handles``, retweet markers ``rt @…``, HTML entities;
3. join spaced-out letters (``f u c k``, ``f.u.c.k`` → ``fuck``);
4. undo leetspeak inside words that contain letters (``@ss``, ``sh1t``, ``a$$``);
5. punctuation → space (apostrophes and ``*`` censoring stay);
6. collapse runs of 3+ identical characters to 2 (``fuuuuck`` → ``fuuck``);
7. collapse whitespace and trim.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache

# Look-alikes that NFKD does not fold (it keeps scripts apart). Lower case only: the
# table is applied after casefolding.
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "а": "a", "б": "b", "в": "b", "г": "r", "д": "d", "е": "e", "ё": "e", "з": "3",
    "и": "u", "й": "u", "к": "k", "л": "n", "м": "m", "н": "h", "о": "o", "п": "n",
    "р": "p", "с": "c", "т": "t", "у": "y", "ф": "f", "х": "x", "ц": "u", "ч": "4",
    "ш": "w", "щ": "w", "ъ": "b", "ы": "bi", "ь": "b", "э": "e", "ю": "io", "я": "r",
    "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ӏ": "l", "ү": "y", "һ": "h",
    "ԛ": "q", "ԝ": "w", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "γ": "y", "δ": "d", "ε": "e", "ζ": "z", "η": "n", "θ": "o",
    "ι": "i", "κ": "k", "λ": "l", "μ": "u", "ν": "v", "ξ": "e", "ο": "o", "π": "n",
    "ρ": "p", "σ": "o", "ς": "s", "τ": "t", "υ": "u", "φ": "f", "χ": "x", "ψ": "w",
    "ω": "w",
    # Latin look-alikes and typographic variants
    "ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ƒ": "f", "ß": "ss",
    "æ": "ae", "œ": "oe", "þ": "th", "ð": "d",
    "\u2018": "'", "\u2019": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"',
    "\u00b4": "'", "`": "'",
}

# Invisible characters used to split words ("f\u200buck"); removing them joins the word.
_INVISIBLE = {0x00AD, 0x034F, 0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0xFEFF}

_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                       "8": "b", "@": "a", "$": "s"})

# Code points whose mapping is computed up front: the BMP plus the supplementary planes
# holding mathematical alphanumerics and enclosed letters (popular obfuscation).
_TABLE_LIMIT = 0x20000


def _map_char(ch: str) -> str:
    cp = ord(ch)
    if cp in _INVISIBLE:
        return ""
    if ch.isspace() or unicodedata.category(ch) == "Cc":
        return " "
    out = []
    for c in unicodedata.normalize("NFKD", ch.casefold()):
        if unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me"):
            continue
        out.append(_CONFUSABLES.get(c, c))
    return "".join(out)


@cache
def _char_table() -> dict[int, str]:
    """code point → replacement, only where the replacement differs (~0.3 s, built once)."""
    table: dict[int, str] = {}
    for cp in range(_TABLE_LIMIT):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        ch = chr(cp)
        mapped = _map_char(ch)
        if mapped != ch:
            table[cp] = mapped
    return table


@cache
def _punct_table() -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in range(0x3000):
        ch = chr(cp)
        if ch in "'*":
            continue
        cat = unicodedata.category(ch)
        if cat.startswith("P") or cat in ("Sm", "Sk", "Sc"):
            table[cp] = " "
    for ch in "\u2026\u2014\u2013\u201c\u201d\u00ab\u00bb":
        table[ord(ch)] = " "
    return table


def warm_up() -> None:
    """Build the lookup tables now rather than on the first comment."""
    _char_table()
    _punct_table()
    _non_unit_chars()


# A replacement callback returns the replacement as (char, position-in-current-text) pairs,
# so the tracked form knows where each output character came from.
Piece = list[tuple[str, int]]
Repl = Callable[[re.Match[str]], Piece]

_ARTEFACTS = re.compile(
    r"(?:https?://|www\.)\S+"  # URLs
    r"|(?<!\w)rt\b(?=\s*[@:])"  # retweet marker
    r"|(?<![\w@])@(?!ss)\w+"  # @handles (not "@ss", which is leetspeak)
    r"|&#?[a-z0-9]{2,8};"  # HTML entities (&amp; &#8220;)
)
_SPACED = re.compile(r"(?<![\w*])(?:[^\W\d_][ .\-_*·,]{1,2}){2,}[^\W\d_](?![\w*])")
_LEET_TOKEN = re.compile(r"(?<![\w@$])(?=[0-9@$]*[a-z])(?=[a-z]*[0-9@$])[a-z0-9@$]{3,}(?![\w@$])")
_NOT_LEET = re.compile(
    r"\d+(?:st|nd|rd|th|s|k|m|am|pm|x|d|g|mb|gb|kg|km|cm|mm|hr|hrs|yr|yrs|min|mins|ft|lb|lbs|b)"
)
_REPEAT = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")


def _space(m: re.Match[str]) -> Piece:
    return [(" ", m.start())]


def _join_letters(m: re.Match[str]) -> Piece:
    base = m.start()
    return [(c, base + i) for i, c in enumerate(m.group()) if c.isalpha()]


def _unleet(m: re.Match[str]) -> Piece:
    tok = m.group()
    if not _NOT_LEET.fullmatch(tok):
        digits = sum(c.isdigit() for c in tok)
        if digits * 2 <= len(tok):
            tok = tok.translate(_LEET)
    base = m.start()
    return [(c, base + i) for i, c in enumerate(tok)]


def _two(m: re.Match[str]) -> Piece:
    c = m.group(1)
    return [(c, m.start()), (c, m.start() + 1)]


#: (pattern, tracked replacement, equivalent ``re.sub`` template or None). The template is
#: the same replacement without offsets; ``re.sub`` with a template skips a Python call per
#: match (``\s+`` matches between every two words).
Step = tuple[re.Pattern[str], Repl, str | None]

_STEPS: tuple[Step, ...] = (
    (_ARTEFACTS, _space, " "),
    (_SPACED, _join_letters, None),
    (_LEET_TOKEN, _unleet, None),
)
_LATE_STEPS: tuple[Step, ...] = (
    (_REPEAT, _two, r"\1\1"),
    (_SPACES, _space, " "),
)
_MULTI_SPACE = re.compile(r"\s{2,}")


def _fast(pattern: re.Pattern[str], repl: Repl, template: str | None, text: str) -> str:
    if template is not None:
        return pattern.sub(template, text)
    return pattern.sub(lambda m: "".join(c for c, _ in repl(m)), text)


def _tracked(pattern: re.Pattern[str], repl: Repl, text: str, offs: list[int]) -> tuple[str, list[int]]:
    out: list[str] = []
    out_offs: list[int] = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(text[pos : m.start()])
        out_offs.extend(offs[pos : m.start()])
        for c, p in repl(m):
            out.append(c)
            out_offs.append(offs[p])
        pos = m.end()
    out.append(text[pos:])
    out_offs.extend(offs[pos:])
    return "".join(out), out_offs


def _may_hold_artefacts(text: str) -> bool:
    """False when ``_ARTEFACTS`` cannot match: every branch needs one of these substrings.

    (URL: "://" or "www."; retweet marker: "@" or ":"; handle: "@"; entity: "&".)
    Scanning for them is much cheaper than running the pattern over every comment.
    """
    return "@" in text or ":" in text or "&" in text or "www." in text


def normalize_stages(text: str) -> tuple[str, ...]:
    """Every intermediate string of ``normalize(text)``; the last one is the result.

    The batch path keeps these so that it can map spans back to the original text
    without normalising a comment twice (see :func:`offsets_from_stages`).
    """
    cur = text.translate(_char_table())
    stages = [cur]
    for pattern, repl, template in _STEPS:
        if pattern is not _ARTEFACTS or _may_hold_artefacts(cur):
            cur = _fast(pattern, repl, template, cur)
        stages.append(cur)
    cur = cur.translate(_punct_table())
    stages.append(cur)
    for pattern, repl, template in _LATE_STEPS:
        cur = _fast(pattern, repl, template, cur)
        stages.append(cur)
    stages.append(cur.strip())
    return tuple(stages)


def normalize(text: str) -> str:
    """The normalised form the features are computed on."""
    return normalize_stages(text)[-1]


#: Unicode blocks whose vowel signs, viramas and nuktas carry meaning: the per-code-point
#: step leaves them as they are (Kannada, for the Kannada head; ``moderation.classifier.kannada``).
INDIC_KEPT = ((0x0C80, 0x0CFF),)


@cache
def _indic_char_table() -> dict[int, str]:
    table = dict(_char_table())
    for first, last in INDIC_KEPT:
        for cp in range(first, last + 1):
            table.pop(cp, None)
    return table


def normalize_indic(text: str) -> str:
    """``normalize`` for Indic-script text: the same steps, but the text is NFC-composed first
    and the characters of :data:`INDIC_KEPT` pass the per-code-point step unchanged.

    ``normalize`` drops combining marks (it folds "é" to "e"), which in Kannada are the
    vowel signs and the virama: "ಕೊಲ್ಲು" would become consonants only. Latin letters in the
    same comment (romanised or code-mixed Kannada) are folded exactly as ``normalize``
    folds them.
    """
    cur = unicodedata.normalize("NFC", text).translate(_indic_char_table())
    for pattern, repl, template in _STEPS:
        if pattern is not _ARTEFACTS or _may_hold_artefacts(cur):
            cur = _fast(pattern, repl, template, cur)
    cur = cur.translate(_punct_table())
    for pattern, repl, template in _LATE_STEPS:
        cur = _fast(pattern, repl, template, cur)
    return cur.strip()


def normalize_with_offsets(text: str) -> tuple[str, list[int]]:
    """``normalize(text)`` plus, per output character, the index of its source code point."""
    table = _char_table()
    chars: list[str] = []
    offs: list[int] = []
    for i, ch in enumerate(text):
        mapped = table.get(ord(ch), ch)
        chars.append(mapped)
        offs.extend([i] * len(mapped))
    cur = "".join(chars)
    for pattern, repl, _ in _STEPS:
        cur, offs = _tracked(pattern, repl, cur, offs)
    cur = cur.translate(_punct_table())  # one-to-one: offsets unchanged
    for pattern, repl, _ in _LATE_STEPS:
        cur, offs = _tracked(pattern, repl, cur, offs)
    left = len(cur) - len(cur.lstrip())
    stripped = cur.strip()
    return stripped, offs[left : left + len(stripped)]


@cache
def _non_unit_chars() -> frozenset[str]:
    """Characters the per-code-point table maps to anything but exactly one character."""
    return frozenset(chr(cp) for cp, mapped in _char_table().items() if len(mapped) != 1)


def offsets_from_stages(text: str, stages: tuple[str, ...]) -> list[int]:
    """The offsets of ``normalize_with_offsets(text)``, from ``normalize_stages(text)``.

    Same result, a fraction of the cost: a step only moves characters when it changes
    the length of the text. Each of ``_ARTEFACTS``, ``_SPACED`` and ``_REPEAT`` shortens
    the text whenever it matches, ``_LEET_TOKEN`` and the punctuation table map one
    character to one, and ``_SPACES`` only moves offsets where a run of 2+ whitespace
    characters becomes one space; so the tracked (slow) form runs only for the steps
    that changed this text. A test and the batch-equals-per-text test pin this down.
    """
    table = _char_table()
    if _non_unit_chars().isdisjoint(text):
        offs = list(range(len(text)))
    else:
        offs = []
        for i, ch in enumerate(text):
            offs.extend([i] * len(table.get(ord(ch), ch)))
    artefacts, spaced, _leet = _STEPS
    for k, (pattern, repl, _) in ((1, artefacts), (2, spaced)):
        if len(stages[k]) != len(stages[k - 1]):
            _, offs = _tracked(pattern, repl, stages[k - 1], offs)
    # stages[3]: leetspeak, stages[4]: punctuation; both one character for one
    repeat, _spaces = _LATE_STEPS
    if len(stages[5]) != len(stages[4]):
        _, offs = _tracked(repeat[0], repeat[1], stages[4], offs)
    if len(stages[6]) != len(stages[5]):
        kept: list[int] = []
        pos = 0
        for m in _MULTI_SPACE.finditer(stages[5]):
            kept.extend(offs[pos : m.start() + 1])
            pos = m.end()
        kept.extend(offs[pos:])
        offs = kept
    left = len(stages[6]) - len(stages[6].lstrip())
    return offs[left : left + len(stages[7])]


def _is_attached(ch: str) -> bool:
    """Characters that belong to the preceding one: combining marks, ZWJ, selectors, skin tones."""
    cp = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or cp in (0x200D, 0xFE0E, 0xFE0F)
        or 0x1F3FB <= cp <= 0x1F3FF
    )


def to_original(original: str, offsets: list[int], start: int, end: int) -> tuple[int, int]:
    """Map ``[start, end)`` in the normalised text to ``[start, end)`` in ``original``.

    The end is widened over characters that were folded away but belong to the last
    matched one (combining accents, emoji modifiers, a collapsed run ``ooooo``), so a
    span never cuts a grapheme or a word in half.
    """
    o_start = offsets[start]
    o_end = offsets[end - 1] + 1
    n = len(original)
    while o_end < n and (_is_attached(original[o_end]) or original[o_end] == original[o_end - 1]):
        o_end += 1
    return o_start, o_end
