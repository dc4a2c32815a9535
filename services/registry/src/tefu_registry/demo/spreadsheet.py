"""Demo families as import rows (Chinese headers of the template), for benchmarks and trials."""

from __future__ import annotations

from typing import Any

from tefu_registry.imports.template import COLUMNS, column

HEADERS = [c.header_zh for c in COLUMNS]
_CATEGORY_AND_LEVEL = ("disability_category", "disability_level")


def family_to_row(family: dict[str, Any]) -> dict[str, str]:
    """One ``FamilyCreate`` body (as the demo generator makes it) as a template row."""
    cells: dict[str, str] = {c.key: "" for c in COLUMNS}
    cells.update(region_code=family["region_code"], hukou_type="城镇" if family["hukou_type"] == "urban" else "农村",
                 address=family.get("address") or "", external_ref=family.get("external_ref") or "")
    for kind in ("honor", "assistance"):
        certificate = family.get(f"{kind}_certificate")
        if certificate:
            cells[f"{kind}_certificate_no"] = certificate["number"]
            cells[f"{kind}_certificate_issued_on"] = certificate.get("issued_on") or ""
    for role in ("mother", "father"):
        person = family.get(role)
        if not person:
            continue
        cells[f"{role}_name"], cells[f"{role}_id_number"] = person["name"], person["id_number"]
        cells[f"{role}_phone"] = person.get("phone") or ""
        cells[f"{role}_death_date"] = person.get("death_date") or ""
        account = person.get("bank_account")
        if account:
            cells[f"{role}_bank"], cells[f"{role}_account_number"] = account["bank"], account["account_number"]
        cells[f"{role}_in_resident_pension"] = "是" if person.get("in_resident_pension") else "否"
        cells[f"{role}_monthly_basic_pension"] = person.get("monthly_basic_pension") or ""
    child = family["child"]
    cells.update(child_name=child["name"], child_id_number=child.get("id_number") or "",
                 child_birth_date=child.get("birth_date") or "", child_adopted="是" if child.get("adopted") else "否",
                 child_adopted_on=child.get("adopted_on") or "")
    for event in family.get("events", []):
        if event["kind"] == "child_died":
            cells["child_death_date"] = event["occurred_on"]
        elif event["kind"] == "disability_certified" and not cells["disability_certificate_no"]:
            cells["disability_certificate_no"] = event["certificate_no"]
            cells["disability_issued_on"] = event["occurred_on"]
            cells["disability_category"], cells["disability_level"] = event["category"], str(event["level"])
    return {column(key).header_zh: value for key, value in cells.items()}


def importable(family: dict[str, Any]) -> bool:
    """The template has one row per family and no columns for later events (level changes, later births)."""
    kinds = [e["kind"] for e in family.get("events", [])]
    return all(k in ("child_died", "disability_certified") for k in kinds) and kinds.count("disability_certified") <= 1
