"""Unicode-aware whole-word matching of site blocklist terms.

``compile_terms(["idiot", "राम", "bad word"]).find(text)`` returns
``(start, end, term)`` triples whose offsets point into the *original* text.

Matching rules:

* Text and terms are compared after NFC normalisation and ``str.casefold``, so
  "Café" written precomposed (NFC) or as ``e`` + U+0301 (NFD) is the same word.
* A term never matches inside a longer word. Word characters are letters,
  combining marks and numbers (Unicode categories ``L*``, ``M*``, ``N*``):
  Devanagari/Kannada matras and virama and Latin combining accents therefore
  never create a boundary ("राम" does not match in "रामायण", "ಕನ್ನಡ" not in
  "ಕನ್ನಡಿಗ", "cafe" not in NFD "café"). The underscore is not a word character.
* Zero-width characters used to split words (ZWSP, ZWNJ, ZWJ, word joiner, BOM,
  soft hyphen) are ignored, so "id\u200diot" still matches "idiot".
* Whitespace inside a phrase matches any run of whitespace.
* Longer terms win over shorter ones starting at the same place; matches don't
  overlap.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

#: Characters dropped before matching (they only affect rendering or hide words).
_IGNORED = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


@cache
def _mark_class() -> str:
    """Regex class body listing every combining mark (``M*``) as code-point ranges.

    Python's ``\\w`` covers letters and numbers but not marks, so boundaries are
    built from ``\\w`` (minus ``_``) plus this class. Computed once, on first use.
    """
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp))[0] == "M":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "".join(f"\\U{a:08x}" if a == b else f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges)


@cache
def word_run_regex() -> re.Pattern[str]:
    """A regex matching maximal runs of word characters (letters, marks, numbers)."""
    return re.compile(f"(?:[^\\W_]|[{_mark_class()}])+")


def iter_words(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield ``(start, end, word)`` for each run of letters, marks and numbers."""
    for m in word_run_regex().finditer(text):
        yield m.start(), m.end(), m.group()


def _fold(s: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", s).casefold())


def _is_chunk_start(ch: str) -> bool:
    """Whether normalisation can never merge ``ch`` with the character before it."""
    if ch in _IGNORED:
        return True
    if unicodedata.combining(ch) or unicodedata.category(ch)[0] == "M":
        return False
    # Hangul medial vowels / final consonants compose with the preceding jamo.
    return not ("\u1160" <= ch <= "\u11ff")


@dataclass(frozen=True, slots=True)
class _Folded:
    """Normalised text plus, per normalised character, its source span."""

    text: str
    starts: list[int]
    ends: list[int]


def fold_with_offsets(text: str) -> _Folded:
    """NFC + casefold ``text`` chunk by chunk, remembering original offsets.

    A chunk is a character with the combining marks that follow it; normalising
    chunks separately gives the same result as normalising the whole string.
    """
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    n = len(text)
    i = 0
    while i < n:
        j = i + 1
        while j < n and not _is_chunk_start(text[j]) and text[j - 1] not in _IGNORED:
            j += 1
        chunk = text[i:j]
        if chunk not in _IGNORED:
            folded = _fold(chunk)
            out.append(folded)
            starts.extend([i] * len(folded))
            ends.extend([j] * len(folded))
        i = j
    return _Folded("".join(out), starts, ends)


class TermMatcher:
    """Finds whole-word occurrences of a fixed set of terms. Build with :func:`compile_terms`."""

    def __init__(self, terms: Iterable[str]) -> None:
        by_key: dict[str, str] = {}
        for term in terms:
            key = " ".join(_fold("".join(c for c in term if c not in _IGNORED)).split())
            if key and key not in by_key:
                by_key[key] = term
        self._term_for_key = by_key
        self._pattern: re.Pattern[str] | None = None
        if by_key:
            alternatives = "|".join(
                r"\s+".join(re.escape(part) for part in key.split(" "))
                for key in sorted(by_key, key=len, reverse=True)
            )
            marks = _mark_class()
            self._pattern = re.compile(
                f"(?<![^\\W_])(?<![{marks}])(?:{alternatives})(?![^\\W_])(?![{marks}])"
            )

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self._term_for_key.values())

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Return ``(start, end, term)`` for every match, offsets into ``text``.

        ``term`` is the term as it was given to :func:`compile_terms`.
        """
        if self._pattern is None or not text:
            return []
        folded = fold_with_offsets(text)
        found: list[tuple[int, int, str]] = []
        for m in self._pattern.finditer(folded.text):
            key = " ".join(m.group().split())
            term = self._term_for_key.get(key)
            if term is None:  # pragma: no cover - every match comes from a key
                continue
            found.append((folded.starts[m.start()], folded.ends[m.end() - 1], term))
        return found


def compile_terms(terms: Iterable[str]) -> TermMatcher:
    """Build a matcher for blocklist ``terms`` (words or phrases, any script)."""
    return TermMatcher(terms)
