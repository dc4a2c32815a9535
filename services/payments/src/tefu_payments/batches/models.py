"""Batches, their state transitions, and the ledger.

The ledger's partial unique index is what makes a second payment impossible: a (payee,
benefit, period) can have at most one line that is pending or paid, whatever the API does and
however many requests race. A failed or released line leaves the key free for a later batch,
whose new line names the original (``carries_line_id``).

On PostgreSQL the ledger is partitioned by pay period (a year a partition, migration 0010), and a
partitioned table's unique keys must all hold the period: the line's key is (id, period_key),
a reference is unique within its period, and a line carries a failed line of its own period
(the same entitlement) by (``carries_line_id``, ``period_key``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, CheckConstraint, Date, ForeignKey, ForeignKeyConstraint, Index, Integer, Numeric, String,
                        UniqueConstraint, text)
from sqlalchemy.orm import Mapped, mapped_column

from tefu_common.db import UtcDateTime
from tefu_payments.batches.payee import EncryptedPayee, PayeeSnapshot
from tefu_payments.database import Base


class Batch(Base):
    __tablename__ = "batch"
    __table_args__ = (
        # Maker-checker in the database: whoever prepared a batch can never be its approver.
        CheckConstraint("approved_by IS NULL OR approved_by <> prepared_by", name="maker_checker"),
        UniqueConstraint("prepared_by", "idempotency_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(12), index=True)
    benefits: Mapped[list[str]] = mapped_column(JSON)
    period: Mapped[str] = mapped_column(String(8))  # 2020-06 | 2020-Q2 | 2020
    # The region's payment schedule when the batch was built: monthly | quarterly | yearly.
    frequency: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agency.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    prepared_by: Mapped[str] = mapped_column(String(128))
    approved_by: Mapped[str | None] = mapped_column(String(128))
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    line_count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal("0.00"))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    # The agency's file layout as it was at the first pull: later pulls render the same bytes
    # even if the agency's profile has changed since.
    file_layout: Mapped[dict | None] = mapped_column(JSON)
    # What the build left out, by reason (the items are in batch_skip). Null on batches built
    # before the skips were kept: what they left out was only said in the answer that built them.
    skipped_no_amount: Mapped[int | None] = mapped_column(Integer)
    skipped_no_bank_account: Mapped[int | None] = mapped_column(Integer)
    skipped_already_in_ledger: Mapped[int | None] = mapped_column(Integer)
    # Of those held, the ones of months before the period: arrears an earlier batch already
    # holds, the usual case of every build's look-back, counted but not listed one by one.
    skipped_already_in_ledger_earlier: Mapped[int | None] = mapped_column(Integer)
    # Payees held because a bank's return put them under review (registry review tasks).
    skipped_under_review: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BatchTransition(Base):
    """Every change of a batch's state: who, when, from what to what."""

    __tablename__ = "batch_transition"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(12))
    to_status: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # What the person wrote (a reason to reject, an approver's remark), as written.
    note: Mapped[str | None] = mapped_column(String(500))
    # What the service itself records about the step, as facts rather than sentences, so that it
    # is rendered in the reader's language: built {lines, arrears}, exported {sha256},
    # reconciled {paid, failed}. Null on a step a person made.
    event: Mapped[str | None] = mapped_column(String(16))
    facts: Mapped[dict | None] = mapped_column(JSON)


class BatchSkip(Base):
    """An entitlement the build of a batch left out, and why: the clerk sees whom to act on.

    Ids only: the names and accounts of the people stay in the registry."""

    __tablename__ = "batch_skip"
    __table_args__ = (
        # Pages of a batch's items, all of them or of one reason, keyed (reason, id).
        Index("ix_batch_skip_batch_reason", "batch_id", "reason", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"))
    reason: Mapped[str] = mapped_column(String(20))  # no_amount | no_bank_account | already_in_ledger | under_review
    payee_key: Mapped[str] = mapped_column(String(24))  # as on a ledger line: m<member id> or f<family id>
    family_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(10))
    benefit: Mapped[str] = mapped_column(String(48))
    benefit_name: Mapped[str] = mapped_column(String(80))
    period_key: Mapped[str] = mapped_column(String(10))
    month: Mapped[str] = mapped_column(String(7))
    # already_in_ledger: the batch and the line that hold the entitlement, when known (a line
    # taken by another build at the same moment is known only as taken).
    held_batch_id: Mapped[int | None] = mapped_column(Integer)
    held_reference: Mapped[str | None] = mapped_column(String(32))
    # no_amount: what eligibility said of the amount (unknown …) and why, when the line says.
    amount_status: Mapped[str | None] = mapped_column(String(20))
    amount_reason: Mapped[str | None] = mapped_column(String(200))


# The period keys that name no year (a one-off payment's ``once``), from the first inclusive to
# the second exclusive: on PostgreSQL the ledger's undated partition.
UNDATED_PERIODS = ("once", "oncf")


class LedgerLine(Base):
    __tablename__ = "ledger_line"
    __table_args__ = (
        Index(
            "uq_ledger_line_entitlement", "payee_key", "benefit", "period_key", unique=True,
            postgresql_where=text("status IN ('pending', 'paid')"),
            sqlite_where=text("status IN ('pending', 'paid')"),
        ),
        # The few failed lines, found at once when a new batch carries them again.
        Index("ix_ledger_line_failed", "payee_key", "benefit", "period_key",
              postgresql_where=text("status = 'failed'"), sqlite_where=text("status = 'failed'")),
        # The line's key with its period, what the carry refers to (on PostgreSQL the table's key).
        UniqueConstraint("id", "period_key"),
        # Printed in the file, quoted in returns: made of the batch's id and a counter, so unique
        # anyway; the database can only hold it unique within a period (a partition).
        UniqueConstraint("reference", "period_key"),
        ForeignKeyConstraint(["carries_line_id", "period_key"], ["ledger_line.id", "ledger_line.period_key"]),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batch.id"), index=True)
    reference: Mapped[str] = mapped_column(String(32))
    family_id: Mapped[int] = mapped_column(Integer)
    member_id: Mapped[int | None] = mapped_column(Integer, index=True)
    role: Mapped[str] = mapped_column(String(10))
    # m<member id> for a person's benefit, f<family id> for a household's: the payee of the key.
    payee_key: Mapped[str] = mapped_column(String(24))
    benefit: Mapped[str] = mapped_column(String(48))
    benefit_name: Mapped[str] = mapped_column(String(80))  # as printed in the bank's file
    period_key: Mapped[str] = mapped_column(String(10))  # 2020-06 (monthly), 2020 (yearly), once
    month: Mapped[str] = mapped_column(String(7))  # the month the entitlement was computed for
    due_on: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # pending | paid | failed | released. No index of its own: four values over millions of lines
    # only tempt the planner away from the key indexes; queries by state go through a batch or a key.
    status: Mapped[str] = mapped_column(String(10))
    carries_line_id: Mapped[int | None] = mapped_column(Integer)  # a failed line of the same period
    rule_id: Mapped[str] = mapped_column(String(160))
    # The eligibility catalogue's content hash when the line was built: with rule_id, what the
    # amount was computed from. Null on lines written before it was recorded.
    catalogue_version: Mapped[str | None] = mapped_column(String(16))
    # local | national_minimum (no local standard configured: the national floor); null as above.
    amount_status: Mapped[str | None] = mapped_column(String(20))
    citation: Mapped[str] = mapped_column(String(200))
    # Name, ID number, account and holder as the registry had them, sealed as one value.
    payee: Mapped[PayeeSnapshot | None] = mapped_column(EncryptedPayee("ledger_line.payee"))
    bank_name: Mapped[str | None] = mapped_column(String(64))
    paid_on: Mapped[date | None] = mapped_column(Date)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
