"""Cut a comment's text into plain and highlighted segments from its verdict's spans.

Pure: text and spans in, segments out; the template escapes each segment's text
(never ``|safe``), so a comment's markup always shows as text. Overlapping spans
split the text at every boundary; a piece covered by several categories lists them
all, the first (in display order) naming its colour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from moderation.pipeline.types import CATEGORIES

#: Display order of categories, including the check-only ones (blocklist words, ...).
ORDER = (*CATEGORIES, "blocklist")

#: Plain words for each category, as a moderator reads them.
LABELS = {
    "toxicity": "toxic",
    "abusive": "abusive",
    "obscene": "obscene",
    "threat": "threat",
    "discriminatory": "discriminatory",
    "defamatory": "possibly defamatory",
    "personal_information": "personal data",
    "spam": "spam",
    "blocklist": "site word list",
}


@dataclass(frozen=True)
class Segment:
    text: str
    categories: tuple[str, ...] = ()

    @property
    def category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def label(self) -> str:
        return ", ".join(label(c) for c in self.categories)


def label(category: str) -> str:
    return LABELS.get(category, category.replace("_", " "))


def _rank(category: str) -> int:
    return ORDER.index(category) if category in ORDER else len(ORDER)


def segments(text: str, spans: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """The text cut at every span boundary; spans outside the text are clipped or dropped."""
    clean: list[tuple[int, int, str]] = []
    for span in spans:
        try:
            start, end, category = int(span["start"]), int(span["end"]), str(span["category"])
        except (KeyError, TypeError, ValueError):
            continue
        start, end = max(0, start), min(len(text), end)
        if start < end:
            clean.append((start, end, category))
    cuts = sorted({0, len(text), *(s for s, _e, _c in clean), *(e for _s, e, _c in clean)})
    out: list[Segment] = []
    for left, right in zip(cuts, cuts[1:], strict=False):
        covering = sorted({c for s, e, c in clean if s <= left and right <= e}, key=_rank)
        piece = Segment(text[left:right], tuple(covering))
        if out and out[-1].categories == piece.categories:
            out[-1] = Segment(out[-1].text + piece.text, piece.categories)
        else:
            out.append(piece)
    return out


def verdict_spans(reasons: Iterable[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    return [span for reason in reasons or () for span in reason.get("spans") or ()]


def categories_in(segs: Iterable[Segment]) -> list[str]:
    """The categories present, in display order (for the card's legend)."""
    found = {c for seg in segs for c in seg.categories}
    return sorted(found, key=_rank)
