"""The duty checks on one family's record: contact frequencies, festival windows, event visits,
liaison make-up, and compliance over a period. Duties are given in the shape the eligibility
service answers (``GET /v1/duties``)."""

from __future__ import annotations

from datetime import date

from tefu_registry.duties.engine import (
    ContactRecord,
    FamilyRecord,
    LiaisonRecord,
    MemberRecord,
    add_period,
    family_items,
    overdue_days,
    period_outcomes,
)

SOURCE = {"document": "鄂卫生计生通〔2016〕89号", "clause": "附件3", "quote": "每周要电话联系联系对象至少1次"}


def duty(id: str, kind: str, values: dict, applies_to: str = "all", festivals: list | None = None) -> dict:
    return {"id": id, "duty_id": f"420000/420000-hubei/{id}", "kind": kind, "name": id, "applies_to": applies_to,
            "values": values, "source": SOURCE, "effective_from": "2016-08-26", "festivals": festivals}


WEEKLY_CALL = duty("contact.phone_call", "contact", {"contact_kinds": ["phone_call"], "min_count": 1, "per": "week"})
TWO_VISITS = duty("contact.home_visit", "contact",
                  {"contact_kinds": ["home_visit", "festival_visit"], "min_count": 2, "per": "month"})
MID_AUTUMN = duty("festival.mid_autumn", "festival_visit",
                  {"festival": "mid_autumn", "festival_name": "中秋节", "window": {"before": 7, "after": 7}},
                  festivals=[{"festival": "mid_autumn", "year": 2026, "date": "2026-09-25", "window_from": "2026-09-18",
                              "window_to": "2026-10-02", "outside_reason": "…"}])
LIAISONS = duty("liaisons", "liaisons", {"posts": ["township", "village"], "leader_posts": ["township"]})
DEATHS = duty("event.major_incident", "event_visit", {
    "triggers": [{"event": "parent_died", "name": "父母亡故", "registry_event": "parent_died"},
                 {"event": "accident", "name": "意外", "registry_event": None}],
    "deadline_days": 7, "contact_kinds": ["home_visit"]})
BIRTHDAYS = duty("event.birthday", "event_visit", {
    "triggers": [{"event": "birthday", "name": "生日", "registry_event": None}],
    "deadline_days": 7, "contact_kinds": ["home_visit"]})


def family(*contacts: tuple[str, str] | tuple[str, str, str], liaisons=(), events=(), members=()) -> FamilyRecord:
    return FamilyRecord(
        id=1, region_code="420116", head_name="张*", registered_on=date(2026, 8, 1), members=list(members),
        events=list(events), liaisons=list(liaisons),
        contacts=[ContactRecord(c[0], c[2] if len(c) > 2 else None, date.fromisoformat(c[1])) for c in contacts])


def test_a_weekly_call_ten_days_ago_is_overdue_since_the_eighth_day():
    f = family(("phone_call", "2026-08-25"), ("phone_call", "2026-09-01"))
    [item] = family_items([WEEKLY_CALL], f, date(2026, 9, 11))
    assert (item.status, item.since, item.due_by, item.last_contact_on) == (
        "overdue", date(2026, 9, 9), date(2026, 9, 8), date(2026, 9, 1))
    assert "已逾期3天" in item.reason
    [item] = family_items([WEEKLY_CALL], f, date(2026, 9, 4))
    assert (item.status, item.due_by) == ("due", date(2026, 9, 8))


def test_a_month_with_a_gap_is_missed_and_a_month_without_is_met():
    f = family(*[("phone_call", f"2026-09-{d:02d}") for d in (1, 8, 15, 22, 29)])
    assert overdue_days(WEEKLY_CALL, f, date(2026, 9, 1), date(2026, 9, 30)) is None
    gap = family(*[("phone_call", f"2026-09-{d:02d}") for d in (1, 12, 19, 26)])
    assert overdue_days(WEEKLY_CALL, gap, date(2026, 9, 1), date(2026, 9, 30)) == date(2026, 9, 9)
    [outcome] = period_outcomes([WEEKLY_CALL], gap, date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30))
    assert (outcome.state, outcome.reason) == ("missed", "2026-09-09起逾期未电话联系")


def test_two_home_visits_a_month_count_the_second_latest():
    f = family(("home_visit", "2026-08-10"), ("festival_visit", "2026-09-25", "mid_autumn"))
    [item] = family_items([TWO_VISITS], f, date(2026, 9, 11))
    # Only one visit since 2026-08-01 when the register took the family on: two were due by 09-01.
    assert (item.status, item.since) == ("overdue", date(2026, 9, 2))


def test_a_festival_visit_is_outstanding_in_its_window_met_when_made_missed_after():
    assert family_items([MID_AUTUMN], family(), date(2026, 9, 20))[0].status == "outstanding"
    assert family_items([MID_AUTUMN], family(), date(2026, 9, 12))[0].status == "due"
    assert family_items([MID_AUTUMN], family(), date(2026, 10, 3))[0].status == "missed"
    made = family(("festival_visit", "2026-09-25", "mid_autumn"))
    item = family_items([MID_AUTUMN], made, date(2026, 9, 30))[0]
    assert (item.status, item.last_contact_on) == ("met", date(2026, 9, 25))
    [outcome] = period_outcomes([MID_AUTUMN], made, date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30))
    assert (outcome.state, outcome.key) == ("met", (MID_AUTUMN["duty_id"], "2026-09-25"))
    # A month without the festival has no row for it.
    assert period_outcomes([MID_AUTUMN], made, date(2026, 8, 1), date(2026, 8, 31), date(2026, 8, 31)) == []


def test_missing_posts_and_a_handed_over_liaison():
    township = LiaisonRecord(1, "township", "赵敏", date(2026, 8, 1), None)
    old_village = LiaisonRecord(2, "village", "钱进", date(2026, 8, 1), date(2026, 8, 31))
    [item] = family_items([LIAISONS], family(liaisons=[township, old_village]), date(2026, 9, 11))
    assert (item.status, item.missing_posts, item.reason) == ("missing_liaison", ["village"], "缺少村（居）联系人")
    [item] = family_items([LIAISONS], family(liaisons=[township, old_village]), date(2026, 8, 20))
    assert item.status == "met"


def test_an_event_visit_is_due_within_its_deadline_and_the_unseen_triggers_are_not_invented():
    f = family(events=[("parent_died", date(2026, 9, 3))])
    [item] = family_items([DEATHS], f, date(2026, 9, 5))
    assert (item.status, item.due_by) == ("outstanding", date(2026, 9, 10))
    [item] = family_items([DEATHS], f, date(2026, 9, 12))
    assert (item.status, item.since) == ("overdue", date(2026, 9, 11))
    visited = family(("home_visit", "2026-09-06"), events=[("parent_died", date(2026, 9, 3))])
    assert family_items([DEATHS], visited, date(2026, 9, 12))[0].status == "met"
    # An event long before the register took the family on asks for no visit.
    assert family_items([DEATHS], family(events=[("parent_died", date(2020, 1, 1))]), date(2026, 9, 12)) == []


def test_birthdays_of_living_parents_call_for_a_visit():
    members = [MemberRecord("mother", date(1960, 9, 10), None), MemberRecord("father", date(1958, 9, 12),
                                                                              date(2026, 1, 1))]
    [item] = family_items([BIRTHDAYS], family(members=members), date(2026, 9, 11))
    assert (item.status, item.event["occurred_on"], item.due_by) == ("outstanding", date(2026, 9, 10),
                                                                     date(2026, 9, 17))


def test_duties_the_register_cannot_check_are_said_so():
    special = duty("liaisons.special_difficulty", "liaisons", {"posts": ["county_leader"]}, "special_difficulty")
    [item] = family_items([special], family(), date(2026, 9, 11))
    assert item.status == "not_computable"
    [outcome] = period_outcomes([special], family(), date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30))
    assert outcome.state == "not_computable"


def test_periods_add_by_the_calendar():
    assert add_period(date(2026, 1, 31), "month") == date(2026, 2, 28)
    assert add_period(date(2026, 11, 30), "quarter") == date(2027, 2, 28)
    assert add_period(date(2024, 2, 29), "year") == date(2025, 2, 28)
    assert add_period(date(2026, 9, 1), "week") == date(2026, 9, 8)
