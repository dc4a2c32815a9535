"""Tests of the payments service use the shared fixtures of tefu_common.testing."""

import asyncio
from pathlib import Path

import httpx
import orjson
import pytest
from pydantic import SecretStr

from tefu_common.http_client import StaticTokenAuth

from tefu_payments.main import create_app
from tefu_payments.settings import PaymentsSettings
from tefu_common.testing import ServiceUnderTest, app_client


@pytest.fixture(scope="session")
def service_under_test() -> ServiceUnderTest:
    return ServiceUnderTest(Path(__file__).resolve().parents[1], PaymentsSettings, create_app)


@pytest.fixture
async def cut_off(settings, service_under_test):
    """The app with the eligibility service and the registry out of reach: port 9 (discard) on
    localhost, where nothing listens and connections are refused at once."""
    own_client = settings.auth.model_copy(update={"token_url": "http://127.0.0.1:9/oauth/token",
                                                  "client_id": "payments", "client_secret": SecretStr("s")})
    moved = settings.model_copy(update={"eligibility_url": "http://127.0.0.1:9", "registry_url": "http://127.0.0.1:9",
                                        "http_retries": 0, "auth": own_client})
    async with app_client(service_under_test.create_app(moved, configure_logs=False)) as http:
        yield http


class FakeUpstreams:
    """The eligibility service and the registry as in-process fakes: a region's families, each
    mother due 340.00 a month (at the national minimum for those in ``at_national_minimum``);
    ``refuse`` makes eligibility answer 422, ``delay`` slows its stream; ``under_review`` members have an
    open review task in the registry."""

    CATALOGUE_VERSION = "5e1f0c9a7b3d2468"

    def __init__(self) -> None:
        self.members: list[int] = [70, 71, 72]
        self.at_national_minimum: set[int] = set()
        self.without_account: set[int] = set()
        self.under_review: set[int] = set()
        self.refuse: dict | None = None
        self.delay = 0.0
        self.entitlement_tokens: list[str] = []
        self.payee_tokens: list[str] = []

    async def eligibility(self, request: httpx.Request) -> httpx.Response:
        self.entitlement_tokens.append(request.headers.get("authorization", ""))
        if self.refuse is not None:
            return httpx.Response(422, json=self.refuse, headers={"content-type": "application/problem+json"})
        body = orjson.loads(request.content)
        months = _months(body["from_month"], body["month"])
        lines = [{"family_id": member * 10, "member_id": member, "role": "mother", "benefit": "special_assistance",
                  "benefit_name": "计划生育家庭特别扶助金", "month": month, "period": month, "due_on": None,
                  "amount": "340.00", "rule_id": "sa-urban-death", "citation": "国人口发〔2007〕78号",
                  "catalogue_version": self.CATALOGUE_VERSION,
                  "amount_status": "national_minimum" if member in self.at_national_minimum else "local"}
                 for member in self.members for month in months]
        if self.delay:
            await asyncio.sleep(self.delay)
        return httpx.Response(200, content=b"".join(orjson.dumps(line) + b"\n" for line in lines),
                              headers={"content-type": "application/x-ndjson"})

    async def registry(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/review-tasks":  # members under review: ``under_review``
            return httpx.Response(200, json={"items": [{"member_id": m} for m in sorted(self.under_review)],
                                             "next_cursor": None})
        self.payee_tokens.append(request.headers.get("authorization", ""))
        wanted = orjson.loads(request.content)["member_ids"]
        payees = [{"member_id": m, "name": "陈秀英", "id_number": "420106196204100022",
                   "account_number": None if m in self.without_account else f"6222021{m:012d}", "holder": "陈秀英",
                   "bank": "中国工商银行武昌支行"} for m in wanted]
        return httpx.Response(200, json={"payees": payees, "missing": []})


def _months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@pytest.fixture
def fakes() -> FakeUpstreams:
    return FakeUpstreams()


@pytest.fixture
def served_app(settings, service_under_test, fakes):
    """The app calling the fakes (the registry with a service token of its own)."""
    app = service_under_test.create_app(settings, configure_logs=False)
    app.state.upstreams["eligibility"].transport = httpx.MockTransport(fakes.eligibility)
    registry = app.state.upstreams["registry"]
    registry.transport = httpx.MockTransport(fakes.registry)
    registry.service_auth = StaticTokenAuth("payments-service-token")
    return app


@pytest.fixture
async def served(served_app):
    async with app_client(served_app) as http:
        yield http


@pytest.fixture
async def approved(served, auth):
    """An approved batch of 39 lines of 420106, paid by ICBC-WC."""
    created = await served.post("/v1/agencies", headers=auth(role="admin", region="420000"),
                                json={"id": "ICBC-WC", "name": "中国工商银行武昌支行", "region_code": "420000"})
    assert created.status_code == 201
    clerk = auth(role="clerk", region="420106", subject="clerk-wang")
    body = {"region_code": "420106", "benefits": ["special_assistance"], "period": "2020-06", "agency_id": "ICBC-WC"}
    batch = (await served.post("/v1/batches", json=body, headers=clerk)).json()
    await served.post(f"/v1/batches/{batch['id']}/submit", headers=clerk)
    approved = await served.post(f"/v1/batches/{batch['id']}/approve", headers=auth(role="approver", region="420106"))
    assert approved.status_code == 200
    return batch["id"]


@pytest.fixture
def bank(auth):
    """The token of ICBC-WC, the agency of the `approved` batch."""
    return auth(role="agency", region="420000", agency="ICBC-WC", subject="bank-wc")
