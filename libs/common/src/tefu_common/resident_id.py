"""Chinese resident identity numbers (公民身份号码, GB 11643-1999).

The ID number is the key by which every service recognises a person, so it is
validated once, here, and stored in one canonical form: 18 characters with an
uppercase ``X``.

Layout of the 18 characters::

    RRRRRR YYYYMMDD SSS C
    region birth    seq check

- ``RRRRRR``: the GB/T 2260 code of the county that first issued the number. It
  never changes when the division is later renamed or merged, so retired codes
  (110103 崇文区, 110221 昌平县) are valid and must be accepted.
- ``YYYYMMDD``: date of birth.
- ``SSS``: sequence among people of the same region and birth date; its last
  digit is odd for men and even for women.
- ``C``: ISO 7064 MOD 11-2 check character over the first 17 digits, ``0-9`` or ``X``.

First-generation numbers (15 digits, issued before 1999: region, ``YYMMDD`` in
the 1900s, sequence, no check character) are still printed on old documents.
:meth:`ResidentId.parse` accepts them and returns the equivalent 18-character
number (``19`` inserted before the year, check character computed), which is how
the public security authorities converted them.

Birth dates must be real calendar dates, not in the future and not before
1850-01-01. The lower bound is deliberately generous: it only rejects typos, and
published examples of the standard (e.g. 440524188001010014) use 1880 dates.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import AfterValidator

from tefu_common.errors import Invalid
from tefu_common.masking import mask_id_number
from tefu_common.regions import region_table

__all__ = [
    "EARLIEST_BIRTH_DATE",
    "ResidentId",
    "ResidentIdError",
    "ResidentIdStr",
    "check_character",
    "validate_resident_id",
]

EARLIEST_BIRTH_DATE = dt.date(1850, 1, 1)

# ISO 7064 MOD 11-2: weight of position i is 2**(17 - i) mod 11 for i = 0..16.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character for each remainder 0..10 of the weighted sum mod 11.
_CHECK_CHARS = "10X98765432"
_DIGITS = frozenset("0123456789")
# Chinese input methods often produce full-width digits and X; they mean the same thing.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９Ｘｘ", "0123456789XX")


class ResidentIdError(Invalid):
    """An ID number failed validation.

    ``reason`` is stable and machine-readable (``type``, ``length``,
    ``characters``, ``check_character``, ``birth_date``, ``region``), and so is the
    error code made of it (``resident-id-check-character``); the message, in Chinese
    and English, tells a person exactly what is wrong.
    """

    def __init__(self, reason: str, zh: str, en: str) -> None:
        super().__init__("resident-id-" + reason.replace("_", "-"), zh, en)
        self.reason = reason


def check_character(first17: str) -> str:
    """The MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not set(first17) <= _DIGITS:
        raise ValueError("check character is computed over exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def _bad_character(text: str, allowed_last: frozenset[str] = _DIGITS) -> tuple[str, str] | None:
    """Describe the first character out of place (Chinese, English), or ``None`` if all are fine."""
    for i, ch in enumerate(text, start=1):
        last = i == len(text)
        if ch in _DIGITS or (last and ch in allowed_last):
            continue
        if last and allowed_last != _DIGITS:
            return f"第 {i} 位应为数字或 X，而不是“{ch}”", f"character {i} should be a digit or 'X', not {ch!r}"
        return f"第 {i} 位应为数字，而不是“{ch}”", f"character {i} should be a digit, not {ch!r}"
    return None


def _birth_date(digits: str) -> dt.date:
    try:
        return dt.date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise ResidentIdError(
            "birth_date", f"出生日期 {digits} 不是真实存在的日期", f"birth date {digits} is not a real calendar date"
        ) from None


def _check_canonical(value: str) -> None:
    """Checks that need no outside data: shape, check character, calendar date."""
    if not isinstance(value, str):
        raise ResidentIdError("type", "身份证号应为文字", f"ID number must be a string, not {type(value).__name__}")
    if len(value) != 18:
        raise ResidentIdError(
            "length",
            f"身份证号应为 18 位（第一代证为 15 位），而不是 {len(value)} 位",
            f"ID number must have 18 characters (or 15 for a first-generation card), not {len(value)}",
        )
    problem = _bad_character(value, allowed_last=frozenset("X"))
    if problem:
        raise ResidentIdError("characters", *problem)
    expected = check_character(value[:17])
    if value[17] != expected:
        raise ResidentIdError(
            "check_character", f"校验码应为“{expected}”，而不是“{value[17]}”",
            f"check character should be {expected!r}, not {value[17]!r}"
        )
    _birth_date(value[6:14])


@dataclass(frozen=True, repr=False)
class ResidentId:
    """A validated 18-character ID number. Create it with :meth:`parse`.

    Direct construction checks the canonical form (shape, check character,
    calendar date) but not the date range or the region; :meth:`parse` does all.
    """

    value: str

    def __post_init__(self) -> None:
        _check_canonical(self.value)

    @classmethod
    def parse(cls, raw: str, *, today: dt.date | None = None) -> ResidentId:
        """Validate and normalise user input.

        Surrounding whitespace is stripped, a lowercase or full-width ``x`` and
        full-width digits are accepted, and a 15-digit first-generation number is
        converted to 18 characters. ``today`` (default: the current date) is the
        latest acceptable birth date. Raises :class:`ResidentIdError`.
        """
        if not isinstance(raw, str):
            raise ResidentIdError("type", "身份证号应为文字", f"ID number must be a string, not {type(raw).__name__}")
        if today is None and cls is ResidentId:
            # The same numbers are parsed several times on their way in (schema, then the
            # register's own checks); a bulk import parses hundreds of thousands.
            return _parse_on(raw, dt.date.today())
        return cls._parse(raw, today=today)

    @classmethod
    def _parse(cls, raw: str, *, today: dt.date | None) -> ResidentId:
        text = raw.strip().translate(_FULL_WIDTH)
        if text.endswith("x"):
            text = text[:-1] + "X"
        if len(text) == 15:
            problem = _bad_character(text)
            if problem:
                raise ResidentIdError(
                    "characters", f"15 位身份证号应全为数字：{problem[0]}", f"a 15-character ID number is all digits: {problem[1]}"
                )
            first17 = text[:6] + "19" + text[6:]
            text = first17 + check_character(first17)
        # Report the birth date and region on the converted number, so the
        # messages are the same whichever form the person typed.
        resident_id = cls(text)
        born = resident_id.birth_date
        today = today or dt.date.today()
        if born > today:
            raise ResidentIdError("birth_date", f"出生日期 {born.isoformat()} 在今天之后",
                                  f"birth date {born.isoformat()} is in the future")
        if born < EARLIEST_BIRTH_DATE:
            raise ResidentIdError(
                "birth_date",
                f"出生日期 {born.isoformat()} 早于 {EARLIEST_BIRTH_DATE.isoformat()}",
                f"birth date {born.isoformat()} is before {EARLIEST_BIRTH_DATE.isoformat()}",
            )
        if not region_table().exists(resident_id.region_code):
            raise ResidentIdError(
                "region",
                f"地区码 {resident_id.region_code} 不是已知的 GB/T 2260 行政区划代码",
                f"region code {resident_id.region_code} is not a known GB/T 2260 division code",
            )
        return resident_id

    @property
    def region_code(self) -> str:
        return self.value[:6]

    @property
    def birth_date(self) -> dt.date:
        return _birth_date(self.value[6:14])

    @property
    def sequence(self) -> str:
        """The 3-digit sequence code (positions 15-17)."""
        return self.value[14:17]

    @property
    def sex(self) -> Literal["male", "female"]:
        """``"male"`` or ``"female"``, from the parity of the 17th digit."""
        return "male" if int(self.value[16]) % 2 else "female"

    @property
    def last4(self) -> str:
        return self.value[14:]

    def age_on(self, day: dt.date) -> int:
        """Age in whole years on ``day`` (a 29 February birthday counts from 1 March)."""
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        # Reprs end up in logs and tracebacks; never put the whole number there.
        return f"ResidentId({mask_id_number(self.value)!r})"


def validate_resident_id(value: str) -> str:
    """Validate an ID number and return its canonical 18-character string."""
    return ResidentId.parse(value).value


ResidentIdStr = Annotated[str, AfterValidator(validate_resident_id)]
"""Pydantic field type: ``id_number: ResidentIdStr`` validates and normalises.

Invalid values fail validation (HTTP 422) with the :class:`ResidentIdError` message.
"""


@functools.lru_cache(maxsize=65536)
def _parse_on(raw: str, today: dt.date) -> ResidentId:
    """Memoised parse (values are immutable; errors are not cached, they are raised each time)."""
    return ResidentId._parse(raw, today=today)
