"""The register's blind indexes, for ``python -m tefu_common.reencrypt --service registry``.

Each says what it is computed from, so that a key rotation or a switch of ``TEFU_CRYPTO``
(HMAC-SHA-256 ↔ HMAC-SM3) recomputes them all from the decrypted values (``families/indexes.py``).
"""

from __future__ import annotations

from tefu_common.reencrypt import IndexColumn, IndexRows
from tefu_registry.families import indexes

BLIND_INDEXES = (
    IndexColumn("member", "name_index", "name", indexes.name_index),
    IndexColumn("member", "id_number_index", "id_number", indexes.id_number_index),
    IndexColumn("member", "id_number_tail6_index", "id_number", indexes.id_number_tail6_index),
    IndexRows("member_name_gram", "member_id", "gram", "member", "name", indexes.name_grams),
)
