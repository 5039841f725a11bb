"""Check-digit algorithms used to confirm that a run of digits is a real identifier.

* Verhoeff: the check digit of Aadhaar numbers (catches every single-digit error
  and every adjacent transposition).
* Luhn (mod 10): the check digit of payment card numbers.

Both functions take a string of ASCII digits; anything else is simply "not valid".
"""

from __future__ import annotations

_VERHOEFF_D: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 2, 3, 4, 0, 6, 7, 8, 9, 5),
    (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7),
    (4, 0, 1, 2, 3, 9, 5, 6, 7, 8),
    (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2),
    (7, 6, 5, 9, 8, 2, 1, 0, 4, 3),
    (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P: tuple[tuple[int, ...], ...] = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9),
    (1, 5, 7, 6, 2, 8, 3, 0, 9, 4),
    (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7),
    (9, 4, 5, 3, 1, 2, 6, 8, 7, 0),
    (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5),
    (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)
_VERHOEFF_INV: tuple[int, ...] = (0, 4, 3, 2, 1, 5, 6, 7, 8, 9)


def _is_ascii_digits(number: str) -> bool:
    return number.isascii() and number.isdigit()


def verhoeff_check_digit(payload: str) -> int:
    """Return the Verhoeff check digit to append to ``payload`` (ASCII digits)."""
    if not _is_ascii_digits(payload):
        raise ValueError("payload must be ASCII digits")
    c = 0
    for i, ch in enumerate(reversed(payload)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[(i + 1) % 8][int(ch)]]
    return _VERHOEFF_INV[c]


def verhoeff_is_valid(number: str) -> bool:
    """True when ``number`` (ASCII digits, check digit last) passes Verhoeff."""
    if not _is_ascii_digits(number):
        return False
    c = 0
    for i, ch in enumerate(reversed(number)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def luhn_check_digit(payload: str) -> int:
    """Return the Luhn check digit to append to ``payload`` (ASCII digits)."""
    if not _is_ascii_digits(payload):
        raise ValueError("payload must be ASCII digits")
    return (10 - _luhn_sum(payload + "0")) % 10


def luhn_is_valid(number: str) -> bool:
    """True when ``number`` (ASCII digits, at least two, check digit last) passes Luhn."""
    if not _is_ascii_digits(number) or len(number) < 2:
        return False
    return _luhn_sum(number) == 0


def _luhn_sum(number: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(number)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10
