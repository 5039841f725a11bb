"""Personal information in a comment: phone numbers, e-mail, Aadhaar, PAN, cards, addresses.

Category ``personal_information``. Score 1.0 when any *hard* item is found
(phone, e-mail, Aadhaar, PAN, payment card), 0.6 when only a street address
(soft) is found, 0.0 otherwise.

Precision comes first: every numeric identifier is confirmed by its structure
(Verhoeff for Aadhaar, Luhn plus issuer prefix for cards, leading digit 6-9 for
Indian mobiles, 8-15 digits after a ``+`` for international numbers). Number
patterns only start at the beginning of a digit run and refuse to match a
fragment of a longer grouped number, which keeps years, prices (₹1,20,000),
dates, times, tallies and cricket scores out and keeps the regexes linear.
When two items overlap, the earlier type in ``_HARD_ORDER`` keeps the span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from moderation.pipeline.checks.checksums import luhn_is_valid, verhoeff_is_valid
from moderation.pipeline.types import CheckResult, Reason, Span

CATEGORY = "personal_information"
HARD_SCORE = 1.0
SOFT_SCORE = 0.6

_MESSAGES = {
    "phone_number": "Comment contains a phone number",
    "email": "Comment contains an e-mail address",
    "aadhaar": "Comment contains an Aadhaar number",
    "pan": "Comment contains a PAN (income-tax) number",
    "payment_card": "Comment contains a payment card number",
    "street_address": "Comment contains what looks like a street address",
}

# Not preceded by a digit, a "+", or "digit + separator" (i.e. not inside a longer
# grouped number), nor by a currency sign; not followed by more grouped digits.
_NUM_START = r"(?<![\w+₹$€£])(?<!\d[ \-.,/:])(?<!\bRs\.)(?<!\bRs )(?<!\bINR )"
_NUM_END = r"(?![\w])(?![ \-.,/:]?\d)"

_INDIAN_PHONE = re.compile(
    _NUM_START
    + r"(?:(?:\+91|0091)[ \-]?(?:\(0\)[ \-]?)?|0)?"
    + r"(?:"
    + r"[6-9]\d{9}"  # 9876543210
    + r"|[6-9]\d{4}[ \-]\d{5}"  # 98765 43210
    + r"|[6-9]\d{2}[ \-]\d{3}[ \-]\d{4}"  # 987 654 3210
    + r"|[6-9]\d{3}[ \-]\d{3}[ \-]\d{3}"  # 9876 543 210
    + r")"
    + _NUM_END
)
# Landlines need an explicit 0 / +91 trunk prefix and a separator after the STD code.
_INDIAN_LANDLINE = re.compile(
    _NUM_START + r"(?:(?:\+91|0091)[ \-]?|0)[1-9]\d{1,3}[ \-]\d{3,4}[ \-]?\d{3,4}" + _NUM_END
)
_INTL_PHONE = re.compile(r"(?<![\w+])\+(?!91)[1-9]\d{0,2}(?:[ .\-]?\(?\d{1,4}\)?){2,5}" + _NUM_END)
_EMAIL = re.compile(
    r"(?<![\w.%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w\-])"
)
_AADHAAR = re.compile(_NUM_START + r"[2-9]\d{3}([ \-]?)\d{4}\1\d{4}" + _NUM_END)
_PAN = re.compile(r"(?<![^\W_])[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z](?![^\W_])")
_CARD = re.compile(_NUM_START + r"\d(?:[ \-]?\d){12,18}" + _NUM_END)

# Issuer identification prefixes and lengths we accept (Visa, Mastercard, Amex,
# Discover, RuPay, JCB, Diners, Maestro, UnionPay).
_CARD_PREFIXES: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("4", (13, 16, 19)),
    ("5", (16,)),  # 51-55 Mastercard, 50/56-58 Maestro, 508 RuPay
    ("2", (16,)),  # 2221-2720 Mastercard
    ("34", (15,)),
    ("37", (15,)),
    ("35", (16, 17, 18, 19)),
    ("36", (14, 16, 19)),
    ("30", (14, 16, 19)),
    ("38", (14, 16)),
    ("39", (14, 16)),
    ("6", (16, 17, 18, 19)),  # Discover, RuPay 60/65, UnionPay 62, Maestro 6x
    ("81", (16,)),  # RuPay
    ("82", (16,)),
)

_STREET_WORDS = (
    r"road|rd|street|st|marg|path|lane|gali|colony|sector|layout|cross|main|block|"
    r"flat|house\s+no|h\.?\s?no|plot|apartments?|apts?|society|chowk|enclave|"
    r"extension|phase|stage|towers?|residency|mohalla|ward|village|taluk|tehsil|"
    r"post|p\.o|dist|district|\w*nagar|\w*puram|\w*pet|\w*abad"
)
_STREET_WORD = re.compile(rf"(?<![^\W_])(?:{_STREET_WORDS})(?![^\W_])", re.IGNORECASE)
# A pincode introduced the way addresses write it: after a comma/dash/colon, after
# "pin"/"pincode", or after a capitalised place name ("Bengaluru 560001").
_PINCODE = re.compile(
    r"(?:(?:[,:\-–]|\bpin(?:\s?code)?\b[:.\-]?|(?-i:\b[A-Z][a-z]+))\s{0,3})"
    r"(?<!\d)([1-9]\d{2}\s?\d{3})(?![\w])(?![ \-.,/:]?\d)"
    r"(?!\s*(?:people|persons|votes|voters|rupees|rs\b|inr|crores?|lakhs?|cases|deaths|km))",
    re.IGNORECASE,
)
_PINCODE_STREET_WINDOW = 80
_PINCODE_STREET_AFTER = 40
_WESTERN_ADDRESS = re.compile(
    r"(?<![\w/])\d{1,5}[A-Za-z]?,?[ ]+(?:[A-Z][a-z]+[ ]){1,3}"
    r"(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|"
    r"Court|Ct\.?|Place|Terrace|Crescent|Close|Square)(?![\w])"
)


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isascii() and ch.isdigit())


def _phones(text: str) -> Iterator[tuple[int, int]]:
    for m in _INDIAN_PHONE.finditer(text):
        yield m.span()
    for m in _INDIAN_LANDLINE.finditer(text):
        digits = _digits(m.group())
        national = digits[2:] if m.group().startswith("+") else digits[1:]
        if digits.startswith("0091"):
            national = digits[4:]
        if len(national) == 10:
            yield m.span()
    for m in _INTL_PHONE.finditer(text):
        if 8 <= len(_digits(m.group())) <= 15:
            yield m.span()


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for m in _EMAIL.finditer(text):
        yield m.span()


def _aadhaars(text: str) -> Iterator[tuple[int, int]]:
    for m in _AADHAAR.finditer(text):
        if verhoeff_is_valid(_digits(m.group())):
            yield m.span()


def _pans(text: str) -> Iterator[tuple[int, int]]:
    for m in _PAN.finditer(text):
        yield m.span()


def _card_prefix_ok(digits: str) -> bool:
    if len(set(digits)) == 1:
        return False
    return any(digits.startswith(p) and len(digits) in lengths for p, lengths in _CARD_PREFIXES)


def _cards(text: str) -> Iterator[tuple[int, int]]:
    for m in _CARD.finditer(text):
        digits = _digits(m.group())
        if _card_prefix_ok(digits) and luhn_is_valid(digits):
            yield m.span()


def _addresses(text: str) -> Iterator[tuple[int, int]]:
    for m in _PINCODE.finditer(text):
        start, end = m.span(1)
        window_start = max(0, start - _PINCODE_STREET_WINDOW)
        before = _STREET_WORD.search(text, window_start, start)
        if before:
            yield before.start(), end
            continue
        after = _STREET_WORD.search(text, end, end + _PINCODE_STREET_AFTER)
        if after:
            yield m.start(1), after.end()
    for m in _WESTERN_ADDRESS.finditer(text):
        yield m.span()


# Order decides who keeps a span when matches overlap (a card is not also a phone).
_HARD_ORDER: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("email", _emails),
    ("payment_card", _cards),
    ("aadhaar", _aadhaars),
    ("pan", _pans),
    ("phone_number", _phones),
)


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def check(text: str) -> CheckResult:
    """Find personal information in ``text``; see the module docstring for scoring."""
    reasons: list[Reason] = []
    taken: list[tuple[int, int]] = []
    for kind, finder in _HARD_ORDER:
        spans: list[tuple[int, int]] = []
        for span in finder(text):
            if not _overlaps(span, taken) and span not in spans:
                spans.append(span)
        if spans:
            spans.sort()
            taken.extend(spans)
            reasons.append(_reason(kind, spans, hard=True))
    addresses: list[tuple[int, int]] = []
    for span in _addresses(text):
        if not _overlaps(span, addresses):
            addresses.append(span)
    if addresses:
        reasons.append(_reason("street_address", sorted(addresses), hard=False))
    if any(r.hard for r in reasons):
        score = HARD_SCORE
    elif reasons:
        score = SOFT_SCORE
    else:
        score = 0.0
    return CheckResult(reasons=tuple(reasons), scores={CATEGORY: score})


def _reason(kind: str, spans: list[tuple[int, int]], *, hard: bool) -> Reason:
    return Reason(
        code=f"{CATEGORY}:{kind}",
        message=_MESSAGES[kind],
        spans=tuple(Span(s, e, CATEGORY) for s, e in spans),
        hard=hard,
    )
