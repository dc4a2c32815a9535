"""The life-event form: which inputs each kind of event takes (the service refuses any other)."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from tefu_console.forms import body_of

COMMON = ("kind", "occurred_on", "note")
FIELDS: dict[str, tuple[str, ...]] = {
    "child_died": COMMON,
    "disability_certified": (*COMMON, "category", "level", "certificate_no"),
    "disability_level_changed": (*COMMON, "level", "certificate_no"),
    "child_recovered": COMMON,
    "parent_died": (*COMMON, "member"),
    "later_child_born": (*COMMON, "member"),
    "later_child_adopted": (*COMMON, "member"),
    "divorced": COMMON,
    "remarried": (*COMMON, "member"),
    "hukou_moved": (*COMMON, "to_region"),
    "low_income_began": COMMON, "low_income_ended": COMMON,
    "extreme_poverty_began": COMMON, "extreme_poverty_ended": COMMON,
    "correction": ("kind", "corrects_event_id", "reason"),
}
KINDS = list(FIELDS)
# The category digit of a disability certificate (残疾人证), GB/T 26341.
CATEGORIES = [("1", "视力残疾"), ("2", "听力残疾"), ("3", "言语残疾"), ("4", "肢体残疾"), ("5", "智力残疾"),
              ("6", "精神残疾"), ("7", "多重残疾")]


def event_body(form: FormData) -> dict[str, Any]:
    body = body_of(form, integers=frozenset({"body.level", "body.corrects_event_id"}))
    wanted = FIELDS.get(str(body.get("kind", "")), COMMON)
    return {key: value for key, value in body.items() if key in wanted}


def placed(errors: dict[str, list[str]], kind: str) -> dict[str, list[str]]:
    """The service names a field of one kind of event ``body.<kind>.<field>`` (the tag of the
    union it validated against); the form's input is ``body.<field>``."""
    prefix = f"body.{kind}."
    return {("body." + field[len(prefix):] if kind and field.startswith(prefix) else field): reasons
            for field, reasons in errors.items()}
