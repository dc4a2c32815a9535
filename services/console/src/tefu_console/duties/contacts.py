"""The contact form (记录联系): what the duties in force ask of the family, and the body the registry takes.

The duties come from eligibility for the family's region, so the clerk sees, beside the form, how
often the family is to be called or visited and, for each festival, its real date this year and
the days a visit counts for it. The registry decides: a festival visit outside the window is
refused there (``festival-outside-window`` on ``contacted_on``), and the form shows that refusal
beside the date, with what was typed.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from tefu_console.formats import date_zh, label
from tefu_console.forms import body_of
from tefu_console.services import Apis, parts

KINDS = [("home_visit", "入户走访"), ("phone_call", "电话联系"), ("online", "网上联系"),
         ("festival_visit", "节日慰问"), ("family_doctor", "家庭医生随访")]
FESTIVALS = [("spring", "春节"), ("dragon_boat", "端午节"), ("mid_autumn", "中秋节")]
PER = {"week": "每周", "month": "每月", "quarter": "每季度", "year": "每年"}
FIELDS = ("kind", "contacted_on", "contacted_by", "liaison_id", "findings", "help_given")


def _kinds(codes: list[str]) -> str:
    return "、".join(label(code) for code in codes)


def duty_terms(duty: dict[str, Any]) -> list[str]:
    """What one duty asks, in words: frequencies, festivals with their dates and windows, deadlines, posts."""
    values = duty.get("values") or {}
    kind = duty.get("kind")
    if kind == "contact":
        per = PER.get(str(values.get("per")), str(values.get("per", "")))
        return [f"{per}至少{values.get('min_count', 1)}次（{_kinds(values.get('contact_kinds') or [])}）"]
    if kind == "festival_visit":
        return [f"{o['year']}年{label(o['festival'])}为{date_zh(o['date'])}，走访须在{date_zh(o['window_from'])}至"
                f"{date_zh(o['window_to'])}之间" for o in duty.get("festivals") or []]
    if kind == "event_visit":
        triggers = "、".join(str(t.get("name", "")) for t in values.get("triggers") or [])
        return [f"{triggers}后{values.get('deadline_days', '—')}天内走访（{_kinds(values.get('contact_kinds') or [])}）"]
    if kind == "liaisons":
        posts = "、".join(label(p) for p in values.get("posts") or [])
        return [f"应配备：{posts}"] if posts else []
    return []


def duties_in_force(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**duty, "terms": duty_terms(duty)} for duty in answer.get("duties", [])]


async def contact_form_parts(apis: Apis, family_id: int) -> dict[str, Any]:
    """The family (its region), the duties in force there, and its current liaisons to choose from."""
    family = await apis.registry.get(f"/v1/families/{family_id}")  # not found or not in region: the 404 page
    # Duties are a county's (6 digits); a family may be registered at a township or village code.
    found = await parts(duties=apis.eligibility.get("/v1/duties", region=family["region_code"][:6]),
                        liaisons=apis.registry.get(f"/v1/families/{family_id}/liaisons", limit=100))
    current = [l for l in (found["liaisons"].value or {}).get("items", []) if not l.get("ended_on")] \
        if found["liaisons"].ok else []
    return {"family": family, "duties": found["duties"],
            "duty_list": duties_in_force(found["duties"].value) if found["duties"].ok else [],
            "liaisons": current,
            "liaison_options": [(str(l["id"]), f"{label(l['post'])} {l['name']}（{l['unit']}）") for l in current]}


def contact_body(form: FormData, liaisons: list[dict[str, Any]]) -> dict[str, Any]:
    """The registry's body: a festival only for a festival visit; a liaison chosen names who made it."""
    body = body_of(form, integers=frozenset({"body.liaison_id"}))
    if body.get("kind") == "festival_visit" and body.get("festival"):
        wanted = (*FIELDS, "festival")
    else:
        wanted = FIELDS
    body = {key: value for key, value in body.items() if key in wanted}
    if "liaison_id" in body and not body.get("contacted_by"):
        chosen = next((l for l in liaisons if l["id"] == body["liaison_id"]), None)
        if chosen is not None:
            body["contacted_by"] = chosen["name"]
    return body
