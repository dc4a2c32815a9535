"""Two replicas of every service behind nginx, on PostgreSQL: the cross-service flows, and one replica killed.

nginx (deploy/nginx/, Debian's package, run as an ordinary process under the test's directory)
listens once per service and spreads the requests over two processes of it; the replicas of a
service share one database, and every service calls the others through nginx. The flows are the
ones the other cross-service tests show on one process each: registration → cards (two
medical-priority followers, one card a member), batch → file → returns (twenty requests with one
Idempotency-Key, one batch), an import (run by the one replica that took it), the change feed
(nothing lost to a consumer polling while both registry replicas write), and a SIGKILL of one
replica of every service, after which the flows complete through the other. Then nginx alone, in
front of replicas that drop every request: what it sends again to another replica, and what not.
"""

from __future__ import annotations

import asyncio
import csv
import importlib.util
import io
import os
import re
import signal
import socket
import struct
import sys
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace

import httpx
import pytest

from tefu_common.calendar import today
from tefu_common.auth import SigningKey, write_key_files
from tefu_common.testing import bearer, migrated_database, mint_token

from .conftest import (ROOT, SERVICES, ServiceProcess, Suite, free_port, medical_priority_env, payments_credentials,
                       start_service)
from .families import id_number
from .test_medical_priority import cards_of, wait_for
from .test_payment_batches import every


def _balancer():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tefu_nginx_balancer", ROOT / "deploy" / "nginx" / "balancer.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


balancer = _balancer()

# Banks report the day they paid: after the batch was exported, never later than today (China).
def paid_on() -> str:
    """Today in China, read when a return file is made (a constant read at import goes stale at midnight)."""
    return today().isoformat()

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(os.environ.get("TEFU_TEST_DB", "postgresql") != "postgresql",
                       reason="replicas share one database per service: PostgreSQL only (an embedded SQLite file "
                              "belongs to one process)"),
    pytest.mark.skipif(balancer.nginx_binary() is None,
                       reason="nginx is not installed (Debian: apt-get install nginx; .ci/run installs it)"),
]

REGION = "420106"  # 武昌区
REPLICAS = 2


@dataclass
class Replicated(Suite):
    """The suite behind nginx: ``url`` is nginx's address for a service, ``replicas`` its processes."""

    nginx: balancer.Nginx | None = None
    replicas: dict[str, list[ServiceProcess]] = field(default_factory=dict)

    def url(self, name: str) -> str:
        assert self.nginx is not None
        return self.nginx.url(name)

    def logs(self, name: str) -> str:
        return "".join(replica.log() for replica in self.replicas[name])


@pytest.fixture(scope="module")
def replicated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Replicated]:
    base = tmp_path_factory.mktemp("replicas")
    keys_dir = base / "keys"
    # Every key the replicas sign with exists before they start: both replicas sign with the same.
    for name in ("issuer", "payments-file", "ecard"):
        write_key_files(keys_dir, name=name)
    # nginx listens at once, so that every service can be given the others' addresses; each
    # upstream points nowhere until its replicas are up (each on a port chosen as it starts).
    nowhere = free_port()
    upstreams = [balancer.Upstream(name, free_port(), (nowhere,), balancer.KEYED_POSTS.get(name, ()))
                 for name in SERVICES]
    with ExitStack() as stack:
        urls = {name: stack.enter_context(migrated_database(name.replace("-", "_"), base,
                                                            ROOT / "services" / directory / "alembic.ini"))
                for name, (directory, _, _) in SERVICES.items()}
        running = Replicated(keys_dir, SigningKey.load(keys_dir / "issuer-ed25519.pem"), urls, base,
                             nginx=balancer.Nginx(upstreams, base / "nginx"))
        running.nginx.start()
        stack.callback(running.nginx.stop)
        try:
            registry = running.url("registry")
            for name in SERVICES:
                env = running.env_for(name, registry)
                if name == "registry":
                    env["TEFU_REGISTRY_ELIGIBILITY_URL"] = running.url("eligibility")
                    env["TEFU_REGISTRY_TRUSTED_PROXIES"] = '["127.0.0.1"]'
                if name == "payments":
                    env.update(payments_credentials(running, registry))
                    env["TEFU_PAYMENTS_ELIGIBILITY_URL"] = running.url("eligibility")
                    env["TEFU_PAYMENTS_FILE_SIGNING_KEY_FILE"] = str(keys_dir / "payments-file-ed25519.pem")
                if name == "medical-priority":
                    env.update(medical_priority_env(running, registry, running.url("eligibility")))
                if name == "supervision":
                    env.update({f"TEFU_SUPERVISION_{other.replace('-', '_').upper()}_URL": running.url(other)
                                for other in ("eligibility", "payments", "medical-priority")})
                running.replicas[name] = []
                for _ in range(REPLICAS):
                    running.replicas[name].append(start_service(name, env, base))
                ports = tuple(replica.port for replica in running.replicas[name])
                running.nginx.reload([replace(u, replicas=ports) if u.name == name else u
                                      for u in running.nginx.upstreams])
                wait_for(f"nginx serving {name}'s replicas",
                         lambda: _answers(f"{running.url(name)}/readyz"))
            yield running
        finally:
            for processes in running.replicas.values():
                for process in processes:
                    process.stop()


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def clerk_token(running: Replicated, subject: str = "clerk-wu") -> str:
    return mint_token(running.signing_key, role="clerk", region=REGION, subject=subject)


def family_body(serial: int) -> dict:
    """A couple whose only child died; the mother has a bank account (paid), the father none."""
    return {
        "region_code": REGION, "hukou_type": "urban", "address": f"武昌区某街道 {serial} 号",
        "honor_certificate": {"number": f"GRZ-R{serial}", "issued_on": "1991-01-05"},
        "mother": {"name": "陈秀英", "id_number": id_number(REGION, "1962-04-10", serial * 2),
                   "bank_account": {"bank": "中国工商银行武昌支行", "account_number": f"62220210{serial:011d}",
                                    "holder": "陈秀英"}},
        "father": {"name": "刘建国", "id_number": id_number(REGION, "1960-09-01", serial * 2 + 1)},
        "child": {"name": "刘小明", "birth_date": "1988-02-01"},
        "events": [{"kind": "child_died", "occurred_on": "2019-03-10"}],
    }


async def register_all(running: Replicated, serials: range) -> list[dict]:
    headers = bearer(clerk_token(running))
    async with httpx.AsyncClient(timeout=60) as client:
        answers = await asyncio.gather(*(client.post(f"{running.url('registry')}/v1/families",
                                                     json=family_body(serial), headers=headers) for serial in serials))
    assert [a.status_code for a in answers] == [201] * len(answers), [a.text for a in answers if a.status_code != 201]
    return [a.json() for a in answers]


def answered_by(running: Replicated, service: str, request: str) -> set[str]:
    """The replicas (host:port) nginx's log says answered ``request`` ("POST /v1/families")."""
    upstream = next(u for u in running.nginx.upstreams if u.name == service)
    lines = [line for line in running.nginx.log().splitlines() if f'"{request}' in line]
    found = {m for line in lines for m in re.findall(r"upstream=(\S+)", line)}
    ports = {f"127.0.0.1:{port}" for port in upstream.replicas}
    return {address for entry in found for address in entry.split(", ") if address in ports}


def followed(running: Replicated, serial: int) -> None:
    """A family registered now gets its cards: then the followers are past every change before it."""
    clerk = bearer(clerk_token(running))
    sentinel = registered_one(running, serial)
    wait_for("the last family's cards",
             lambda: len(cards_of(running.url("medical-priority"), clerk, sentinel["id"], "active")) == 2)


def one_card_each(running: Replicated, families: list[dict], *, active: bool = True) -> None:
    """Each parent holds one card, never two (active, or revoked with ``active=False``)."""
    clerk = bearer(clerk_token(running))
    for family in families:
        held = cards_of(running.url("medical-priority"), clerk, family["id"])
        members = [card["holder"]["member_id"] for card in held]
        assert len(held) == 2 and len(set(members)) == 2, held
        assert {card["holder"]["role"] for card in held} == {"mother", "father"}
        assert {card["status"] for card in held} == ({"active"} if active else {"revoked"}), held


def registered_one(running: Replicated, serial: int) -> dict:
    response = httpx.post(f"{running.url('registry')}/v1/families", json=family_body(serial),
                          headers=bearer(clerk_token(running)), timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


async def test_registrations_through_nginx_get_one_card_a_member(replicated):
    families = await register_all(replicated, range(1, 13))
    # nginx spread them over both registry replicas, and both medical-priority followers run.
    assert len(answered_by(replicated, "registry", "POST /v1/families")) == REPLICAS
    followed(replicated, 450)
    one_card_each(replicated, families)

    # The request id passes through nginx both ways: the caller's, or one nginx makes.
    whoami = f"{replicated.url('registry')}/v1/whoami"
    mine = httpx.get(whoami, headers={**bearer(clerk_token(replicated)), "X-Request-ID": "desk-4711-a"})
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "desk-4711-a"
    wait_for("the replica's log line of it", lambda: '"request_id":"desk-4711-a"' in replicated.logs("registry"))
    made = httpx.get(whoami, headers=bearer(clerk_token(replicated))).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    wait_for("nginx's log line of it", lambda: f"request_id={made}" in replicated.nginx.log())
    wait_for("the replica's log line of it", lambda: f'"request_id":"{made}"' in replicated.logs("registry"))


async def test_no_change_is_lost_to_a_consumer_polling_while_both_registry_replicas_write(replicated):
    registry = replicated.url("registry")
    headers = bearer(clerk_token(replicated))
    start = httpx.get(f"{registry}/v1/changes", params={"after": 0, "limit": 1000}, headers=headers).json()
    position = start["next_after"]
    while True:  # to the end of what is there now
        page = httpx.get(f"{registry}/v1/changes", params={"after": position, "limit": 1000}, headers=headers).json()
        if page["next_after"] == position:
            break
        position = page["next_after"]
    seen: list[int] = []
    writing = True

    async def poll(client: httpx.AsyncClient) -> None:
        nonlocal position
        while True:
            still_writing = writing
            page = (await client.get(f"{registry}/v1/changes", params={"after": position, "limit": 1000},
                                     headers=headers)).json()
            seen.extend(item["cursor"] for item in page["items"])
            position = page["next_after"]
            if not still_writing and not page["items"]:
                return
            await asyncio.sleep(0.01)

    async def write(client: httpx.AsyncClient) -> list[dict]:
        nonlocal writing
        try:
            posted = await asyncio.gather(*(client.post(f"{registry}/v1/families", json=family_body(serial),
                                                        headers=headers) for serial in range(100, 140)))
            assert [p.status_code for p in posted] == [201] * len(posted), [p.text for p in posted]
            families = [p.json() for p in posted]
            died = await asyncio.gather(*(client.post(f"{registry}/v1/families/{family['id']}/events", headers=headers,
                                                      json={"kind": "later_child_born", "occurred_on": "2021-01-15"})
                                          for family in families[:20]))
            assert [d.status_code for d in died] == [201] * len(died), [d.text for d in died]
            return families
        finally:
            writing = False

    async with httpx.AsyncClient(timeout=60) as client:
        families, _ = await asyncio.gather(write(client), poll(client))
    # Everything there now, read again from where the poller started: the poller saw all of it, in order.
    after_start = [c for c in every_change(registry, headers) if c["cursor"] > start["next_after"]]
    assert seen == [c["cursor"] for c in after_start]
    assert seen == sorted(set(seen))
    assert {family["id"] for family in families} <= {c["family_id"] for c in after_start}
    # The cards followed all of it: the twenty families with a later birth hold none active (their
    # cards were revoked, or never issued if the birth came first), the others one a parent.
    followed(replicated, 451)
    clerk = bearer(clerk_token(replicated))
    for family in families[:20]:
        held = cards_of(replicated.url("medical-priority"), clerk, family["id"])
        assert len(held) in (0, 2) and {card["status"] for card in held} <= {"revoked"}, held
    one_card_each(replicated, families[20:])


def every_change(registry: str, headers: dict[str, str]) -> list[dict]:
    changes, after = [], 0
    while True:
        page = httpx.get(f"{registry}/v1/changes", params={"after": after, "limit": 1000}, headers=headers).json()
        changes += page["items"]
        if page["next_after"] == after:
            return changes
        after = page["next_after"]


async def keyed_batch(running: Replicated, period: str, key: str, parallel: int) -> dict:
    """``parallel`` requests at once with one Idempotency-Key, each retried while the build is going on."""
    payments = running.url("payments")
    headers = {**bearer(clerk_token(running)), "Idempotency-Key": key}
    body = {"region_code": REGION, "benefits": ["special_assistance"], "period": period, "agency_id": "ICBC-R"}

    async def until_answered(client: httpx.AsyncClient) -> list[httpx.Response]:
        answers = [await client.post(f"{payments}/v1/batches", json=body, headers=headers)]
        while answers[-1].status_code == 409:
            assert answers[-1].json()["code"] in ("idempotency-key-in-use", "batch-being-built"), answers[-1].text
            await asyncio.sleep(0.2)
            answers.append(await client.post(f"{payments}/v1/batches", json=body, headers=headers))
        return answers

    async with httpx.AsyncClient(timeout=120) as client:
        tries = await asyncio.gather(*(until_answered(client) for _ in range(parallel)))
    last = [answers[-1] for answers in tries]
    assert {a.status_code for a in last} <= {200, 201}, [a.text for a in last]
    assert [a.status_code for a in last].count(201) == 1  # one request built it; the others got it back
    assert len({a.json()["id"] for a in last}) == 1
    batch = last[0].json()
    listed = [b for b in every(f"{payments}/v1/batches", bearer(clerk_token(running))) if b["period"] == period]
    assert [b["id"] for b in listed] == [batch["id"]]
    return batch


def file_and_returns(running: Replicated, batch: dict) -> None:
    """Submit, approve, the bank's file, and its return: every line paid."""
    payments = running.url("payments")
    clerk = bearer(clerk_token(running))
    url = f"{payments}/v1/batches/{batch['id']}"
    assert httpx.post(f"{url}/submit", headers=clerk).json()["status"] == "submitted"
    approver = bearer(mint_token(running.signing_key, role="approver", region=REGION, subject="chief-li"))
    approved = httpx.post(f"{url}/approve", headers=approver)
    assert approved.status_code == 200, approved.text
    bank = bearer(mint_token(running.signing_key, role="agency", region="420000", agency="ICBC-R"))
    pulled = httpx.get(f"{url}/file", headers=bank, timeout=60)
    assert pulled.status_code == 200, pulled.text
    rows = list(csv.reader(io.StringIO(pulled.content.decode("utf-8"))))[1:-1]
    assert len(rows) == batch["line_count"] > 0
    # Both replicas serve the same bytes (the same key signs the manifest on each).
    assert all(httpx.get(f"{url}/file", headers=bank).content == pulled.content for _ in range(REPLICAS))
    back = "流水号,结果,失败原因,发放日期\r\n" + "".join(f"{row[0]},成功,,{paid_on()}\r\n" for row in rows)
    posted = httpx.post(f"{url}/returns", headers=bank, files={"file": ("back.csv", back.encode("gbk"))}, timeout=60)
    assert posted.status_code == 200, posted.text
    assert (posted.json()["status"], posted.json()["paid"]) == ("reconciled", len(rows))


async def test_twenty_keyed_requests_over_two_replicas_build_one_batch_then_file_and_returns(replicated):
    admin = bearer(mint_token(replicated.signing_key, role="admin", region="420000"))
    agency = httpx.post(f"{replicated.url('payments')}/v1/agencies", headers=admin,
                        json={"id": "ICBC-R", "name": "中国工商银行武昌支行", "region_code": "420000"})
    assert agency.status_code == 201, agency.text
    batch = await keyed_batch(replicated, "2020-06", "wc-replicas-2020-06", 20)
    assert len(answered_by(replicated, "payments", "POST /v1/batches")) == REPLICAS
    file_and_returns(replicated, batch)


def import_rows(count: int, start: int, born: str) -> bytes:
    """``count`` families, the parents born on ``born`` (a day no other family's parents were born on)."""
    headers = ["户籍地区划代码", "户口性质", "母亲姓名", "母亲身份证号", "母亲银行账号", "母亲开户银行",
               "父亲姓名", "父亲身份证号", "子女姓名", "子女出生日期", "子女死亡日期"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    for i in range(start, start + count):
        writer.writerow([REGION, "城镇", "张秀兰", id_number(REGION, born, i * 2), f"62284800{i:011d}",
                         "中国农业银行", "王建国", id_number(REGION, born, i * 2 + 1), "王明", "1982-01-01",
                         "2018-05-05"])
    return buffer.getvalue().encode("utf-8")


async def one_import(running: Replicated, content: bytes, parallel: int) -> dict:
    """The same file uploaded ``parallel`` times at once, over both replicas: one job, run once."""
    registry = running.url("registry")
    headers = bearer(clerk_token(running))
    async with httpx.AsyncClient(timeout=120) as client:
        answers = await asyncio.gather(*(client.post(f"{registry}/v1/imports", headers=headers,
                                                     files={"file": ("families.csv", content, "text/csv")})
                                         for _ in range(parallel)))
    assert sorted(a.status_code for a in answers) == [200] * (parallel - 1) + [202], [a.text for a in answers]
    [job_id] = {a.json()["id"] for a in answers}
    job = wait_for(f"import {job_id} finished", lambda: (found := httpx.get(
        f"{registry}/v1/imports/{job_id}", headers=headers).json())["status"] in ("finished", "failed") and found)
    assert job["status"] == "finished", job
    # Taken by one replica only: the job was checked once, and no second run found its rows
    # already registered (which it would report, row by row, as duplicates).
    wait_for("the replica's log line", lambda: f"import {job_id}: checking rows" in running.logs("registry"))
    assert running.logs("registry").count(f"import {job_id}: checking rows") == 1
    issues = httpx.get(f"{registry}/v1/imports/{job_id}/issues", headers=headers).json()
    assert issues["items"] == [], issues
    return job


async def test_an_import_sent_to_both_replicas_at_once_is_one_job_run_by_one(replicated):
    job = await one_import(replicated, import_rows(300, 100, "1957-03-03"), parallel=16)
    assert (job["status"], job["total_rows"], job["accepted_rows"], job["duplicate_rows"], job["rejected_rows"]) == (
        "finished", 300, 300, 0, 0)


async def test_a_replica_of_every_service_killed_midway_the_flows_complete_through_the_other(replicated):
    clerk = bearer(clerk_token(replicated))
    reads = {"registry": "/v1/families", "eligibility": "/v1/whoami", "payments": "/v1/batches",
             "medical-priority": "/v1/cards", "supervision": "/v1/whoami"}

    async def read_while_killing(client: httpx.AsyncClient) -> list[httpx.Response]:
        return await asyncio.gather(*(client.get(f"{replicated.url(name)}{path}", headers=clerk)
                                      for _ in range(10) for name, path in reads.items()))

    async def kill_one_of_each() -> None:
        await asyncio.sleep(0.05)
        for name in SERVICES:
            victim = replicated.replicas[name][0]
            victim.process.send_signal(signal.SIGKILL)
            victim.process.wait()

    async with httpx.AsyncClient(timeout=60) as client:
        answers, _ = await asyncio.gather(read_while_killing(client), kill_one_of_each())
        # Reads are sent again to the replica that is left: not one of them failed.
        assert [a.status_code for a in answers] == [200] * len(answers), [a.text for a in answers if a.status_code != 200]
        after = await read_while_killing(client)
        assert [a.status_code for a in after] == [200] * len(after)
    # nginx's log shows why: requests it first sent to a killed replica, then to the one left.
    for name, processes in replicated.replicas.items():
        retried = f"upstream=127.0.0.1:{processes[0].port}, 127.0.0.1:{processes[1].port} "
        assert retried in replicated.nginx.log(), name

    # Registration → cards: the follower left takes the feed over.
    families = await register_all(replicated, range(300, 306))
    followed(replicated, 452)
    one_card_each(replicated, families)
    # Batch → file → returns, for the next month, with the same twenty keyed requests.
    batch = await keyed_batch(replicated, "2020-07", "wc-replicas-2020-07", 20)
    file_and_returns(replicated, batch)
    # An import.
    job = await one_import(replicated, import_rows(50, 100, "1958-08-08"), parallel=3)
    assert (job["status"], job["accepted_rows"], job["duplicate_rows"]) == ("finished", 50, 0)
    # Supervision gathers every figure from the others through nginx: they agree with the flows.
    inspector = bearer(mint_token(replicated.signing_key, role="auditor", region="420000", subject="inspector"))
    report = httpx.get(f"{replicated.url('supervision')}/v1/supervision", params={"region": REGION, "period": "2020"},
                       headers=inspector, timeout=120)
    assert report.status_code == 200, report.text
    assert {source["service"] for figure in ("families", "disbursement", "cards", "entitled")
            for source in report.json()["figures"][figure]["sources"]} == {
        "registry", "payments", "medical-priority", "eligibility"}
    assert all(process.process.poll() is None for processes in replicated.replicas.values()
               for process in processes[1:])


class DyingReplica:
    """A replica that reads each request in full and dies before answering: the connection drops."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.received: list[str] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            with connection:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = connection.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                while length and len(body) < int(length.group(1)):
                    body += connection.recv(65536)
                if head:
                    self.received.append(head.split(b"\r\n", 1)[0].decode())
                connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST

    def close(self) -> None:
        self.sock.close()


def test_nginx_sends_a_request_again_only_when_that_is_safe(tmp_path):
    """Both replicas die on every request they get. nginx tries the second only for a request that
    may be repeated: a GET, or a POST with an Idempotency-Key to a route that honours it; a POST
    without one (a registration, a bank's return) reached one replica and is never sent to another."""
    replicas = [DyingReplica(), DyingReplica()]
    try:
        # max_fails=0: a replica that failed stays in, so that each request below meets both.
        nginx = balancer.Nginx([balancer.Upstream("payments", free_port(), tuple(r.port for r in replicas),
                                                  balancer.KEYED_POSTS["payments"])],
                               tmp_path / "nginx", options={"max_fails": 0})
        nginx.start()
        try:
            url = nginx.url("payments")

            def tried(method: str, path: str, **kwargs) -> int:
                before = sum(len(r.received) for r in replicas)
                answer = httpx.request(method, f"{url}{path}", timeout=30, **kwargs)
                assert answer.status_code == 502, answer.text
                return sum(len(r.received) for r in replicas) - before

            body = {"region_code": REGION, "period": "2020-06"}
            assert tried("GET", "/v1/batches") == 2
            assert tried("POST", "/v1/batches", json=body) == 1
            assert tried("POST", "/v1/batches", json=body, headers={"Idempotency-Key": "k-1"}) == 2
            # The key counts only where the service honours it.
            assert tried("POST", "/v1/batches/7/returns", content=b"x" * 1000, headers={"Idempotency-Key": "k-2"}) == 1
            assert tried("PATCH", "/v1/batches", json=body, headers={"Idempotency-Key": "k-3"}) == 1
        finally:
            nginx.stop()
    finally:
        for replica in replicas:
            replica.close()


def test_nginx_takes_an_import_of_50_mb_and_refuses_more(tmp_path):
    """The registry takes files of up to 50 MB; nginx lets them through, and stops what no service takes."""
    replicas = [DyingReplica()]
    try:
        nginx = balancer.Nginx([balancer.Upstream("registry", free_port(), (replicas[0].port,))], tmp_path / "nginx")
        nginx.start()
        try:
            url = f"{nginx.url('registry')}/v1/imports"
            fifty = httpx.post(url, files={"file": ("families.csv", b"x" * (50 * 1024 * 1024), "text/csv")}, timeout=60)
            assert fifty.status_code == 502  # passed on (and the replica dropped it)
            assert replicas[0].received == ["POST /v1/imports HTTP/1.1"]
            more = httpx.post(url, files={"file": ("families.csv", b"x" * (53 * 1024 * 1024), "text/csv")}, timeout=60)
            assert more.status_code == 413
            assert len(replicas[0].received) == 1
        finally:
            nginx.stop()
    finally:
        replicas[0].close()
