"""Tests of the medical-priority service use the shared fixtures of tefu_common.testing.

Cards are put in place with the service's own card functions (cards.service.issue), the way the
change-feed follower issues them; the follower itself, with the registry and the eligibility
service as real processes, is tested in the suite's cross-service tests (tests/).
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tefu_common.db import Database
from tefu_common.resident_id import check_character
from tefu_common.testing import ServiceUnderTest
from tefu_medical_priority.cards import service as cards
from tefu_medical_priority.cards.standing import Holder, Standing
from tefu_medical_priority.main import create_app
from tefu_medical_priority.settings import MedicalPrioritySettings

_members = itertools.count(1000)


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], MedicalPrioritySettings, create_app)


@pytest.fixture(scope="session")
def ecard_keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ecard-keys")


@pytest.fixture
def settings(settings: MedicalPrioritySettings, ecard_keys: Path) -> MedicalPrioritySettings:
    # No registry to follow here; the e-card key in a directory of the test run.
    return settings.model_copy(update={"ecard_key_dir": ecard_keys, "follow_registry": False})


def id_number(region: str, birth: str, serial: int) -> str:
    first17 = f"{region}{birth.replace('-', '')}{serial % 1000:03d}"
    return first17 + check_character(first17)


IssueCard = Callable[..., Awaitable[str]]


@pytest.fixture
def issue_card(client, database_url: str) -> IssueCard:  # noqa: ARG001 - the client configures field encryption
    """``await issue_card(region="420102", ...)`` issues a card as the follower would; returns its number."""

    async def issue(region: str = "420102", *, name: str = "李秀英", role: str = "mother", birth: str = "1965-03-02",
                    sex: str = "female", privileges: list[str] | None = None, services: list[str] | None = None,
                    issued_on: date | None = None, member_id: int | None = None, family_id: int | None = None,
                    id_no: str | None = None) -> str:
        member = member_id or next(_members)
        holder = Holder(member_id=member, family_id=family_id or member, role=role, region_code=region, name=name,
                              id_number=id_no or id_number(region, birth, member), sex=sex, birth_year=int(birth[:4]))
        standing = Standing(services=services if services is not None else ["registration", "payment", "lab"],
                                  privileges=privileges if privileges is not None else [],
                                  citation="鄂卫生计生通〔2016〕89号 三（三）")
        database = Database(database_url)
        try:
            async with database.sessionmaker() as session, session.begin():
                card = await cards.issue(session, holder=holder, standing=standing, actor=cards.SYNC_ACTOR,
                                         today=issued_on or date.today(), validity_years=5)
                return card.card_no
        finally:
            await database.dispose()

    return issue


@pytest.fixture
async def hospital(client, auth) -> Callable[..., Awaitable[dict[str, Any]]]:
    """``await hospital("H420106001", designated=True, fee_waivers=[...])`` adds a hospital to the directory."""
    admin = auth(role="admin", region="000000")

    async def put(code: str = "H420106001", *, region: str = "420106", designated: bool = True,
                  fee_waivers: list[str] | None = None, active: bool = True) -> dict[str, Any]:
        body = {"name": f"测试医院{code}", "region_code": region, "level": "三级甲等", "designated": designated,
                "fee_waivers": fee_waivers if fee_waivers is not None else
                ["emergency_registration", "outpatient_registration", "outpatient_infusion"] if designated else [],
                "active": active}
        response = await client.put(f"/v1/hospitals/{code}", json=body, headers=admin)
        assert response.status_code == 201, response.text
        return response.json()

    return put


@pytest.fixture
def desk(auth) -> Callable[..., dict[str, str]]:
    """Headers of a hospital's HIS client."""

    def headers(code: str = "H420106001", region: str = "420106") -> dict[str, str]:
        return auth(role="hospital", region=region, hospital=code, subject=f"his-{code}")

    return headers
