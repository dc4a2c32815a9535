"""Blind indexes of a member's name and ID number: exact search over encrypted columns."""

from __future__ import annotations

from tefu_common.field_crypto import get_blind_index

ID_CONTEXT = "member.id_number"
NAME_CONTEXT = "member.name"


def id_number_index(value: str) -> str:
    return get_blind_index().compute(value, context=ID_CONTEXT)


def name_index(value: str) -> str:
    return get_blind_index().compute(value, context=NAME_CONTEXT)
