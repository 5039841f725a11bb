"""The ``Prefer`` request header (RFC 7240), as far as intake honours it: ``wait``.

``Prefer: wait=5`` asks the server to answer within 5 seconds with the final result
rather than at once with ``202``. Per RFC 7240 a preference the server doesn't
understand, or one whose value is malformed, is ignored (never a 4xx): the request is
handled as if it had not been sent. Several ``Prefer`` headers, comma-separated
lists, parameters after ``;``, quoted values and any letter case are all accepted;
when ``wait`` is given more than once only its first occurrence counts (RFC 7240, 2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

#: The longest wait intake grants (seconds); a larger ``wait`` is honoured as this.
MAX_WAIT_SECONDS = 10

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
#: ``wait``'s value is delta-seconds: digits only (no sign, no fraction, no exponent).
_DELTA_SECONDS = re.compile(r"[0-9]+")


def _split(value: str, separator: str) -> Iterator[str]:
    """``value`` split on ``separator`` outside quoted strings (``"a,b"`` stays whole)."""
    start, quoted, escaped = 0, False, False
    for i, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            yield value[start:i]
            start = i + 1
    yield value[start:]


def _unquote(word: str) -> str | None:
    """A token as is, a quoted-string without its quotes and escapes; None if neither."""
    if len(word) >= 2 and word[0] == word[-1] == '"':
        return re.sub(r"\\(.)", r"\1", word[1:-1])
    return word if _TOKEN.fullmatch(word) else None


def preferences(headers: Iterable[str]) -> dict[str, str | None]:
    """Every preference by name (lower-cased): its value ('' for none), or None when the
    value is malformed. The first occurrence of a name wins (RFC 7240, section 2), even a
    malformed one; parameters after ``;`` are dropped (``wait`` has none)."""
    found: dict[str, str | None] = {}
    for header in headers:
        for item in _split(header, ","):
            preference = next(_split(item, ";")).strip()
            name, has_value, raw = preference.partition("=")
            name = name.strip().lower()
            if not _TOKEN.fullmatch(name) or name in found:
                continue
            found[name] = _unquote(raw.strip()) if has_value else ""
    return found


def requested_wait(headers: Iterable[str]) -> int | None:
    """The seconds ``Prefer: wait=N`` asks for, at most :data:`MAX_WAIT_SECONDS`; None when
    there is no ``wait`` preference or its (first) value isn't delta-seconds."""
    value = preferences(headers).get("wait")
    if value is None or not _DELTA_SECONDS.fullmatch(value):
        return None
    digits = value.lstrip("0") or "0"
    # a huge number is just a long wait (and int() of thousands of digits would raise)
    return MAX_WAIT_SECONDS if len(digits) > 3 else min(int(digits), MAX_WAIT_SECONDS)
