"""Checking import rows in a separate process, so a large file uses both cores.

Checking a row (reading the cells, validating ID numbers and dates, building the rows to insert)
is pure Python and would otherwise share one core with writing to the database. For large files
the rows are checked in a worker process while the service writes the previous chunk; small
files are checked in the service itself (starting a process costs about a second).

The worker is started with the ``spawn`` method (a fresh interpreter; forking a process that runs
an event loop and database connections is unsafe) and given the blind-index key, which it needs
to recognise parents already seen; it never touches the database.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from datetime import date
from typing import Any

from tefu_common.auth import Principal
from tefu_common.field_crypto import BlindIndex, FieldCipher, KeyRing, configure_field_crypto

# A file larger than this is checked in a worker process.
WORKER_THRESHOLD_BYTES = 128 * 1024

_seen_parents: dict[int, dict[str, int]] = {}


def _start_worker(keyring: KeyRing, blind_index: BlindIndex) -> None:
    configure_field_crypto(FieldCipher(keyring), blind_index)


def prepare_chunk(job_id: int, chunk: list[tuple[int, dict[str, str]]], caller: Principal, today: date) -> list[Any]:
    """Check a chunk of rows (in whichever process runs this); remembers parents across chunks."""
    from tefu_registry.imports.service import prepare_row

    seen = _seen_parents.setdefault(job_id, {})
    return [(number, row, prepare_row(number, row, seen, caller=caller, today=today)) for number, row in chunk]


def forget(job_id: int) -> None:
    _seen_parents.pop(job_id, None)


def worker_pool() -> ProcessPoolExecutor:
    from tefu_common.field_crypto import get_blind_index, get_field_cipher

    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(get_field_cipher().keyring, get_blind_index()),
    )
