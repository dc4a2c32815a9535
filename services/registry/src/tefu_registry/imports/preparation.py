"""Checking import rows, in the service or in separate processes, so a large file uses both cores.

Checking a row (reading the cells, validating ID numbers and dates, encrypting, building the rows
to insert and their blind indexes) is pure Python, and costs about twice what writing the row
does. For large files the rows are checked in worker processes (``WORKERS``), a chunk each,
while the service writes the chunk before; small files are checked in the service itself (starting a process costs
about a second).

A worker keeps nothing between chunks, so any worker may check any chunk: what spans chunks (a
parent on two rows of the file) is found by the service, which takes the checked chunks in the
file's order (:class:`RepeatedParents`). The workers are started with the ``spawn`` method (a
fresh interpreter; forking a process that runs an event loop and database connections is unsafe)
and given the keys that encryption and the blind indexes need; they never touch the database.
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

# Worker processes checking chunks. Two showed no gain over one on a 2-core machine (1,418 and
# 1,459 rows/s): the import waits on writing each chunk, the database's work, not on checking.
WORKERS = 1


@dataclass
class Issue:
    """A row that will not be registered (rejected), or need not be (a duplicate), and why."""

    number: int
    row: dict[str, str]
    outcome: str  # rejected | duplicate
    problems: list[RowProblem]
    existing_family_id: int | None = None
    unreadable: bool = False  # the cells themselves are wrong: nothing else of the row was checked

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


def prepare_row(number: int, row: dict[str, str], *, caller: Principal, today: date) -> PreparedFamily | Issue:
    """Check one row completely: the family's rows to insert, or the issue that refuses it."""
    try:
        family = row_to_family(row)
    except RowError as exc:
        return Issue(number, row, "rejected", exc.problems, unreadable=True)
    try:
        return prepare_family(family, caller=caller, today=today)
    except ValidationFailed as exc:
        body = family.model_dump(mode="json")
        return Issue(number, row, "rejected", [RowProblem(header_for_field(e.field, body), e.code, e.message)
                                               for e in exc.errors])


def prepare_chunk(chunk: list[tuple[int, dict[str, str]]], caller: Principal, today: date) -> list[Any]:
    """Check a chunk of rows (in whichever process runs this; nothing is kept)."""
    return [(number, row, prepare_row(number, row, caller=caller, today=today)) for number, row in chunk]


class RepeatedParents:
    """Rows that name a parent an earlier row of the file names too, refused with that row's
    number. Fed the checked rows in the file's order; a parent counts as named by the first row
    that was registrable (a row refused for its own problems names nobody)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def checked(self, number: int, row: dict[str, str], item: PreparedFamily | Issue) -> PreparedFamily | Issue:
        if isinstance(item, Issue) and item.unreadable:
            return item  # its cells could not be read: its problems are those
        parents = [(header, (row.get(header) or "").strip().upper()) for header in PARENT_ID_HEADERS]
        for header, value in parents:
            if value and value in self.seen:
                return Issue(number, row, "rejected", [RowProblem(header, "row-repeated", Text(
                    f"与第 {self.seen[value]} 行的父母身份证号相同", f"the same parent's ID number as row {self.seen[value]}"))])
        if isinstance(item, PreparedFamily):
            self.seen.update({value: number for _, value in parents if value})
        return item


def _start_worker(keyring: KeyRing, blind_index: BlindIndex) -> None:
    configure_field_crypto(FieldCipher(keyring), blind_index)


def worker_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=WORKERS,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(get_field_cipher().keyring, get_blind_index()),
    )
