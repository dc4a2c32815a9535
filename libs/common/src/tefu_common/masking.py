"""Display masking for personal information (脱敏).

PIPL and the sector's data rules require that screens, exports and logs show
only as much of a person's identifiers as the reader needs to recognise a
record. Every service masks with these functions so that one person's data looks
the same everywhere and a partial value cannot be rebuilt by combining the parts
two screens show.

Masked values keep their length (one ``*`` per hidden character), so a clerk can
still tell an 18-character ID number from a 15-character one. Masking is for
display only: it is not a substitute for access control or field encryption.
"""

from __future__ import annotations

__all__ = ["mask", "mask_account", "mask_id_number", "mask_name", "mask_phone"]

MASK_CHAR = "*"


def mask(value: str, *, keep_start: int = 0, keep_end: int = 0) -> str:
    """Replace all but the first ``keep_start`` and last ``keep_end`` characters.

    When the value is too short to hide anything while keeping both ends, it is
    masked completely: showing every character would defeat the purpose.
    """
    if keep_start < 0 or keep_end < 0:
        raise ValueError("keep_start and keep_end must not be negative")
    n = len(value)
    if n <= keep_start + keep_end:
        return MASK_CHAR * n
    return value[:keep_start] + MASK_CHAR * (n - keep_start - keep_end) + value[n - keep_end :]


def mask_name(name: str) -> str:
    """Keep the first and last character of a name, star the rest.

    ``张三丰`` → ``张*丰``, ``欧阳娜娜`` → ``欧**娜``. A 2-character name keeps only its
    surname (``张三`` → ``张*``), since keeping both ends would show it whole; a
    1-character name is shown as ``*``. Latin-script and transliterated names are
    treated as one string the same way (``John Smith`` → ``J********h``), so the
    word lengths do not show either.
    """
    name = name.strip()
    if len(name) <= 1:
        return MASK_CHAR * len(name)
    if len(name) == 2:
        return name[0] + MASK_CHAR
    return mask(name, keep_start=1, keep_end=1)


def mask_id_number(id_number: str) -> str:
    """Show only the last 4 characters: ``11010519491231002X`` → ``**************002X``.

    The last 4 (end of the sequence code plus the check character) are what
    people read out on the phone to confirm a record; the region and birth date
    stay hidden.
    """
    return mask(id_number.strip(), keep_end=4)


def mask_phone(phone: str) -> str:
    """Mobile numbers keep the carrier prefix and last 4: ``13812345678`` → ``138****5678``.

    Shorter numbers (landlines without area code, extensions) keep only the last 4.
    """
    phone = phone.strip()
    if len(phone) >= 11:
        return mask(phone, keep_start=3, keep_end=4)
    return mask(phone, keep_end=4)


def mask_account(account: str) -> str:
    """Bank card and account numbers show only their last 4 digits."""
    return mask(account.strip(), keep_end=4)
