"""Payment schedules: admins set a region's, everyone preparing or approving batches reads the one
that applies, and a batch's period must be one of it.

The schedule that applies to a region is its own or, for want of one, the nearest region's above
it (a county follows its city, the city its province); with none at all the region pays monthly.
The nearest schedule decides alone: a benefit it does not name is paid at its own frequency, not
at a frequency further up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from tefu_common.auth import Principal
from tefu_common.errors import Forbidden, NotFound, ValidationFailed
from tefu_common.regions import region_contains, region_level, region_prefix, validate_region_code
from tefu_payments.batches.periods import PayPeriod
from tefu_payments.schedules.models import PaymentSchedule
from tefu_payments.schedules.schemas import ScheduleIn, ScheduleOut

DEFAULT_FREQUENCY = "monthly"


def ancestry(code: str) -> list[str]:
    """The region and every region above it, nearest first, ending with the whole country."""
    level = region_level(code)
    chain = [code]
    if level == "village":
        chain.append(code[:9])
    if level in ("village", "township"):
        chain.append(code[:6])
    for above in (code[:4] + "00", code[:2] + "0000", "000000"):
        if above not in chain:
            chain.append(above)
    return chain


@dataclass(frozen=True)
class Applicable:
    """The schedule that applies to ``region_code`` (``None``: the national default)."""

    region_code: str
    schedule: PaymentSchedule | None

    def frequency_of(self, benefit: str) -> str:
        if self.schedule is None:
            return DEFAULT_FREQUENCY
        return self.schedule.benefit_frequencies.get(benefit, self.schedule.frequency)

    @property
    def source(self) -> str:
        """Where the schedule comes from, as a clerk would want it said."""
        if self.schedule is None:
            return " (no schedule is set: the default)"
        if self.schedule.region_code != self.region_code:
            return f" (the schedule of {self.schedule.region_code})"
        return ""

    def out(self) -> ScheduleOut:
        schedule = self.schedule
        return ScheduleOut(region_code=self.region_code, frequency=schedule.frequency if schedule else DEFAULT_FREQUENCY,
                           benefit_frequencies=schedule.benefit_frequencies if schedule else {},
                           basis=schedule.basis if schedule else None,
                           defined_at=schedule.region_code if schedule else None,
                           updated_by=schedule.updated_by if schedule else None,
                           updated_at=schedule.updated_at if schedule else None)


async def applicable(session: AsyncSession, region_code: str) -> Applicable:
    chain = ancestry(region_code)
    found = {s.region_code: s for s in (await session.scalars(
        select(PaymentSchedule).where(PaymentSchedule.region_code.in_(chain)))).all()}
    return Applicable(region_code, next((found[code] for code in chain if code in found), None))


def checked_frequency(schedule: Applicable, benefits: list[str], period: PayPeriod) -> str:
    """The frequency at which the region pays these benefits, if ``period`` is a period of it;
    otherwise 422 naming the field and what to ask for instead."""
    frequencies = {benefit: schedule.frequency_of(benefit) for benefit in sorted(set(benefits))}
    if len(set(frequencies.values())) > 1:
        paid = ", ".join(f"{benefit} {frequency}" for benefit, frequency in frequencies.items())
        raise ValidationFailed.of_field(
            "benefits", f"{schedule.region_code} pays {paid}{schedule.source}: prepare one batch for each frequency")
    frequency = next(iter(frequencies.values()))
    if period.frequency != frequency:
        own = schedule.schedule.benefit_frequencies if schedule.schedule else {}
        named = "".join(f"{benefit} " for benefit in frequencies if benefit in own)  # paid unlike the region's rest
        raise ValidationFailed.of_field(
            "period", f"{schedule.region_code} pays {named}{frequency}{schedule.source}: "
                      f"ask for {period.as_frequency(frequency)}, not {period.label}")
    return frequency


def _region(code: str) -> str:
    try:
        return validate_region_code(code)
    except ValueError as exc:
        raise ValidationFailed.of_field("region_code", str(exc)) from None


def _visible(caller: Principal, code: str) -> bool:
    """A region of the caller's, or one above it (whose schedule the caller's regions follow)."""
    return caller.covers_region(code) or region_contains(code, caller.region)


async def read(session: AsyncSession, caller: Principal, region_code: str) -> Applicable:
    code = _region(region_code)
    if not _visible(caller, code):
        raise NotFound(f"no payment schedule for {code} in your region {caller.region}")
    return await applicable(session, code)


async def put(session: AsyncSession, caller: Principal, region_code: str, body: ScheduleIn) -> Applicable:
    code = _region(region_code)
    if not caller.covers_region(code):
        raise Forbidden(f"region {code} is outside your region {caller.region}")
    schedule = await session.get(PaymentSchedule, code)
    if schedule is None:
        schedule = PaymentSchedule(region_code=code)
        session.add(schedule)
    schedule.frequency, schedule.basis = body.frequency, body.basis
    # Only the benefits that differ: the region's own frequency covers the rest.
    schedule.benefit_frequencies = {b: f for b, f in sorted(body.benefit_frequencies.items()) if f != body.frequency}
    schedule.updated_by, schedule.updated_at = caller.subject, datetime.now(timezone.utc)
    await session.flush()
    return Applicable(code, schedule)


async def delete(session: AsyncSession, caller: Principal, region_code: str) -> None:
    code = _region(region_code)
    schedule = await session.get(PaymentSchedule, code)
    if schedule is None or not caller.covers_region(code):
        raise NotFound(f"region {code} has no payment schedule of its own")
    await session.delete(schedule)
    await session.flush()


async def listed(session: AsyncSession, caller: Principal) -> list[PaymentSchedule]:
    """The schedules set in the caller's region and above it."""
    query = select(PaymentSchedule).where(or_(
        PaymentSchedule.region_code.in_(ancestry(caller.region)),
        PaymentSchedule.region_code.startswith(region_prefix(caller.region), autoescape=True)))
    return list((await session.scalars(query.order_by(PaymentSchedule.region_code))).all())
