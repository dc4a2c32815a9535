"""What the desk is told about reaching the family's liaison.

Only for a valid card whose holder has no guardian on record (liaisons.guardianship): the
family's current liaisons, each with their post, name, work phone and unit, and nothing of the
family. Any other holder gets an empty list; ``liaison_reason`` always says why, in the desk's
language (Chinese unless ``Accept-Language: en``), without saying which relative died.
"""

from __future__ import annotations

from typing import Any

from tefu_common.i18n import Text
from tefu_medical_priority.liaisons.guardianship import guardian_on_record

POSTS = ("township", "village", "county_leader")
POST_NAMES = {"township": "街镇联系人", "village": "村（居）联系人", "county_leader": "县级领导干部联系人"}

REASONS = {
    "no_guardian": Text("登记中持卡人没有其他监护人：施行手术、特殊检查或特殊治疗需监护人签字时，可由家庭联系人签字",
                        "the register holds no other guardian of the holder: where surgery, a special examination or "
                        "special treatment needs a guardian's consent, the family's liaison signs"),
    "no_liaison": Text("登记中持卡人没有其他监护人，但该家庭尚未安排联系人：请联系持卡人户籍地的卫生健康部门",
                       "the register holds no other guardian of the holder and the family has no liaison yet: "
                       "call the health commission of the holder's county"),
    "guardian": Text("登记中持卡人另有监护人，不提供联系人", "the register holds a guardian of the holder: no liaison "
                                                            "is given"),
    "not_valid": Text("此卡无效，不提供联系人", "the card is not valid: no liaison is given"),
    "not_checked": Text("尚未核对持卡人的监护情况，暂不提供联系人", "the holder's guardianship is not checked yet: no "
                                                                  "liaison is given"),
}


def without_guardian(row: dict[str, Any]) -> bool:
    """True when the card's row (the desk store's, with its family's parents) shows no guardian."""
    return bool(row["parents_known"]) and not guardian_on_record(
        row["holder_role"], mother_alive=row["mother_alive"], father_alive=row["father_alive"])


def desk_liaisons(row: dict[str, Any], *, valid: bool, liaisons: list[dict[str, Any]]) -> dict[str, Any]:
    """``liaisons`` and ``liaison_reason`` of the desk's answer; ``liaisons`` are the family's
    current ones from the store (read only when ``without_guardian``)."""
    if not valid:
        reason, shown = "not_valid", []
    elif not row["parents_known"]:
        reason, shown = "not_checked", []
    elif not without_guardian(row):
        reason, shown = "guardian", []
    else:
        shown = sorted(liaisons, key=lambda l: POSTS.index(l["post"]) if l["post"] in POSTS else len(POSTS))
        reason = "no_guardian" if shown else "no_liaison"
    return {
        "liaisons": [{"post": l["post"], "post_name": POST_NAMES.get(l["post"], l["post"]), "name": l["name"],
                      "work_phone": l["phone"], "unit": l["unit"]} for l in shown],
        "liaison_reason": REASONS[reason].render(),
    }
