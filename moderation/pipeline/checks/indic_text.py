"""Unicode normalisation for the Indic rules, keeping offsets into the original text.

The same Kannada or Devanagari word can arrive in two spellings that look identical:
composed (``ೊ`` U+0CCA) or decomposed (``ೆ`` U+0CC6 + ``ೂ`` U+0CC2), and a nukta letter as
one code point (``ड़`` U+095C) or two (``ड`` + ``़``). The lexicons are written in NFC, so
the rules read the NFC form of a comment; every span they report must still be an
offset into the text the client sent. :func:`nfc_with_offsets` normalises each
letter together with the combining marks after it (a cluster never composes across a
following letter in these scripts) and records, for every character of the result,
the original cluster it came from.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Normalised:
    """``text`` in NFC; ``starts[i]``/``ends[i]``: the original cluster of ``text[i]``."""

    text: str
    starts: tuple[int, ...] | None  # None: the original was already NFC (identity)
    ends: tuple[int, ...] | None

    def original(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the normalised span ``[start, end)``."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            at = self.starts[start] if start < len(self.starts) else (
                self.ends[-1] if self.ends else 0)
            return at, at
        return self.starts[start], self.ends[end - 1]


def nfc_with_offsets(text: str) -> Normalised:
    """``text`` in NFC with a map back to the original offsets (see the module docstring)."""
    if text.isascii() or unicodedata.is_normalized("NFC", text):
        return Normalised(text, None, None)
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.category(text[j]).startswith("M"):
            j += 1
        piece = unicodedata.normalize("NFC", text[i:j])
        pieces.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    result = "".join(pieces)
    if result != unicodedata.normalize("NFC", text):  # a script whose letters compose (Hangul)
        return Normalised(text, None, None)
    return Normalised(result, tuple(starts), tuple(ends))
