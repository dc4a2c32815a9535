"""Checking import rows, in the service or in a separate process, so a large file uses both cores.

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
from dataclasses import dataclass
from datetime import date
from typing import Any

from tefu_common.auth import Principal
from tefu_common.errors import ValidationFailed
from tefu_common.field_crypto import BlindIndex, FieldCipher, KeyRing, configure_field_crypto, get_blind_index, get_field_cipher
from tefu_common.i18n import Text
from tefu_registry.families.registration import PreparedFamily, prepare_family
from tefu_registry.imports.parsing import RowError, header_for_field, row_to_family
from tefu_registry.imports.rows import RowProblem, summary

# A file larger than this is checked in a worker process.
WORKER_THRESHOLD_BYTES = 128 * 1024
PARENT_ID_HEADERS = ("母亲身份证号", "父亲身份证号")

_seen_parents: dict[int, dict[str, int]] = {}


@dataclass
class Issue:
    """A row that will not be registered (rejected), or need not be (a duplicate), and why."""

    number: int
    row: dict[str, str]
    outcome: str  # rejected | duplicate
    problems: list[RowProblem]
    existing_family_id: int | None = None

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def column(self) -> str | None:
        return self.problems[0].column or None

    @property
    def reason(self) -> Text:
        """Each column once, then why; a problem of the whole row (a duplicate) is its reason alone."""
        if len(self.problems) == 1 and not self.problems[0].column:
            return self.problems[0].message
        return summary(self.problems)


def prepare_row(number: int, row: dict[str, str], seen: dict[str, int], *, caller: Principal,
                today: date) -> PreparedFamily | Issue:
    """Check one row completely: the family's rows to insert, or the issue that refuses it."""
    try:
        family = row_to_family(row)
    except RowError as exc:
        return Issue(number, row, "rejected", exc.problems)
    for header in PARENT_ID_HEADERS:
        value = (row.get(header) or "").strip().upper()
        if value and value in seen:
            return Issue(number, row, "rejected", [RowProblem(header, "row-repeated", Text(
                f"与第 {seen[value]} 行的父母身份证号相同", f"the same parent's ID number as row {seen[value]}"))])
    try:
        prepared = prepare_family(family, caller=caller, today=today)
    except ValidationFailed as exc:
        body = family.model_dump(mode="json")
        return Issue(number, row, "rejected", [RowProblem(header_for_field(e.field, body), e.code, e.message)
                                               for e in exc.errors])
    for header in PARENT_ID_HEADERS:
        value = (row.get(header) or "").strip().upper()
        if value:
            seen[value] = number
    return prepared


def prepare_chunk(job_id: int, chunk: list[tuple[int, dict[str, str]]], caller: Principal, today: date) -> list[Any]:
    """Check a chunk of rows (in whichever process runs this); remembers parents across chunks."""
    seen = _seen_parents.setdefault(job_id, {})
    return [(number, row, prepare_row(number, row, seen, caller=caller, today=today)) for number, row in chunk]


def forget(job_id: int) -> None:
    _seen_parents.pop(job_id, None)


def _start_worker(keyring: KeyRing, blind_index: BlindIndex) -> None:
    configure_field_crypto(FieldCipher(keyring), blind_index)


def worker_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(get_field_cipher().keyring, get_blind_index()),
    )
