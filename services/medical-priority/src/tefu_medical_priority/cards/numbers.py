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

from tefu_common.errors import Invalid

LENGTH = 17
_FORMAT = re.compile(r"^\d{16}[0-9X]$")


def check_character(digits: str) -> str:
    """ISO 7064 MOD 11-2 over any number of digits (the resident ID number's scheme, for 17)."""
    total = 0
    for digit in digits:
        total = (total + int(digit)) * 2 % 11
    return "0123456789X"[(12 - total) % 11]


def new_card_number(region_code: str) -> str:
    body = region_code[:6] + f"{secrets.randbelow(10**10):010d}"
    return body + check_character(body)


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
