"""Benchmark: a register's priority cards reconciled from nothing by a bulk pass, beside the facts stream alone.

    .venv/bin/python bench/card_sync.py [--families 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                        [--changes-per-second 2]

Fills a scratch registry database with N families straight in SQL (two parents, the only child,
a death or a disability certificate at levels 1–4, some later children and parents' deaths, in
five counties of four jurisdictions: Hubei, Hunan, Jiading, Zhoucun; names and ID numbers
encrypted with the registry's key), starts the registry, the eligibility service and the
medical-priority service as real uvicorn processes on scratch databases, and measures in one run:

1. the baseline: ``GET /v1/facts?region=000000`` read alone from the registry over HTTP
   (families/s): what the register can hand out at all;
2. the bulk pass: the medical-priority service's first follow of the register (its standing
   stream from eligibility over the facts stream, the identities from the registry, cards
   written), from its start to its last batch (families/s, cards issued, as its log reports);
3. while the pass runs: new families registered over the API, two a second by default (some
   170,000 a day, far beyond a province's real rate, and a load on every service the pass
   shares the machine with), each timed from its registration's answer to its card being
   committed (p50, p99, max): fresh changes must not wait behind bulk work;
4. the peak resident memory of each process, sampled through the run.

Ends with the line ``card_sync families_per_s=<n> facts_stream_families_per_s=<m>``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path

import httpx

from cpu import cpu_seconds, machine_busy_seconds
from scratch import connect, registry_database, service_database
from tuned_server import add_server_options, server_url

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ["420102", "420106", "430102", "310114", "370306"]
# Regions cycle with the family id; the later children and the parents' deaths fall on some families.
FILL = """
INSERT INTO family (id, region_code, registered_region_code, hukou_type, address, honor_certificate_no,
                    honor_certificate_date, special_family, created_at, created_by, updated_at, version)
SELECT g, r.code, r.code, CASE WHEN g % 2 = 0 THEN 'urban' ELSE 'rural' END, NULL, 'GRZ-' || g,
       DATE '1990-01-01' + (g % 3000), true, now(), 'bench', now(), 1
FROM generate_series(1, $1) AS g
JOIN (SELECT code, row_number() OVER () - 1 AS n FROM unnest($2::text[]) AS code) r ON r.n = g % 5;
INSERT INTO member (family_id, role, name, name_index, id_number, id_number_index, id_number_last4, birth_date, sex,
                    adopted, joined_on, in_resident_pension, monthly_basic_pension, death_date)
SELECT f, role, ($2::text[])[1 + (f + length(role)) % 1000], ($3::text[])[1 + (f + length(role)) % 1000],
       ($4::text[])[1 + (f + length(role)) % 1000], md5(f::text || role || 'id'), lpad((f % 10000)::text, 4, '0'),
       CASE role WHEN 'mother' THEN DATE '1950-01-01' + (f % 9000) WHEN 'father' THEN DATE '1948-01-01' + (f % 9000)
                 ELSE DATE '1978-01-01' + (f % 9000) END,
       CASE role WHEN 'mother' THEN 'female' ELSE 'male' END, false,
       CASE role WHEN 'child' THEN DATE '1978-01-01' + (f % 9000) END,
       role <> 'child' AND f % 3 <> 0, CASE WHEN role <> 'child' AND f % 3 <> 0 THEN 150 + f % 100 END,
       CASE WHEN role = 'father' AND f % 13 = 0 THEN DATE '2021-03-01' + (f % 900) END
FROM generate_series(1, $1) AS f, unnest(ARRAY['mother', 'father', 'child']) AS role;
INSERT INTO life_event (family_id, kind, occurred_on, member_role, details, recorded_at, recorded_by)
SELECT f, CASE WHEN f % 5 < 3 THEN 'child_died' ELSE 'disability_certified' END, DATE '2005-01-01' + (f % 6000),
       'child', CASE WHEN f % 5 < 3 THEN '{}'::json ELSE json_build_object('category', '4', 'level', 1 + f % 4) END,
       now(), 'bench'
FROM generate_series(1, $1) AS f;
INSERT INTO life_event (family_id, kind, occurred_on, member_role, details, recorded_at, recorded_by)
SELECT f, 'parent_died', DATE '2021-03-01' + (f % 900), 'father', '{}'::json, now(), 'bench'
FROM generate_series(13, $1, 13) AS f;
INSERT INTO life_event (family_id, kind, occurred_on, member_role, details, recorded_at, recorded_by)
SELECT f, 'later_child_born', DATE '2022-01-01', NULL, '{"assisted_reproduction": true}'::json, now(), 'bench'
FROM generate_series(1, $1, 20) AS f;
SELECT setval('family_id_seq', $1);
SELECT setval('member_id_seq', (SELECT max(id) FROM member));
"""


async def fill(url: str, families: int) -> None:
    """The register: FILL, with a thousand encrypted identities (the registry decrypts what it hands out)."""
    from tefu_common.app import configure_encryption
    from tefu_common.field_crypto import get_blind_index, get_field_cipher
    from tefu_registry.settings import RegistrySettings

    configure_encryption(RegistrySettings())
    cipher, index = get_field_cipher(), get_blind_index()
    surnames, given = "王李张刘陈杨赵黄周吴", "秀英建国桂兰志强玉珍德明淑华"
    names = [surnames[i % 10] + given[(i // 10) % 14] + given[(i // 140) % 14] for i in range(1000)]
    ids = [f"420102{1950 + i % 40}{(i % 12) + 1:02d}{(i % 28) + 1:02d}{i % 1000:03d}X" for i in range(1000)]
    encrypted_names = [cipher.encrypt(n, context="member.name") for n in names]
    name_indexes = [index.compute(n, context="member.name") for n in names]
    encrypted_ids = [cipher.encrypt(i, context="member.id_number") for i in ids]
    db = await connect(url)
    try:
        for statement in FILL.split(";\n"):
            if not statement.strip():
                continue
            if "$4" in statement:
                await db.execute(statement, families, encrypted_names, name_indexes, encrypted_ids)
            elif "$2" in statement:
                await db.execute(statement, families, REGIONS)
            elif "$1" in statement:
                await db.execute(statement, families)
            else:
                await db.execute(statement)
        # As a register built over the years is: vacuumed and analysed. Otherwise autovacuum (on in a
        # real server, deploy/postgres/tefu.conf) would be catching up on the synthetic fill meanwhile.
        await db.execute("VACUUM ANALYZE")
    finally:
        await db.close()


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children(pid: int) -> list[int]:
    found: list[int] = []
    for listing in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(child) for child in listing.read_text().split()]
        except (FileNotFoundError, ValueError):
            pass
    return found


class Processes:
    def __init__(self, keys: Path, log_dir: Path) -> None:
        self.keys, self.log_dir = keys, log_dir
        self.running: dict[str, subprocess.Popen] = {}
        self.peak: dict[str, int] = {}
        self.cpu: dict[str, float] = {}  # CPU seconds each process has used, as last sampled

    def start(self, name: str, module: str, port: int, env: dict[str, str]) -> str:
        log = (self.log_dir / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app", "--port", str(port),
             "--log-level", "warning"], cwd=ROOT, env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
            stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            if self.running[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.log_dir / f'{name}.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    return base
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} did not become ready")

    def sample(self) -> None:
        for name, process in self.running.items():
            self.peak[name] = max(self.peak.get(name, 0), rss_kb(process.pid))
            self.cpu[name] = max(self.cpu.get(name, 0.0), cpu_seconds(process.pid))
            for child in children(process.pid):  # the medical-priority service's bulk pass, in a process of its own
                label = f"{name} (child)"
                self.peak[label] = max(self.peak.get(label, 0), rss_kb(child))
                self.cpu[label] = max(self.cpu.get(label, 0.0), cpu_seconds(child))

    def stop(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def sampler(processes: Processes, stop: asyncio.Event) -> None:
    while not stop.is_set():
        processes.sample()
        try:
            await asyncio.wait_for(stop.wait(), 0.25)
        except asyncio.TimeoutError:
            pass


async def facts_alone(base: str, token: str) -> tuple[int, float]:
    count = 0
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=None) as client:
        async with client.stream("GET", f"{base}/v1/facts", params={"region": "000000"},
                                 headers={"Authorization": f"Bearer {token}"}) as response:
            response.raise_for_status()
            async for block in response.aiter_raw():
                count += block.count(b"\n")
    return count, time.perf_counter() - started


class BulkPasses:
    """The bulk passes the service's log reports, read as the log grows (the bench polls it several
    times a second: reading the whole log again each time would cost as much as the service's work)."""

    def __init__(self, log: Path) -> None:
        self.log, self.offset, self.found = log, 0, []

    def read(self) -> list[dict]:
        with self.log.open("rb") as stream:
            stream.seek(self.offset)
            data = stream.read()
        complete = data[:data.rfind(b"\n") + 1]  # a line half-written stays for the next read
        self.offset += len(complete)
        for line in complete.decode("utf-8", errors="replace").splitlines():
            if '"bulk"' in line and "bulk pass" in line:
                try:
                    self.found.append(json.loads(line)["bulk"])
                except (ValueError, KeyError):
                    pass
        return self.found


def registration(serial: int) -> dict:
    from tefu_common.resident_id import check_character

    def id_number(birth: str, sequence: int) -> str:
        first17 = f"420102{birth.replace('-', '')}{sequence:03d}"
        return first17 + check_character(first17)

    # Distinct parents for every serial: the birth day and the sequence code (even for a woman) vary.
    day = date(1955, 1, 1) + timedelta(days=serial // 500 % 5000)
    return {"region_code": "420102", "hukou_type": "urban", "address": "江岸区某街道 1 号",
            "honor_certificate": {"number": f"GRZ-F{serial}", "issued_on": "1990-01-05"},
            "mother": {"name": "李秀英", "id_number": id_number(day.isoformat(), serial % 500 * 2)},
            "father": {"name": "王建国", "id_number": id_number((day - timedelta(days=400)).isoformat(), serial % 500 * 2 + 1)},
            "child": {"name": "王小明", "birth_date": "1988-05-01"},
            "events": [{"kind": "child_died", "occurred_on": "2016-04-02"}]}


async def fresh_changes(registry: str, cards_db: str, clerk: str, rate: float, stop: asyncio.Event,
                        latencies: list[float]) -> None:
    """Register a family every 1/rate s while the pass runs; time each until its card is committed.

    The card is looked for in the service's database, not through its API: polling ``GET
    /v1/cards`` for each family in flight, ten times a second, was a load of its own on the service
    measured (each a logged read), and grew with the very latency it measured."""
    headers = {"Authorization": f"Bearer {clerk}"}
    serial = random.randint(0, 10**6) * 1000
    database = await connect(cards_db)
    lock = asyncio.Lock()  # one connection, one query at a time

    async def one(client: httpx.AsyncClient, serial: int) -> None:
        response = await client.post(f"{registry}/v1/families", json=registration(serial), headers=headers)
        if response.status_code != 201:
            print(f"registration refused: {response.status_code} {response.text[:200]}", flush=True)
            return
        family_id = response.json()["id"]
        registered = time.perf_counter()
        while True:
            async with lock:
                found = await database.fetchval("SELECT 1 FROM card WHERE family_id = $1 LIMIT 1", family_id)
            if found:
                latencies.append(time.perf_counter() - registered)
                return
            await asyncio.sleep(0.05)  # the latency is over-stated by at most this

    async with httpx.AsyncClient(timeout=60) as client:
        tasks = []
        while not stop.is_set():
            serial += 1
            tasks.append(asyncio.create_task(one(client, serial)))
            try:
                await asyncio.wait_for(stop.wait(), 1 / rate)
            except asyncio.TimeoutError:
                pass
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), 120)
        finally:
            await database.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1_000_000)
    add_server_options(parser)
    parser.add_argument("--changes-per-second", type=float, default=2.0)
    parser.add_argument("--port", type=int, default=8191, help="first of three ports")
    args = parser.parse_args()
    from tefu_common.auth import SigningKey, write_key_files
    from tefu_common.testing import mint_token

    name = f"tefu-bench-sync-{os.getpid()}"
    keys = Path(f"/tmp/{name}-keys")
    log_dir = Path(f"/tmp/{name}-logs")
    log_dir.mkdir(parents=True, exist_ok=True)
    write_key_files(keys)
    write_key_files(keys, name="ecard")
    signing = SigningKey.load(keys / "issuer-ed25519.pem")
    processes = Processes(keys, log_dir)
    ports = {"registry": args.port, "eligibility": args.port + 1, "medical-priority": args.port + 2}
    urls = {n: f"http://127.0.0.1:{p}" for n, p in ports.items()}
    scratch = ExitStack()
    stop = asyncio.Event()
    watch = None
    try:
        args.pg = server_url(args, scratch)
        registry_url = scratch.enter_context(registry_database(args.pg))
        eligibility_url = scratch.enter_context(service_database(args.pg, "eligibility"))
        cards_url = scratch.enter_context(service_database(args.pg, "medical-priority"))
        print(f"filling {args.families:,} families ...", flush=True)
        started = time.perf_counter()
        await fill(registry_url, args.families)
        print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)
        common = {"LOG_LEVEL": "INFO", "TEFU_REGISTRY_LOG_LEVEL": "WARNING", "TEFU_ELIGIBILITY_LOG_LEVEL": "WARNING"}
        processes.start("registry", "tefu_registry.main", ports["registry"], {
            **common, "TEFU_REGISTRY_DATABASE_URL": registry_url,
            "TEFU_REGISTRY_SIGNING_KEY_FILE": str(keys / "issuer-ed25519.pem"),
            "TEFU_REGISTRY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json"),
            "TEFU_REGISTRY_ELIGIBILITY_URL": urls["eligibility"]})
        processes.start("eligibility", "tefu_eligibility.main", ports["eligibility"], {
            **common, "TEFU_ELIGIBILITY_DATABASE_URL": eligibility_url, "TEFU_ELIGIBILITY_REGISTRY_URL": urls["registry"],
            "TEFU_ELIGIBILITY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json")})
        watch = asyncio.create_task(sampler(processes, stop))
        service = mint_token(signing, role="service", region="000000")

        count, seconds = await facts_alone(urls["registry"], service)
        facts_rate = count / seconds
        facts_peak = dict(processes.peak)
        print(f"facts stream alone: {count:,} families in {seconds:.1f} s ({facts_rate:,.0f}/s)", flush=True)

        admin = mint_token(signing, role="admin", region="000000")
        client = httpx.post(f"{urls['registry']}/v1/oauth-clients", headers={"Authorization": f"Bearer {admin}"},
                            json={"client_id": "medical-priority-service", "role": "service", "region": "000000"})
        client.raise_for_status()
        processes.peak.clear()
        processes.sample()
        cpu_before = dict(processes.cpu)
        busy_before = machine_busy_seconds()
        started = time.perf_counter()
        processes.start("medical-priority", "tefu_medical_priority.main", ports["medical-priority"], {
            "TEFU_MEDICAL_PRIORITY_LOG_LEVEL": "INFO", "TEFU_MEDICAL_PRIORITY_DATABASE_URL": cards_url,
            "TEFU_MEDICAL_PRIORITY_REGISTRY_URL": urls["registry"], "TEFU_MEDICAL_PRIORITY_ELIGIBILITY_URL": urls["eligibility"],
            "TEFU_MEDICAL_PRIORITY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json"),
            "TEFU_MEDICAL_PRIORITY_AUTH__TOKEN_URL": f"{urls['registry']}/oauth/token",
            "TEFU_MEDICAL_PRIORITY_AUTH__CLIENT_ID": "medical-priority-service",
            "TEFU_MEDICAL_PRIORITY_AUTH__CLIENT_SECRET": client.json()["client_secret"],
            "TEFU_MEDICAL_PRIORITY_ECARD_KEY_DIR": str(keys), "TEFU_MEDICAL_PRIORITY_FOLLOW_INTERVAL_SECONDS": "0.5"})
        # A pass over a large register outlasts the default ten-minute token: registrations go on until its end.
        clerk = mint_token(signing, role="clerk", region="420102", ttl_seconds=4 * 3600)
        latencies: list[float] = []
        changes = asyncio.create_task(fresh_changes(urls["registry"], cards_url, clerk,
                                                    args.changes_per_second, stop, latencies))
        log = log_dir / "medical-priority.log"
        passes = BulkPasses(log)
        while not [p for p in passes.read() if p["families"] >= args.families]:
            if processes.running["medical-priority"].poll() is not None:
                raise RuntimeError(f"medical-priority exited: {log.read_text()[-3000:]}")
            await asyncio.sleep(0.2)
        wall = time.perf_counter() - started
        processes.sample()
        busy = machine_busy_seconds() - busy_before
        cpu = {name: seconds - cpu_before.get(name, 0.0) for name, seconds in processes.cpu.items()}
        stop.set()
        await changes
        bulk = [p for p in passes.read() if p["families"] >= args.families][0]
    finally:
        stop.set()
        if watch is not None:
            await watch
        processes.stop()
        scratch.close()

    rate = bulk["families"] / bulk["seconds"]
    print()
    print(f"{'':44}{'families':>10}{'seconds':>10}{'families/s':>12}")
    print(f"{'GET /v1/facts alone (registry, NDJSON)':44}{count:>10,}{seconds:>10.1f}{facts_rate:>12,.0f}")
    print(f"{'bulk pass (standing + identities + cards)':44}{bulk['families']:>10,}{bulk['seconds']:>10.1f}{rate:>12,.0f}")
    print(f"cards issued {bulk['issued']:,}; handed to the one-family path {bulk['handed_off']:,}; "
          f"from the service's start to the pass's end {wall:.1f} s")
    print("peak memory, facts stream alone: " + ", ".join(f"{n} {kb / 1024:.0f} MB" for n, kb in facts_peak.items()))
    print("peak memory, bulk pass:          " + ", ".join(f"{n} {kb / 1024:.0f} MB" for n, kb in processes.peak.items()))
    print(f"CPU from the service's start to the pass's end, {wall:.1f} s on {os.cpu_count()} cores: machine busy "
          f"{busy:.1f} s; " + ", ".join(f"{n} {seconds:.1f} s" for n, seconds in cpu.items())
          + f"; the rest (PostgreSQL, this bench, others) {busy - sum(cpu.values()):.1f} s")
    if latencies:
        ordered = sorted(latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"fresh changes during the pass: {len(ordered)} families registered, registration → card "
              f"p50 {statistics.median(ordered):.2f} s, p99 {p99:.2f} s, max {ordered[-1]:.2f} s (target p99 ≤ 5 s)")
    print(f"target: 1,000,000 families in under 120 s, each process under 512 MB: "
          f"{'met' if rate * 120 >= 1_000_000 and max(processes.peak.values()) < 512 * 1024 else 'NOT met'}")
    print(f"card_sync families_per_s={rate:.0f} facts_stream_families_per_s={facts_rate:.0f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
