"""Card numbers: the holder's county, ten random digits and an ISO 7064 MOD 11-2 check character.

    370306 4821930571 X      (17 characters, printed in groups of 6, 5, 6 on the card)

The random part comes from the operating system's CSPRNG, so numbers are not guessable in
sequence: knowing one card's number says nothing about another's. The check character (the same
scheme as the resident ID number) catches every single mistyped digit and every swap of two
neighbouring digits, so a desk clerk's typo is answered "not a card number" instead of looking
up someone else.
"""

from __future__ import annotations

import re
import secrets

import numpy as np

from tefu_common.errors import Invalid

LENGTH = 17
_FORMAT = re.compile(r"^\d{16}[0-9X]$")


def check_character(digits: str) -> str:
    """ISO 7064 MOD 11-2 over any number of digits (the resident ID number's scheme, for 17)."""
    return "0123456789X"[(12 - _running_total(digits)) % 11]


def new_card_number(region_code: str) -> str:
    body = region_code[:6] + f"{secrets.randbelow(10**10):010d}"
    return body + check_character(body)


_RANDOM_DIGITS = 10
# 64-bit draws at or above this are drawn again, so that every ten-digit part is equally likely.
_UNBIASED = (2**64 // 10**_RANDOM_DIGITS) * 10**_RANDOM_DIGITS
# In MOD 11-2 the check depends on the digits linearly: after the prefix's running total t, ten more
# digits d0..d9 leave (t * 2^10 + d0 * 2^10 + d1 * 2^9 + ... + d9 * 2^1) mod 11.
_POWERS = np.array([pow(2, _RANDOM_DIGITS - j, 11) for j in range(_RANDOM_DIGITS)], dtype=np.int64)
_PLACES = np.array([10 ** (_RANDOM_DIGITS - 1 - j) for j in range(_RANDOM_DIGITS)], dtype=np.uint64)


def _running_total(digits: str) -> int:
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2 % 11
    return total


def new_card_numbers(region_codes: list[str]) -> list[str]:
    """:func:`new_card_number` for many holders at once (a bulk pass issues a million cards): the
    random parts from one read of the CSPRNG, the check characters computed for all together."""
    count = len(region_codes)
    if count == 0:
        return []
    draws = np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64)
    while (biased := draws >= _UNBIASED).any():
        draws = draws.copy()
        draws[biased] = np.frombuffer(secrets.token_bytes(8 * int(biased.sum())), dtype=np.uint64)
    parts = draws % np.uint64(10**_RANDOM_DIGITS)
    digits = ((parts[:, None] // _PLACES) % np.uint64(10)).astype(np.int64)
    prefixes = [code[:6] for code in region_codes]
    start = {prefix: _running_total(prefix) for prefix in set(prefixes)}
    totals = (np.array([start[p] for p in prefixes], dtype=np.int64) * pow(2, _RANDOM_DIGITS, 11) + digits @ _POWERS) % 11
    checks = (12 - totals) % 11
    return [f"{prefix}{part:010d}{'0123456789X'[check]}"
            for prefix, part, check in zip(prefixes, parts.tolist(), checks.tolist())]


def normalise(text: str) -> str:
    """A card number as typed or scanned: spaces and dashes dropped, x upper-cased."""
    return re.sub(r"[\s-]", "", text).upper()


def problem_with(card_no: str) -> Invalid | None:
    """Why ``card_no`` cannot be a card number, or None if it can."""
    if not _FORMAT.match(card_no):
        return Invalid("card-number-format", f"卡号应为 {LENGTH} 位：16 位数字加 1 位校验码（0-9 或 X）",
                       f"a card number is {LENGTH} characters: 16 digits and a check character (0-9 or X)")
    if check_character(card_no[:-1]) != card_no[-1]:
        return Invalid("card-number-check-character", "卡号校验码不符，可能输错了，请核对后重输",
                       "the check character does not match: the number is mistyped")
    return None


def parse_card_no(text: str, *, field: str = "card_no", location: str = "path") -> str:
    """The card number, normalised; 422 naming the field if it cannot be one."""
    card_no = normalise(text)
    problem = problem_with(card_no)
    if problem is not None:
        raise problem.at(field, location=location)
    return card_no
