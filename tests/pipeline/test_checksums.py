"""Verhoeff (Aadhaar) and Luhn (payment cards) check digits."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.pipeline.checks.checksums import (
    luhn_check_digit,
    luhn_is_valid,
    verhoeff_check_digit,
    verhoeff_is_valid,
)


@pytest.mark.parametrize("number", ["2363", "0", "15", "123451"])
def test_verhoeff_accepts_known_valid_numbers(number: str) -> None:
    assert verhoeff_is_valid(number)


@pytest.mark.parametrize("number", ["2364", "1", "123456", "123452", "", "23a3"])
def test_verhoeff_rejects_known_invalid_numbers(number: str) -> None:
    assert not verhoeff_is_valid(number)


def test_verhoeff_check_digit_of_wikipedia_example() -> None:
    assert verhoeff_check_digit("236") == 3
    assert verhoeff_check_digit("12345") == 1


@pytest.mark.parametrize(
    "number",
    ["79927398713", "4111111111111111", "5555555555554444", "378282246310005", "6011111111111117"],
)
def test_luhn_accepts_known_valid_numbers(number: str) -> None:
    assert luhn_is_valid(number)


@pytest.mark.parametrize(
    "number", ["79927398710", "4111111111111112", "1234567812345678", "", "7", "4111-1111"]
)
def test_luhn_rejects_known_invalid_numbers(number: str) -> None:
    assert not luhn_is_valid(number)


def test_check_digit_functions_reject_non_digits() -> None:
    with pytest.raises(ValueError):
        verhoeff_check_digit("12a")
    with pytest.raises(ValueError):
        luhn_check_digit("١٢٣")  # Arabic-Indic digits are not ASCII digits


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20), st.data())
def test_verhoeff_catches_every_single_digit_error_and_adjacent_swap(
    payload: str, data: st.DataObject
) -> None:
    number = payload + str(verhoeff_check_digit(payload))
    assert verhoeff_is_valid(number)
    i = data.draw(st.integers(0, len(number) - 1))
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != number[i]]))
    assert not verhoeff_is_valid(number[:i] + wrong + number[i + 1 :])
    if i + 1 < len(number) and number[i] != number[i + 1]:
        swapped = number[:i] + number[i + 1] + number[i] + number[i + 2 :]
        assert not verhoeff_is_valid(swapped)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_check_digit_makes_a_valid_number(payload: str) -> None:
    assert luhn_is_valid(payload + str(luhn_check_digit(payload)))
