"""Checking import rows, in the service or in separate processes, so a large file uses both cores.

Checking a row (reading the cells, validating ID numbers and dates, building the rows to insert
and their blind indexes, encrypting them as columns) is pure Python, and costs more than the
service and the database spend writing the row. For large files the rows are checked in worker
processes (``import_workers`` in the settings), a chunk each, while the service writes the chunk before; small files are
checked in the service itself (starting a process costs about a second). A checked chunk comes
back as each row's outcome and the registrable families' columns (:class:`CheckedChunk`): plain
lists that cost the service a few microseconds a family to unpickle, where the drafts themselves
had cost it more than a hundred.

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

from tefu_common import collector
from tefu_common.auth import Principal
from tefu_common.errors import ValidationFailed
from tefu_common.field_crypto import BlindIndex, FieldCipher, KeyRing, configure_field_crypto, get_blind_index, get_field_cipher
from tefu_common.i18n import Text
from tefu_registry.families.batch_rows import FamilyRows
from tefu_registry.families.registration import PreparedFamily, prepare_family
from tefu_registry.imports.parsing import RowError, header_for_field, row_to_family
from tefu_registry.imports.rows import RowProblem, summary

# A file larger than this is checked in a worker process.
WORKER_THRESHOLD_BYTES = 128 * 1024
PARENT_ID_HEADERS = ("母亲身份证号", "父亲身份证号")

# Worker processes checking chunks, unless the settings say otherwise (``import_workers``). Two
# showed no gain over one on a 2-core machine (2,248 and 2,178 rows/s): one worker, the service
# and the database keep both cores busy already. Each worker takes a core of its own.
DEFAULT_WORKERS = 1


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


@dataclass
class CheckedChunk:
    """A chunk of rows checked: for each row (in the chunk's order) its issue, or its position in
    ``rows``, which holds the registrable families in the database's form (batch_rows.py).

    This is all that comes back from a worker: the cells the service sent stay with the service,
    and the families cross as plain columns, not as drafts."""

    outcomes: list[Issue | int]
    rows: FamilyRows


def prepare_chunk(chunk: list[tuple[int, dict[str, str]]], caller: Principal, today: date) -> CheckedChunk:
    """Check a chunk of rows (in whichever process runs this; nothing is kept)."""
    outcomes: list[Issue | int] = []
    prepared: list[PreparedFamily] = []
    for number, row in chunk:
        item = prepare_row(number, row, caller=caller, today=today)
        if isinstance(item, Issue):
            outcomes.append(item)
        else:
            outcomes.append(len(prepared))
            prepared.append(item)
    return CheckedChunk(outcomes, FamilyRows.of(prepared))


class RepeatedParents:
    """Rows that name a parent an earlier row of the file names too, refused with that row's
    number. Fed the checked rows in the file's order; a parent counts as named by the first row
    that was registrable (a row refused for its own problems names nobody)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def checked(self, number: int, row: dict[str, str], item: Issue | int) -> Issue | int:
        """The row's outcome: ``item`` (its issue, or its position among the registrable rows),
        or the issue that it repeats an earlier row."""
        if isinstance(item, Issue) and item.unreadable:
            return item  # its cells could not be read: its problems are those
        parents = [(header, (row.get(header) or "").strip().upper()) for header in PARENT_ID_HEADERS]
        for header, value in parents:
            if value and value in self.seen:
                return Issue(number, row, "rejected", [RowProblem(header, "row-repeated", Text(
                    f"与第 {self.seen[value]} 行的父母身份证号相同", f"the same parent's ID number as row {self.seen[value]}"))])
        if not isinstance(item, Issue):
            self.seen.update({value: number for _, value in parents if value})
        return item


def _start_worker(keyring: KeyRing, blind_index: BlindIndex) -> None:
    configure_field_crypto(FieldCipher(keyring), blind_index)
    # As every process of the suite (a chunk makes some hundred thousand small objects that hold
    # no cycles: the default collector would walk them again and again).
    collector.settle()


def worker_pool(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(get_field_cipher().keyring, get_blind_index()),
    )
