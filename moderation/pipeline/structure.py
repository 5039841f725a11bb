"""Structural rules shared by the API's edge validation and the pipeline's guard.

Length is counted the way a comment form's "You have 2000 characters left" counts:
Unicode code points after NFC normalisation, so "é" typed as e + combining accent
counts once, and an emoji counts as one character.
"""

from __future__ import annotations

import unicodedata

from moderation.pipeline.types import CheckResult, Reason

#: The documented default of ``MODERATION_MAX_COMMENT_LENGTH``. The limit a comment is held
#: to is its site's resolved policy's ``max_length`` (``moderation.pipeline.policy``),
#: which the API and the worker both read; nothing here applies a limit of its own.
DEFAULT_MAX_LENGTH = 2000


def char_count(text: str) -> int:
    """Length in code points after NFC normalisation."""
    return len(unicodedata.normalize("NFC", text))


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


def check(text: str, *, title: str | None, max_length: int) -> CheckResult:
    """Repeat the edge validation so replays and imports are held to the same rules."""
    reasons: list[Reason] = []
    if is_blank(text):
        reasons.append(Reason("missing_field:comment", "The comment is empty.", hard=True))
    elif char_count(text) > max_length:
        reasons.append(
            Reason(
                "too_long",
                f"The comment has {char_count(text)} characters; the limit is {max_length}.",
                hard=True,
            )
        )
    if title is not None and is_blank(title):
        reasons.append(Reason("missing_field:title", "The title is empty.", hard=True))
    if "\x00" in text:
        reasons.append(Reason("invalid_text", "The comment contains a NUL character.", hard=True))
    return CheckResult(reasons=tuple(reasons))
