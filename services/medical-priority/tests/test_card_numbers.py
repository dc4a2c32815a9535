"""Card numbers: checkable, and not guessable from one another."""

from __future__ import annotations

import pytest

from tefu_medical_priority.cards.numbers import check_character, new_card_number, normalise, problem_with


def test_a_new_number_carries_the_region_and_a_check_character():
    number = new_card_number("420102")
    assert len(number) == 17 and number.startswith("420102")
    assert problem_with(number) is None
    assert check_character(number[:-1]) == number[-1]


def test_every_single_mistyped_digit_and_every_swap_of_neighbours_is_caught():
    number = new_card_number("370306")
    for position in range(16):
        for digit in "0123456789":
            if digit != number[position]:
                typo = number[:position] + digit + number[position + 1:]
                assert problem_with(typo) is not None, typo
    for position in range(15):
        if number[position] != number[position + 1]:
            swapped = number[:position] + number[position + 1] + number[position] + number[position + 2:]
            assert problem_with(swapped) is not None, swapped


def test_numbers_are_not_in_sequence():
    numbers = [int(new_card_number("310114")[6:16]) for _ in range(200)]
    assert len(set(numbers)) == 200
    gaps = {b - a for a, b in zip(numbers, numbers[1:])}
    assert len(gaps) > 190  # no common step between consecutive numbers


@pytest.mark.parametrize(("typed", "expected"), [(" 4201 02-1234 5678 90x ", "4201021234567890X")])
def test_numbers_are_read_as_typed(typed, expected):
    assert normalise(typed) == expected


def test_the_check_character_is_the_resident_id_scheme():
    from tefu_common.resident_id import check_character as id_check

    for first17 in ("11010519491231002", "44030819800101123", "37030619650302102"):
        assert check_character(first17) == id_check(first17)
