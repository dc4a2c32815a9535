"""Benchmark: a payment batch of about a million lines, built, approved and pulled as a file.

    .venv/bin/python bench/payments_batch.py [--families 600000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Fills a scratch registry database with N Foshan families (as bench/facts_stream.py does) whose
parents have encrypted names, ID numbers and bank accounts, starts the registry, the eligibility
service and the payments service (its own client of role ``service``, arrears look-back off) as
real uvicorn processes on a scratch PostgreSQL payments database, and measures in one run:

1. ``POST /v1/batches`` for one month: the entitlements stream, the ledger check, the payees'
   bank details from the registry, four encrypted columns a line, the multi-row inserts
   (target: 1,000,000 lines in at most 60 s);
2. submit, approve (by another person), then ``GET /v1/batches/{id}/file`` as the agency: the
   CSV rendered from the ledger, decrypted, hashed and streamed (target: at most 5 times the COPY below);
3. the baselines: ``COPY (SELECT ... FROM ledger_line WHERE batch_id = ...) TO STDOUT`` of the same
   columns of the same rows, still encrypted (what the database alone hands out), beside the file;
   the eligibility service's entitlements stream for the same region and month read alone (what
   a batch cannot be faster than), beside the batch.

The resident memory of each of the three processes is sampled every 0.2 s during 1 and 2
(target: each under 512 MB). Ends with ``payments_batch ratio=<file / COPY> batch_lines_per_s=<n>``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from cpu import backends, cpu_seconds
from entitlements import read_stream, start
from facts_stream import fill, rss_kb
from scratch import connect, registry_database, service_database
from tuned_server import add_server_options, server_url

ROOT = Path(__file__).resolve().parents[1]
REGION = "440600"
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ("秀英", "桂兰", "建国", "志强", "凤霞", "德明", "玉兰", "国庆", "淑珍", "建华")
BANKS = ("中国农业银行佛山禅城支行", "中国工商银行佛山南海支行", "中国建设银行佛山顺德支行", "佛山农村商业银行")
COPY_COLUMNS = "reference, payee, bank_name, amount, benefit_name, period_key, due_on"


async def give_parents_bank_accounts(db) -> int:  # type: ignore[no-untyped-def]
    """Every parent gets an encrypted name, ID number, bank account and holder, as a clerk would type them."""
    from tefu_common.app import configure_encryption
    from tefu_common.field_crypto import get_field_cipher
    from tefu_common.resident_id import check_character
    from tefu_registry.settings import RegistrySettings

    configure_encryption(RegistrySettings())  # the keys the registry process will decrypt with
    cipher = get_field_cipher()
    parents = await db.fetch("SELECT id, birth_date FROM member WHERE role IN ('mother', 'father')")
    rows = []
    for member_id, birth in parents:
        name = SURNAMES[member_id % len(SURNAMES)] + GIVEN[member_id % len(GIVEN)]
        first17 = f"440604{birth:%Y%m%d}{member_id % 1000:03d}"
        rows.append((member_id, cipher.encrypt(name, context="member.name"),
                     cipher.encrypt(first17 + check_character(first17), context="member.id_number"),
                     BANKS[member_id % len(BANKS)],
                     cipher.encrypt(f"6228{member_id:015d}", context="member.bank_account"),
                     cipher.encrypt(name, context="member.bank_account_holder")))
    await db.execute("CREATE TEMP TABLE payee (id int PRIMARY KEY, name text, id_number text, bank_name text, "
                     "bank_account text, holder text)")
    await db.copy_records_to_table("payee", records=rows)
    await db.execute("UPDATE member m SET name = p.name, id_number = p.id_number, bank_name = p.bank_name, "
                     "bank_account = p.bank_account, bank_account_holder = p.holder FROM payee p WHERE m.id = p.id")
    return len(rows)


class Sampler:
    """Samples the resident memory of processes every 0.2 s while a step runs; keeps each one's peak (KB),
    and the CPU seconds each process, and the database's server processes, spent on the step."""

    def __init__(self, processes: dict[str, subprocess.Popen], databases: list[str]) -> None:
        self.processes = processes
        self.databases = databases
        self.peaks = {name: 0 for name in processes}

    async def during(self, step):  # type: ignore[no-untyped-def]
        done = asyncio.Event()

        async def sample() -> None:
            while not done.is_set():
                for name, process in self.processes.items():
                    self.peaks[name] = max(self.peaks[name], rss_kb(process.pid))
                await asyncio.sleep(0.2)

        sampler = asyncio.create_task(sample())
        cpu = {name: cpu_seconds(process.pid) for name, process in self.processes.items()}
        database_cpu = {d: {pid: cpu_seconds(pid) for pid in backends([d])} for d in self.databases}
        try:
            started = time.perf_counter()
            result = await step
            return result, time.perf_counter() - started
        finally:
            self.cpu = {name: cpu_seconds(process.pid) - cpu[name] for name, process in self.processes.items()}
            for name, database in zip(("registry db", "payments db"), self.databases):
                self.cpu[name] = sum(cpu_seconds(pid) - database_cpu[database].get(pid, 0.0) for pid in backends([database]))
            done.set()
            await sampler


async def pull_file(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> tuple[int, int, str]:
    """Bytes, lines and the X-Content-SHA256 of the file."""
    size = lines = 0
    async with client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        async for block in response.aiter_raw():
            size += len(block)
            lines += block.count(b"\n")
        return size, lines, response.headers["x-content-sha256"]


async def _discard(chunk: bytes) -> None:
    """COPY output sink: the baseline only reads the rows."""


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=600_000, help="about 1.7 lines a family for one month")
    add_server_options(parser)
    parser.add_argument("--month", default="2024-01")
    parser.add_argument("--port", type=int, default=8191, help="registry; eligibility and payments on the next two")
    args = parser.parse_args()
    from tefu_common.auth import SigningKey, write_key_files
    from tefu_common.testing import mint_token

    keys = Path(f"/tmp/tefu-bench-{os.getpid()}-keys")
    processes: list[subprocess.Popen] = []
    scratch = ExitStack()
    args.pg = server_url(args, scratch)
    registry_url = scratch.enter_context(registry_database(args.pg))
    payments_url = scratch.enter_context(service_database(args.pg, "payments"))
    try:
        print(f"filling {args.families:,} families ...", flush=True)
        started = time.perf_counter()
        db = await connect(registry_url)
        await fill(db, args.families)
        payees = await give_parents_bank_accounts(db)
        # As a register built over the years is: vacuumed and analysed. Otherwise autovacuum (on in a
        # real server, deploy/postgres/tefu.conf) would be catching up on the synthetic fill meanwhile.
        await db.execute("VACUUM ANALYZE")
        await db.close()
        print(f"filled in {time.perf_counter() - started:.0f} s ({payees:,} parents with a bank account)", flush=True)

        write_key_files(keys)
        jwks = str(keys / "issuer-jwks.json")
        signing_key = SigningKey.load(keys / "issuer-ed25519.pem")
        registry_base, eligibility_base, payments_base = (f"http://127.0.0.1:{args.port + i}" for i in range(3))
        registry = start("tefu_registry.main", args.port, {
            **os.environ, "TEFU_REGISTRY_DATABASE_URL": registry_url, "TEFU_REGISTRY_AUTH__JWKS_FILE": jwks,
            "TEFU_REGISTRY_SIGNING_KEY_FILE": str(keys / "issuer-ed25519.pem"), "TEFU_REGISTRY_LOG_LEVEL": "WARNING"},
            processes)
        eligibility_env = {
            **os.environ, "TEFU_ELIGIBILITY_REGISTRY_URL": registry_base, "TEFU_ELIGIBILITY_AUTH__JWKS_FILE": jwks,
            "TEFU_ELIGIBILITY_LOG_LEVEL": "WARNING",
            "TEFU_ELIGIBILITY_DATABASE_URL": f"sqlite+aiosqlite:////tmp/tefu-bench-{os.getpid()}-eligibility.db"}
        subprocess.run([sys.executable, "-m", "alembic", "-c", "services/eligibility/alembic.ini", "upgrade", "head"],
                       cwd=ROOT, env=eligibility_env, check=True, capture_output=True)
        eligibility = start("tefu_eligibility.main", args.port + 1, eligibility_env, processes)

        admin = {"Authorization": f"Bearer {mint_token(signing_key, role='admin', region='000000')}"}
        client = httpx.post(f"{registry_base}/v1/oauth-clients", headers=admin,
                            json={"client_id": "payments-bench", "role": "service", "region": "000000"})
        client.raise_for_status()
        payments = start("tefu_payments.main", args.port + 2, {
            **os.environ, "TEFU_PAYMENTS_DATABASE_URL": payments_url, "TEFU_PAYMENTS_AUTH__JWKS_FILE": jwks,
            "TEFU_PAYMENTS_ELIGIBILITY_URL": eligibility_base, "TEFU_PAYMENTS_REGISTRY_URL": registry_base,
            "TEFU_PAYMENTS_AUTH__TOKEN_URL": f"{registry_base}/oauth/token",
            "TEFU_PAYMENTS_AUTH__CLIENT_ID": "payments-bench",
            "TEFU_PAYMENTS_AUTH__CLIENT_SECRET": client.json()["client_secret"],
            "TEFU_PAYMENTS_ARREARS_MONTHS": "0", "TEFU_PAYMENTS_LOG_LEVEL": "WARNING",
            "TEFU_PAYMENTS_FILE_SIGNING_KEY_FILE": str(keys / "payments-file-ed25519.pem")}, processes)

        memory = Sampler({"registry": registry, "eligibility": eligibility, "payments": payments},
                            [make_url(url).database for url in (registry_url, payments_url)])
        def bearer(**claims: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {mint_token(signing_key, region=REGION, ttl_seconds=3600, **claims)}"}

        clerk, approver = bearer(role="clerk", subject="clerk-bench"), bearer(role="approver", subject="chief-bench")
        bank = bearer(role="agency", agency="ABC-FS")
        async with httpx.AsyncClient(timeout=None) as http:
            (await http.post(f"{payments_base}/v1/agencies", headers=admin, json={
                "id": "ABC-FS", "name": "中国农业银行佛山分行", "region_code": REGION, "encoding": "gbk"})).raise_for_status()
            print("reading the entitlements alone ...", flush=True)
            due, stream_seconds, _ = await read_stream(http, "POST", f"{eligibility_base}/v1/entitlements", eligibility.pid,
                                                       headers=clerk, json={"region": REGION, "month": args.month,
                                                                            "benefits": ["special_assistance"]})
            print("building the batch ...", flush=True)
            built, build_seconds = await memory.during(http.post(
                f"{payments_base}/v1/batches", headers={**clerk, "Idempotency-Key": "bench"},
                json={"region_code": REGION, "benefits": ["special_assistance"], "period": args.month,
                      "agency_id": "ABC-FS"}))
            built.raise_for_status()
            batch = built.json()
            build_memory, build_cpu = dict(memory.peaks), memory.cpu
            batch_url = f"{payments_base}/v1/batches/{batch['id']}"
            (await http.post(f"{batch_url}/submit", headers=clerk)).raise_for_status()
            (await http.post(f"{batch_url}/approve", headers=approver)).raise_for_status()
            print("pulling the file ...", flush=True)
            memory.peaks = {name: 0 for name in memory.peaks}
            (size, file_lines, sha), file_seconds = await memory.during(pull_file(http, f"{batch_url}/file", bank))
            file_memory, file_cpu = dict(memory.peaks), memory.cpu

        db = await connect(payments_url)
        started = time.perf_counter()
        await db.copy_from_query(f"SELECT {COPY_COLUMNS} FROM ledger_line WHERE batch_id = $1 ORDER BY id",
                                 batch["id"], output=_discard, format="csv")
        copy_seconds = time.perf_counter() - started
        await db.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # a stream still open: do not wait on it
                process.kill()
        scratch.close()

    lines = batch["line_count"]
    print()
    print(f"{'':52}{'lines':>11}{'seconds':>9}{'lines/s':>10}")
    print(f"{'POST /v1/batches ' + args.month + ' (eligibility included)':52}{lines:>11,}{build_seconds:>9.1f}"
          f"{lines / build_seconds:>10,.0f}")
    print(f"{'GET /v1/batches/{id}/file (GBK CSV, ' + f'{size / 1e6:.0f} MB)':52}{file_lines - 2:>11,}"
          f"{file_seconds:>9.1f}{lines / file_seconds:>10,.0f}")
    print(f"{'COPY of the same rows (baseline of the file)':52}{lines:>11,}{copy_seconds:>9.1f}{lines / copy_seconds:>10,.0f}")
    print(f"{'POST /v1/entitlements alone (baseline of the batch)':52}{due:>11,}{stream_seconds:>9.1f}"
          f"{due / stream_seconds:>10,.0f}")
    print(f"skipped: {batch['skipped']}; total {batch['total']}; file sha256 {sha[:16]}…")
    print()
    print(f"{'peak resident memory (MB)':52}{'registry':>11}{'eligibility':>12}{'payments':>10}")
    for label, peaks in (("while building the batch", build_memory), ("while rendering the file", file_memory)):
        print(f"{label:52}{peaks['registry'] / 1024:>11.0f}{peaks['eligibility'] / 1024:>12.0f}"
              f"{peaks['payments'] / 1024:>10.0f}")
    print()
    print(f"{'CPU seconds':52}{'registry':>11}{'eligibility':>12}{'payments':>10}{'registry db':>13}{'payments db':>13}")
    for label, cpu in (("while building the batch", build_cpu), ("while rendering the file", file_cpu)):
        print(f"{label:52}{cpu['registry']:>11.1f}{cpu['eligibility']:>12.1f}{cpu['payments']:>10.1f}"
              f"{cpu['registry db']:>13.1f}{cpu['payments db']:>13.1f}")
    ratio = file_seconds / copy_seconds
    met = (lines / build_seconds >= 1_000_000 / 60 and ratio <= 5
           and max(*build_memory.values(), *file_memory.values()) < 512 * 1024)
    print(f"file / COPY: {ratio:.2f}x; target 1,000,000 lines built in at most 60 s, the file at most 5x the COPY, "
          f"every process < 512 MB: {'met' if met else 'NOT met'}")
    print(f"payments_batch ratio={ratio:.2f} batch_lines_per_s={lines / build_seconds:.0f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
