"""The coverage rule: never approve on the classifier's word what it can't read.

A comment whose language (or a real share of it) is outside the languages the
classifier was validated on gets the soft reason ``language:unsupported``, naming
the language, so it goes to ``needs_review`` instead of being approved by a model
that has never seen that language. A site may choose otherwise, explicitly, in its
policy.
"""

from __future__ import annotations

from collections.abc import Collection

from moderation.pipeline.language import LANGUAGE_NAMES, LanguageGuess
from moderation.pipeline.types import Reason

CODE = "language:unsupported"


def unsupported(guess: LanguageGuess, covered: Collection[str]) -> list[str]:
    """The comment's languages that the classifier does not cover (``und`` never counts)."""
    return [lang for lang in guess.all_languages() if lang not in covered and lang != "und"]


def coverage_reason(guess: LanguageGuess, covered: Collection[str]) -> Reason | None:
    missing = unsupported(guess, covered)
    if not missing:
        return None
    names = " and ".join(LANGUAGE_NAMES.get(lang, lang) for lang in missing)
    known = ", ".join(LANGUAGE_NAMES.get(lang, lang) for lang in sorted(covered)) or "none"
    return Reason(CODE, f"Written in {names}, which the classifier was not validated on "
                        f"(it covers: {known}); a person must read it.")
