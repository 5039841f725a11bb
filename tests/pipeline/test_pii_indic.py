"""Personal information the detector used to miss: numbers in Indic digits, UPI ids,
spelled-out e-mail addresses and lower-case PANs, each without new false positives."""

from __future__ import annotations

import pytest

from moderation.pipeline.checks.pii import check
from tests.pipeline.test_pii_check import AADHAAR


def _matched(text: str, kind: str) -> list[str]:
    for reason in check(text).reasons:
        if reason.code == f"personal_information:{kind}":
            return [text[s.start : s.end] for s in reason.spans]
    return []


def _kinds(text: str) -> set[str]:
    return {r.code.split(":", 1)[1] for r in check(text).reasons}


def _indic(number: str, zero: int) -> str:
    return "".join(chr(zero + int(ch)) if ch.isdigit() else ch for ch in number)


# -- Indic digits -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("script", "zero"),
    [("devanagari", 0x0966), ("bengali", 0x09E6), ("gurmukhi", 0x0A66), ("gujarati", 0x0AE6),
     ("odia", 0x0B66), ("tamil", 0x0BE6), ("telugu", 0x0C66), ("kannada", 0x0CE6),
     ("malayalam", 0x0D66), ("arabic-indic", 0x0660), ("extended arabic-indic (urdu)", 0x06F0)],
)
@pytest.mark.parametrize("number", ["9876543210", "98765 43210", "+91-98765-43210"])
def test_phone_numbers_in_indic_digits_are_found(script: str, zero: int, number: str) -> None:
    shown = _indic(number, zero)
    text = f"मेरा नंबर {shown} है"
    assert _matched(text, "phone_number") == [shown], script
    assert check(text).scores["personal_information"] == 1.0


def test_aadhaar_in_devanagari_digits_is_found_with_its_checksum() -> None:
    shown = _indic(f"{AADHAAR[:4]} {AADHAAR[4:8]} {AADHAAR[8:]}", 0x0966)
    assert _matched(f"आधार {shown}", "aadhaar") == [shown]
    wrong = _indic("234567890123", 0x0966)  # fails Verhoeff
    assert "aadhaar" not in _kinds(f"आधार {wrong}")


@pytest.mark.parametrize(
    "text",
    [
        "सन २०२४ में ₹१,२०,००० खर्च हुए",  # a year and a price
        "१२ लाख लोग, ३१२-१९८ वोट",
        "भारत २८७/६, ५० ओवर",
        "दिनांक १२-०५-२०२४ को १०:३० बजे",
        "जनसंख्या १२३४५६७८९० है",  # ten digits, but no mobile leading digit
        "योजना पर Rs ९८७६५४३२१० खर्च",
    ],
)
def test_indic_numbers_that_are_not_personal_stay_clean(text: str) -> None:
    assert not _kinds(text) & {"phone_number", "aadhaar", "payment_card"}


def test_spans_in_indic_digits_point_at_the_original_text() -> None:
    text = "कॉल करें ९८७६५४३२१० या asha@example.com"
    phone = next(r for r in check(text).reasons if r.code.endswith("phone_number")).spans[0]
    assert text[phone.start : phone.end] == "९८७६५४३२१०"


# -- UPI ids ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pay me at asha.rao@okicici", "asha.rao@okicici"),
        ("UPI: 9876543210@ybl thanks", "9876543210@ybl"),
        ("send to ravi-k@paytm.", "ravi-k@paytm"),
        ("gpay RAVI@OKSBI", "RAVI@OKSBI"),
        ("bhim: shop_12@upi", "shop_12@upi"),
    ],
)
def test_upi_ids_are_found(text: str, expected: str) -> None:
    assert _matched(text, "upi_id") == [expected]
    assert "phone_number" not in _kinds(text)  # a phone-number UPI id is reported once
    assert check(text).scores["personal_information"] == 1.0


@pytest.mark.parametrize(
    "text",
    ["mail a@paytm.com", "@okicici is the handle", "thanks@airtel for nothing", "meet me@home",
     "rt @ybl_fan: hi", "see user@localhost"],
)
def test_non_upi_ids_are_ignored(text: str) -> None:
    assert "upi_id" not in _kinds(text)


# -- spelled-out e-mail ------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to asha at gmail dot com", "asha at gmail dot com"),
        ("ASHA AT GMAIL DOT COM", "ASHA AT GMAIL DOT COM"),
        ("contact ravi.k at yahoo.co.in", "ravi.k at yahoo.co.in"),
        ("ravi dot kumar at rediffmail dot com now", "ravi dot kumar at rediffmail dot com"),
        ("asha [at] example [dot] in", "asha [at] example [dot] in"),
        ("asha(at)news-site(dot)co(dot)in", "asha(at)news-site(dot)co(dot)in"),
        ("permissions {at} wikimedia {dot} org", "permissions {at} wikimedia {dot} org"),
        ("asha @ gmail dot com", "asha @ gmail dot com"),
    ],
)
def test_spelled_out_emails_are_found(text: str, expected: str) -> None:
    assert _matched(text, "email") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "look at google dot com for that",
        "email me at gmail dot com",
        "we met at delhi dot com offices",
        "aimed at me.ME",
        "x @ y.com",
        "the dot com bubble burst at yahoo",
        "I was at gmail dot com HQ",
    ],
)
def test_ordinary_sentences_with_at_and_dot_are_not_emails(text: str) -> None:
    assert "email" not in _kinds(text)


# -- PAN --------------------------------------------------------------------------------

@pytest.mark.parametrize("pan", ["abcpe1234f", "ABCPE1234F"])
def test_pan_is_found_in_either_case(pan: str) -> None:
    assert _matched(f"my pan is {pan}.", "pan") == [pan]


@pytest.mark.parametrize("text", ["Abcpe1234F", "abcxe1234f", "xabcpe1234f", "abcpe1234f9", "abcpe_1234f"])
def test_mixed_case_or_wrong_shape_pan_is_ignored(text: str) -> None:
    assert "pan" not in _kinds(text)
