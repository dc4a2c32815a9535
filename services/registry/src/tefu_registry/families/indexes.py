"""Blind indexes of a member's name and ID number: search over encrypted columns.

Exact search: one keyed HMAC of the whole name (``name_index``) and of the whole ID number
(``id_number_index``).

Partial name search: the HMAC of every single character and of every pair of adjacent characters
of the name (``name_grams``), one row each in ``member_name_gram``. A query of one character
matches on its single character; a longer query needs every adjacent pair of it. A set of pairs
says nothing of their order or count: "张秀英秀" holds both pairs of "秀英秀英" (秀英, 英秀) without
containing it, so the repository confirms each family it lists against the decrypted names.
What the grams show someone who reads the table without the key: members whose names share a
character share its gram, and how many grams each member has (about twice the name's length).
No gram turns back into its character, but how often each occurs could suggest common surnames.

ID number tail: the last 4 characters are already kept in plaintext for masking
(``id_number_last4``); the last 6 carry an HMAC of their own (``id_number_tail6_index``).

Each kind of index has its own context, so equal values under different contexts give unrelated
indexes (a name's grams never equal an ID number's tail, a unigram never equals a name index).
"""

from __future__ import annotations

import functools
import re

from tefu_common.field_crypto import BlindIndex, default_normalise, get_blind_index

ID_CONTEXT = "member.id_number"
NAME_CONTEXT = "member.name"
NAME_GRAM_CONTEXT = "member.name.gram"
TAIL6_CONTEXT = "member.id_number.tail6"
# 128 bits of the HMAC: collisions stay negligible, and the gram table (several rows a member)
# stays half the size of full 64-character digests.
GRAM_LENGTH = 32
GRAMS_REMEMBERED = 1 << 16  # distinct grams (characters and pairs) a process keeps: about 20 MB
_WHITESPACE = re.compile(r"\s+")


def id_number_index(value: str) -> str:
    return get_blind_index().compute(value, context=ID_CONTEXT)


def name_index(value: str) -> str:
    return get_blind_index().compute(value, context=NAME_CONTEXT)


def normalise_name(value: str) -> str:
    """A name as the grams see it: normalised as ``name_index`` normalises (NFKC, upper case),
    whitespace dropped, so "John Smith" is found by "nsm" and a full-width letter by its ASCII."""
    return _WHITESPACE.sub("", default_normalise(value))


def _gram(text: str) -> str:
    return _gram_under(get_blind_index(), text)


@functools.lru_cache(maxsize=GRAMS_REMEMBERED)
def _gram_under(blind_index: BlindIndex, text: str) -> str:
    """A gram's index under this key, remembered: names share their characters and pairs (a
    surname, a common given name), and an import of 100,000 families computed some 1.5 million
    HMACs for far fewer distinct grams. Keyed by the index itself, so a new key computes anew."""
    # Already normalised: hash it as it stands (NFKC of one character could differ from the
    # character as it appears in the normalised whole name).
    return blind_index.compute(text, context=NAME_GRAM_CONTEXT, normalise=None)[:GRAM_LENGTH]


def name_grams(name: str) -> set[str]:
    """The grams a member's name is stored with: each character, and each adjacent pair."""
    text = normalise_name(name)
    return {_gram(c) for c in set(text)} | {_gram(text[i:i + 2]) for i in range(len(text) - 1)}


def query_grams(query: str) -> set[str]:
    """The grams a name must have to contain ``query``: its one character, or each adjacent pair
    (a query of n characters needs its n-1 pairs; repeated pairs count once)."""
    text = normalise_name(query)
    if len(text) == 1:
        return {_gram(text)}
    return {_gram(text[i:i + 2]) for i in range(len(text) - 1)}


def id_number_tail6_index(value: str) -> str:
    """The blind index of an ID number's last 6 characters (``value``: the number, or its tail)."""
    return get_blind_index().compute(default_normalise(value)[-6:], context=TAIL6_CONTEXT)
