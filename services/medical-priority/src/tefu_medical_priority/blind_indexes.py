"""The cards' blind indexes, for ``python -m tefu_common.reencrypt --service medical-priority``.

Each says what it is computed from, so that a key rotation or a switch of ``TEFU_CRYPTO``
(HMAC-SHA-256 ↔ HMAC-SM3) recomputes them all from the decrypted values (``cards/service.py``).
"""

from __future__ import annotations

from tefu_common.reencrypt import IndexColumn
from tefu_medical_priority.cards import service

BLIND_INDEXES = (
    IndexColumn("card", "name_index", "holder_name", service.name_index),
    IndexColumn("card", "id_number_index", "id_number", service.id_number_index),
)
