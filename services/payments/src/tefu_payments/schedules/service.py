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

from tefu_common.auth import Principal
from tefu_common.errors import Invalid, NotFound
from tefu_common.i18n import Text
from tefu_common.paging import PageRequest
from tefu_common.periods import Period
from tefu_common.regions import region_ancestry, validate_region_code
from tefu_common.scoping import covers, require_within
from tefu_payments.schedules.models import PaymentSchedule
from tefu_payments.schedules.repository import ScheduleRepository
from tefu_payments.schedules.schemas import ScheduleIn, ScheduleOut

DEFAULT_FREQUENCY = "monthly"


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
    def source(self) -> Text:
        """Where the schedule comes from, as a clerk would want it said."""
        if self.schedule is None:
            return Text("（未设发放周期，按默认）", " (no schedule is set: the default)")
        if self.schedule.region_code != self.region_code:
            return Text(f"（按 {self.schedule.region_code} 的发放周期）", f" (the schedule of {self.schedule.region_code})")
        return Text("", "")

    def out(self) -> ScheduleOut:
        schedule = self.schedule
        return ScheduleOut(region_code=self.region_code, frequency=schedule.frequency if schedule else DEFAULT_FREQUENCY,
                           benefit_frequencies=schedule.benefit_frequencies if schedule else {},
                           basis=schedule.basis if schedule else None,
                           defined_at=schedule.region_code if schedule else None,
                           updated_by=schedule.updated_by if schedule else None,
                           updated_at=schedule.updated_at if schedule else None)


async def applicable(schedules: ScheduleRepository, region_code: str) -> Applicable:
    chain = region_ancestry(region_code)
    found = await schedules.of_regions(chain)
    return Applicable(region_code, next((found[code] for code in chain if code in found), None))


FREQUENCY_ZH = {"monthly": "按月", "quarterly": "按季", "yearly": "按年"}


def checked_frequency(schedule: Applicable, benefits: list[str], period: Period) -> str:
    """The frequency at which the region pays these benefits, if ``period`` is a period of it;
    otherwise 422 naming the field and what to ask for instead."""
    frequencies = {benefit: schedule.frequency_of(benefit) for benefit in sorted(set(benefits))}
    source = schedule.source
    if len(set(frequencies.values())) > 1:
        paid_zh = "，".join(f"{benefit} {FREQUENCY_ZH[frequency]}" for benefit, frequency in frequencies.items())
        paid_en = ", ".join(f"{benefit} {frequency}" for benefit, frequency in frequencies.items())
        raise Invalid("benefits-mixed-frequency",
                      f"{schedule.region_code} 的发放周期为 {paid_zh}{source.zh}：请按周期分别制作批次",
                      f"{schedule.region_code} pays {paid_en}{source.en}: prepare one batch for each frequency",
                      ).at("benefits")
    frequency = next(iter(frequencies.values()))
    if period.frequency != frequency:
        own = schedule.schedule.benefit_frequencies if schedule.schedule else {}
        named = "".join(f"{benefit} " for benefit in frequencies if benefit in own)  # paid unlike the region's rest
        wanted = period.as_frequency(frequency)
        raise Invalid("period-frequency",
                      f"{schedule.region_code} {named}{FREQUENCY_ZH[frequency]}发放{source.zh}：应为 {wanted}，"
                      f"而不是 {period.label}",
                      f"{schedule.region_code} pays {named}{frequency}{source.en}: ask for {wanted}, not {period.label}",
                      ).at("period")
    return frequency


def _region(code: str) -> str:
    try:
        return validate_region_code(code)
    except Invalid as exc:
        raise exc.at("region_code", location="path") from None


def _not_found(code: str) -> NotFound:
    return NotFound(Text(f"{code} 没有自己的发放周期（或不在你的辖区）", f"region {code} has no payment schedule of its own "
                         "(or is outside your region)"), code="schedule-not-found")


def _visible(caller: Principal, code: str) -> bool:
    """A region of the caller's, or one above it (whose schedule the caller's regions follow)."""
    return covers(caller, code) or covers(code, caller.region)


async def read(schedules: ScheduleRepository, region_code: str) -> Applicable:
    code, caller = _region(region_code), schedules.caller
    if not _visible(caller, code):
        raise NotFound(Text(f"你的辖区 {caller.region} 看不到 {code} 的发放周期",
                            f"no payment schedule for {code} in your region {caller.region}"), code="schedule-not-found")
    return await applicable(schedules, code)


async def put(schedules: ScheduleRepository, region_code: str, body: ScheduleIn) -> Applicable:
    code, caller = _region(region_code), schedules.caller
    require_within(caller, code, field="region_code", location="path")
    schedule = await schedules.get(code)
    if schedule is None:
        schedule = PaymentSchedule(region_code=code)
        await schedules.add(schedule)
    schedule.frequency, schedule.basis = body.frequency, body.basis
    # Only the benefits that differ: the region's own frequency covers the rest.
    schedule.benefit_frequencies = {b: f for b, f in sorted(body.benefit_frequencies.items()) if f != body.frequency}
    schedule.updated_by, schedule.updated_at = caller.subject, datetime.now(timezone.utc)
    await schedules.session.flush()
    return Applicable(code, schedule)


async def delete(schedules: ScheduleRepository, region_code: str) -> None:
    code = _region(region_code)
    schedule = await schedules.get(code)
    if schedule is None or not covers(schedules.caller, code):
        raise _not_found(code)
    await schedules.remove(schedule)


async def listed(schedules: ScheduleRepository, page: PageRequest) -> tuple[list[PaymentSchedule], str | None]:
    """The schedules set in the caller's region and above it, by region code."""
    return await schedules.page(region_ancestry(schedules.caller.region), page)
