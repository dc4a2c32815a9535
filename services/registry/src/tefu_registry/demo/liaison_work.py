"""Liaisons and a few months of contacts for the demo families, so the work lists and compliance
pages of a fresh ``make run`` show what a county's would: most families with both liaisons and
calls every week or so, some with a gap, a few with a post left empty.

Deterministic for a seed. Written straight to the tables (as the API would store them) because the
seeder runs before the eligibility service is up; it writes no festival visits, which the API
checks against eligibility's windows.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from tefu_registry.demo.generator import FEMALE_CHARS, MALE_CHARS, SURNAMES
from tefu_registry.liaisons.models import Contact, Liaison

HISTORY_DAYS = 120
FINDINGS = ("身体尚可，生活能自理", "血压偏高，已提醒按时服药", "独居，情绪稳定", "近期住院，已出院在家休养",
            "反映养老补贴到账情况，已解释", "希望安排体检，已联系社区卫生服务中心")
UNITS = {"township": "街道（乡镇）卫生健康办公室", "village": "村（居）民委员会"}


def _cadre(rng: random.Random) -> str:
    chars = MALE_CHARS if rng.random() < 0.5 else FEMALE_CHARS
    return rng.choice(SURNAMES) + "".join(rng.choice(chars) for _ in range(rng.choice((1, 2))))


def _phone(rng: random.Random) -> str:
    return "13" + str(rng.randrange(5, 10)) + f"{rng.randrange(10**8):08d}"


async def add_liaison_work(session: AsyncSession, family_ids: Iterable[int], *, seed: int, today: date) -> None:
    """Add liaisons and contacts to the families; the caller commits."""
    now = datetime.now(timezone.utc)
    start = today - timedelta(days=HISTORY_DAYS)
    planned: list[tuple[int, random.Random, list[Liaison]]] = []
    for family_id in family_ids:
        rng = random.Random(f"{seed}:{family_id}")
        posts = ["township", "village"] if rng.random() < 0.9 else ["township"]
        liaisons = [Liaison(family_id=family_id, post=post, name=_cadre(rng), phone=_phone(rng), unit=UNITS[post],
                            assigned_on=start, assigned_by="demo-seeder", assigned_at=now) for post in posts]
        session.add_all(liaisons)
        planned.append((family_id, rng, liaisons))
    await session.flush()  # the liaisons' ids, for the contacts they made
    for family_id, rng, liaisons in planned:
        # Calls every 4-8 days, now and then a gap of 10-14; a home visit every 10-20 days, now and
        # then a month without one.
        for kind, (low, high, gap_share, long_gap) in (("phone_call", (4, 8, 0.15, (10, 15))),
                                                       ("home_visit", (10, 20, 0.1, (25, 36)))):
            day = start + timedelta(days=rng.randrange(1, 5))
            while day <= today:
                by = rng.choice(liaisons)
                session.add(Contact(family_id=family_id, kind=kind, festival=None, contacted_on=day, contacted_by=by.name,
                                    liaison_id=by.id, findings=rng.choice(FINDINGS), help_given=None,
                                    recorded_by="demo-seeder", recorded_at=now))
                day += timedelta(days=rng.randrange(*long_gap) if rng.random() < gap_share else rng.randrange(low, high + 1))
