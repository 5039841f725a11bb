"""Personal information in a comment: phone numbers, e-mail, UPI ids, Aadhaar, PAN, cards, addresses.

Category ``personal_information``. Score 1.0 when any *hard* item is found
(phone, e-mail, UPI id, Aadhaar, PAN, payment card), 0.6 when only a street
address (soft) is found, 0.0 otherwise.

Numbers written in Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Tamil, Telugu,
Kannada, Malayalam or Arabic-Indic digits are read as the ASCII digits they are
(one code point each, so spans are unchanged). An e-mail spelled out to dodge
filters ("asha at gmail dot com", "asha [at] example [dot] in") counts as one when
the "at" is bracketed or the domain is a well-known mail provider; a UPI id
(``name@okicici``) when its handle is a known payment provider's. A PAN is
upper- or lower-case, never mixed.

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
    "upi_id": "Comment contains a UPI payment address",
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
_PAN = re.compile(r"(?<![^\W_])(?:[A-Z]{3}[PCHFATBLJG][A-Z]\d{4}[A-Z]|[a-z]{3}[pchfatbljg][a-z]\d{4}[a-z])"
                  r"(?![^\W_])")
_CARD = re.compile(_NUM_START + r"\d(?:[ \-]?\d){12,18}" + _NUM_END)

#: The zero of each non-ASCII decimal digit block Indian comments use; each block runs 0-9.
_DIGIT_ZEROS = (0x0660, 0x06F0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
                0x0D66, 0xFF10)
_TO_ASCII_DIGITS = {zero + n: ord("0") + n for zero in _DIGIT_ZEROS for n in range(10)}

# Spelled-out e-mail: local part, an "at" that is a word, bracketed or a spaced "@", a
# domain, then "dot" (or ".") separators before a common top-level domain.
_OPEN, _CLOSE = r"[\[\(\{<]", r"[\]\)\}>]"
_AT_BRACKETED = rf"\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*"
_AT_WORD = r"\s+at\s+|\s+@\s+"
_DOT = rf"(?:\s*{_OPEN}\s*dot\s*{_CLOSE}\s*|\s+dot\s+|\s?\.\s?)"
_TLDS = r"com|in|net|org|co|edu|gov|info|io|me|biz|us|uk|ac|res"
_WORD = r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}"
_LOCAL = rf"(?<![\w.%+\-@])(?P<local>{_WORD}(?:\s+dot\s+{_WORD}){{0,2}})"
_LABELS = rf"(?:[A-Za-z0-9][A-Za-z0-9\-]{{0,62}}{_DOT}){{0,3}}"
_SPELLED_EMAIL = re.compile(
    rf"{_LOCAL}(?P<at>{_AT_BRACKETED}|{_AT_WORD})(?P<domain>[A-Za-z0-9][A-Za-z0-9\-]{{0,62}})"
    rf"{_DOT}{_LABELS}(?:{_TLDS})(?![\w\-])",
    re.IGNORECASE,
)
#: Mail providers whose name after a plain "at" makes "x at gmail dot com" an address,
#: where "look at google dot com" is not.
_MAIL_PROVIDERS = frozenset(
    "gmail googlemail yahoo ymail rocketmail hotmail outlook msn rediffmail rediff icloud "
    "protonmail proton aol zoho gmx yandex tutanota fastmail".split()
)

#: Words before a plain "at" that aren't an address's local part ("email me at gmail dot com").
_NOT_LOCAL = frozenset(
    "me us him her them it this that look looking looked is was be are were arrive arrived reach "
    "here there or and available online find found".split()
)

# UPI virtual payment addresses: a handle after "@" with no dot, from a known provider
# (a dot would make it an e-mail domain; an unknown handle may be a mention).
_UPI_HANDLES = (
    "okicici|oksbi|okhdfcbank|okaxis|okbizaxis|ybl|ibl|axl|apl|yapl|paytm|pthdfc|ptsbi|ptaxis|ptyes|"
    "upi|icici|sbi|hdfcbank|axisbank|axisb|kotak|kmbl|yesbank|pnb|barodampay|unionbank|uboi|boi|cnrb|"
    "idbi|fbl|rbl|aubank|idfcbank|idfcfirst|hsbc|citigold|airtelpaymentsbank|jiopay|freecharge|"
    "ikwik|waaxis|wahdfcbank|waicici|wasbi|abfspay|jupiteraxis|naviaxis|goaxb|timecosmos|"
    "postbank|dbs|mahb|kbl|kvb|tjsb|equitas|ujjivan|dlb|jkb|karb|sib|cub|iob|centralbank|psb"
)
_UPI = re.compile(
    rf"(?<![\w.\-@])[A-Za-z0-9][A-Za-z0-9.\-_]{{1,255}}@(?:{_UPI_HANDLES})(?![\w\-@])(?!\.[A-Za-z0-9])",
    re.IGNORECASE,
)

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


def _ascii_digits(text: str) -> str:
    """``text`` with Indic (and other listed) digits as ASCII; same length, same offsets."""
    return text.translate(_TO_ASCII_DIGITS) if not text.isascii() else text


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
    for m in _SPELLED_EMAIL.finditer(text):
        if re.fullmatch(_AT_BRACKETED, m.group("at")):
            yield m.span()
        elif m.group("domain").lower() in _MAIL_PROVIDERS and m.group("local").lower() not in _NOT_LOCAL:
            yield m.span()


def _upi_ids(text: str) -> Iterator[tuple[int, int]]:
    for m in _UPI.finditer(text):
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


# Order decides who keeps a span when matches overlap (a card is not also a phone, a
# UPI id on a phone number is a UPI id).
_HARD_ORDER: tuple[tuple[str, Callable[[str], Iterator[tuple[int, int]]]], ...] = (
    ("email", _emails),
    ("upi_id", _upi_ids),
    ("payment_card", _cards),
    ("aadhaar", _aadhaars),
    ("pan", _pans),
    ("phone_number", _phones),
)


#: The kinds matched on the text with every digit as ASCII.
_NUMERIC = frozenset({"payment_card", "aadhaar", "phone_number"})


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < e and s < span[1] for s, e in taken)


def check(text: str) -> CheckResult:
    """Find personal information in ``text``; see the module docstring for scoring."""
    reasons: list[Reason] = []
    taken: list[tuple[int, int]] = []
    digits = _ascii_digits(text)
    for kind, finder in _HARD_ORDER:
        spans: list[tuple[int, int]] = []
        for span in finder(digits if kind in _NUMERIC else text):
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
