"""Personal information check: every kind of item, positives and tricky negatives."""

import pytest

from moderation.pipeline.checks.checksums import luhn_check_digit, verhoeff_check_digit
from moderation.pipeline.checks.pii import check


def _codes(text: str) -> set[str]:
    return {r.code.split(":", 1)[1] for r in check(text).reasons}


def _matched(text: str, kind: str) -> list[str]:
    for r in check(text).reasons:
        if r.code == f"personal_information:{kind}":
            return [text[s.start : s.end] for s in r.spans]
    return []


def _aadhaar(payload11: str) -> str:
    return payload11 + str(verhoeff_check_digit(payload11))


AADHAAR = _aadhaar("23456789012")  # 234567890124


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on 9876543210 tonight", "9876543210"),
        ("mob: 98765 43210", "98765 43210"),
        ("ring 098765-43210", "098765-43210"),
        ("+91-98765-43210 is my number", "+91-98765-43210"),
        ("whatsapp +91 98765 43210.", "+91 98765 43210"),
        ("number is 987 654 3210", "987 654 3210"),
        ("office 011-2345 6789", "011-2345 6789"),
        ("London office +44 20 7946 0958", "+44 20 7946 0958"),
        ("US: +1 (415) 555-2671", "+1 (415) 555-2671"),
    ],
)
def test_phone_numbers_are_found_with_exact_spans(text: str, expected: str) -> None:
    assert _matched(text, "phone_number") == [expected]
    assert check(text).scores["personal_information"] == 1.0


@pytest.mark.parametrize(
    "text",
    [
        "In 2024 the price rose to ₹1,20,000 from ₹95,000.",
        "Over 1,00,00,000 people voted; turnout was 67.4%.",
        "The hearing is on 12-05-2024 at 10:30, then 15/06/2025.",
        "BJP won 240 seats, the tally stood at 312-198 after 1234567 votes.",
        "India 287/6 in 50 overs, Kohli 103 off 98 balls.",
        "The scheme cost Rs 9876543210 over ten years.",
        "population 1234567890 and growing",
        "+5 -3 = 2",
        "ISBN 978-3-16-148410-0",
        "Call 100 or 112 in an emergency.",
    ],
)
def test_numbers_that_are_not_phone_numbers_are_ignored(text: str) -> None:
    assert "phone_number" not in _codes(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail a.b+c@example.co.in.", "a.b+c@example.co.in"),
        ("Write to EDITOR@News-Site.com today", "EDITOR@News-Site.com"),
    ],
)
def test_emails_are_found(text: str, expected: str) -> None:
    assert _matched(text, "email") == [expected]


@pytest.mark.parametrize("text", ["@handle on twitter", "a@b", "user@localhost", "x @ y.com"])
def test_non_emails_are_ignored(text: str) -> None:
    assert "email" not in _codes(text)


@pytest.mark.parametrize(
    "shown",
    [AADHAAR, f"{AADHAAR[:4]} {AADHAAR[4:8]} {AADHAAR[8:]}", f"{AADHAAR[:4]}-{AADHAAR[4:8]}-{AADHAAR[8:]}"],
)
def test_aadhaar_with_valid_verhoeff_is_found(shown: str) -> None:
    assert _matched(f"my aadhaar is {shown} ok", "aadhaar") == [shown]


@pytest.mark.parametrize(
    "text",
    [
        "aadhaar 234567890123",  # wrong check digit
        "id " + _aadhaar("13456789012"),  # starts with 1
        "2345 67890124",  # inconsistent grouping
        "9 " + AADHAAR,  # part of a longer grouped number
        AADHAAR + "5",  # 13 digits
    ],
)
def test_invalid_or_embedded_aadhaar_is_ignored(text: str) -> None:
    assert "aadhaar" not in _codes(text)


def test_pan_is_found_as_a_whole_word() -> None:
    assert _matched("PAN: ABCPE1234F.", "pan") == ["ABCPE1234F"]


@pytest.mark.parametrize("text", ["ABCXE1234F", "XABCPE1234F", "ABCPE1234F9", "AbcPE1234F"])
def test_pan_like_strings_with_wrong_shape_are_ignored(text: str) -> None:
    assert "pan" not in _codes(text)


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "4111-1111-1111-1111", "378282246310005", "5555555555554444"],
)
def test_luhn_valid_cards_are_found(card: str) -> None:
    assert _matched(f"card {card} exp 12/27", "payment_card") == [card]


@pytest.mark.parametrize(
    "text",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1234567812345670",  # Luhn ok, no plausible issuer
        "0000 0000 0000 0000",
        "9" + "1234567890123" + str(luhn_check_digit("91234567890123")),
    ],
)
def test_invalid_cards_are_ignored(text: str) -> None:
    assert "payment_card" not in _codes(text)


def test_a_card_is_not_also_reported_as_a_phone_or_aadhaar() -> None:
    assert _codes("4111 1111 1111 1111") == {"payment_card"}


@pytest.mark.parametrize(
    "text",
    [
        "Flat 4B, Shanti Apartments, 12th Main Road, HSR Layout, Bengaluru 560102",
        "Sector 15, Noida - 201301",
        "House no 12, Gandhi Nagar, pin: 380 009",
        "He lives at 221B Baker Street, go and ask him",
    ],
)
def test_street_addresses_are_soft(text: str) -> None:
    result = check(text)
    assert [r.code for r in result.reasons] == ["personal_information:street_address"]
    assert not result.reasons[0].hard
    assert result.scores["personal_information"] == 0.6


@pytest.mark.parametrize(
    "text",
    [
        "Road accidents killed 150000 people last year.",
        "Ward 12 has 1,50,000 voters.",
        "Bengaluru 560001 is the central pincode.",
        "I walked 5 km down the road.",
    ],
)
def test_non_addresses_are_ignored(text: str) -> None:
    assert "street_address" not in _codes(text)


def test_clean_text_scores_zero() -> None:
    assert check("Good article, thank you.").scores == {"personal_information": 0.0}
    assert check("").reasons == ()


def test_hard_items_are_hard() -> None:
    result = check(f"mail x@y.com or 9876543210, PAN ABCPE1234F, aadhaar {AADHAAR}")
    assert {r.code.split(":")[1] for r in result.reasons} == {"email", "phone_number", "pan", "aadhaar"}
    assert all(r.hard for r in result.reasons)
    assert all(s.category == "personal_information" for r in result.reasons for s in r.spans)
