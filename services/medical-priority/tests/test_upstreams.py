"""The registry and eligibility as this service calls them: whose token, which shapes, which errors.

The other services are stood in for by transports on the app's shared upstream clients; the
real processes are in the suite's cross-service tests (tests/test_medical_priority.py).
"""

from __future__ import annotations

from datetime import date

import httpx
from sqlalchemy import select

from tefu_common.db import Database
from tefu_common.http_client import StaticTokenAuth
from tefu_common.testing import app_client
from tefu_common.upstream import Upstream
from tefu_medical_priority.sync.follower import Follower
from tefu_medical_priority.sync.models import FeedCursor, PendingFamily
from tefu_medical_priority.upstreams import LABELS, EligibilityClient, RegistryClient

from .conftest import id_number

FAMILY, MOTHER = 7301, 73011


def evaluation(member_id: int | None) -> dict:
    recipients = [{"member_id": member_id}] if member_id else []
    return {"benefits": [{"code": "medical_priority", "citation": {"document": "鄂卫生计生通〔2016〕89号", "clause": "三（三）"},
                          "services": ["registration", "payment"], "recipient_details": recipients},
                         {"code": "fee_waiver", "recipient_details": recipients}] if member_id else [],
            "special_family_reasons": [], "not_eligible": [
                {"code": "medical_priority", "reasons": [{"text": "有再生育子女", "met": False}]}] if not member_id else []}


def person(member_id: int, region: str = "420102") -> dict:
    return {"member_id": member_id, "family_id": FAMILY, "role": "mother", "region_code": region, "name": "周桂英",
            "id_number": id_number(region, "1961-05-06", 11), "sex": "female", "birth_date": "1961-05-06"}


async def test_a_hand_issue_asks_eligibility_with_the_clerks_token_and_identities_with_the_services(
        settings, service_under_test, auth):
    seen: list[tuple[str, str]] = []
    qualifies = {"member": MOTHER}

    def eligibility(request: httpx.Request) -> httpx.Response:
        seen.append(("eligibility", request.headers["authorization"]))
        assert request.url.path == f"/v1/families/{FAMILY}/evaluation"
        assert request.url.params["on_the_day"] == "true"
        return httpx.Response(200, json=evaluation(qualifies["member"]))

    def registry(request: httpx.Request) -> httpx.Response:
        seen.append(("registry", request.headers["authorization"]))
        return httpx.Response(200, json={"people": [person(MOTHER)]})

    app = service_under_test.create_app(settings, configure_logs=False)
    app.state.upstreams["eligibility"].transport = httpx.MockTransport(eligibility)
    app.state.upstreams["registry"].transport = httpx.MockTransport(registry)
    app.state.upstreams["registry"].service_auth = StaticTokenAuth("service-token")
    clerk = auth(role="clerk", region="420102", subject="clerk-zhou")
    async with app_client(app) as client:
        issued = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER}, headers=clerk)
        assert issued.status_code == 201, issued.text
        assert issued.json()["issued_by"] == "clerk-zhou" and issued.json()["holder"]["name"] == "周桂英"
        assert seen == [("eligibility", clerk["Authorization"]), ("registry", "Bearer service-token")]

        again = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER}, headers=clerk)
        assert again.status_code == 409
        assert again.json()["code"] == "card-already-held"

        qualifies["member"] = None
        refused = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER + 1}, headers=clerk)
        assert refused.status_code == 422
        assert refused.json()["code"] == "member-not-qualified" and "有再生育子女" in refused.json()["detail"]


async def test_a_family_eligibility_hides_is_404_and_an_unreachable_one_is_503(settings, service_under_test, auth):
    app = service_under_test.create_app(settings, configure_logs=False)
    app.state.upstreams["eligibility"].transport = httpx.MockTransport(lambda request: httpx.Response(404, json={}))
    app.state.upstreams["registry"].service_auth = StaticTokenAuth("service-token")
    clerk = auth(role="clerk", region="370306")
    async with app_client(app) as client:
        hidden = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER}, headers=clerk)
        assert hidden.status_code == 404
        assert hidden.json()["code"] == "family-not-found"

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    app = service_under_test.create_app(settings.model_copy(update={"http_retries": 0}), configure_logs=False)
    app.state.upstreams["eligibility"].transport = httpx.MockTransport(down)
    app.state.upstreams["registry"].service_auth = StaticTokenAuth("service-token")
    async with app_client(app) as client:
        unavailable = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER}, headers=clerk)
        assert unavailable.status_code == 503
        assert unavailable.json()["code"] == "upstream-unavailable" and unavailable.headers["retry-after"]


async def test_without_service_credentials_a_hand_issue_is_503_naming_the_settings(client, auth):
    refused = await client.post("/v1/cards", json={"family_id": FAMILY, "member_id": MOTHER},
                                headers=auth(role="clerk", region="420102"))
    assert refused.status_code == 503
    assert refused.json()["code"] == "upstream-unavailable" and "AUTH__CLIENT_ID" in refused.json()["detail"]


async def test_the_follower_reads_the_feed_from_next_after_and_queues_its_families(client, settings, database_url):
    asked: list[str] = []

    def feed(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params["after"])
        asked.append(request.url.params["after"])
        assert request.headers["authorization"] == "Bearer service-token"
        items = [{"cursor": 41, "family_id": 5, "kind": "family_registered"},
                 {"cursor": 42, "family_id": 6, "kind": "event_recorded"}] if after == 0 else []
        return httpx.Response(200, json={"items": items, "next_after": 42 if after == 0 else after})

    registry = Upstream("registry", LABELS["registry"], "http://registry.test", service_auth=StaticTokenAuth("service-token"),
                        transport=httpx.MockTransport(feed))
    eligibility = Upstream("eligibility", LABELS["eligibility"], "http://eligibility.test",
                           service_auth=StaticTokenAuth("service-token"))
    database = Database(database_url)
    try:
        follower = Follower(database, RegistryClient(registry.as_service()), EligibilityClient(eligibility.as_service()),
                            settings)
        assert await follower.read_feed() == 2
        assert await follower.read_feed() == 0
        async with database.sessionmaker() as session:
            assert (await session.get(FeedCursor, "registry")).cursor == 42
            assert set((await session.scalars(select(PendingFamily.family_id))).all()) == {5, 6}
        assert asked == ["0", "42"]
    finally:
        await registry.aclose()
        await database.dispose()


async def test_a_desk_lookup_needs_no_other_service(client, issue_card, hospital, desk):
    await hospital()
    card_no = await issue_card(issued_on=date.today())
    # No upstream is configured to answer at all: the desk still answers from its own store.
    assert (await client.get(f"/v1/cards/{card_no}", headers=desk())).status_code == 200
