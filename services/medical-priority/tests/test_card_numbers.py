"""Card numbers: checkable, and not guessable from one another."""

from __future__ import annotations

import pytest

from tefu_medical_priority.cards.numbers import check_character, new_card_number, new_card_numbers, normalise, problem_with


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


def test_numbers_drawn_together_are_as_checkable_and_as_random_as_one_by_one():
    regions = ["420102", "370306", "310114", "11010519"] * 2500  # a longer code keeps its first six digits
    numbers = new_card_numbers(regions)
    assert len(numbers) == len(regions) and len(set(numbers)) == len(regions)
    for number, region in zip(numbers, regions):
        assert len(number) == 17 and number.startswith(region[:6])
        assert problem_with(number) is None and check_character(number[:-1]) == number[-1]
    # Each of the ten random digits is spread evenly (10,000 draws: a digit's share within 1.5 points of 10%).
    for position in range(6, 16):
        shares = [sum(n[position] == d for n in numbers) / len(numbers) for d in "0123456789"]
        assert max(abs(share - 0.1) for share in shares) < 0.015, (position, shares)
    assert new_card_numbers([]) == []
