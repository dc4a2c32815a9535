"""Benchmark: bulk entitlements for a region (POST /v1/entitlements) and POST /v1/evaluate latency.

    .venv/bin/python bench/entitlements.py [--families 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Fills a scratch registry database with N Foshan families (as bench/facts_stream.py does), starts
the registry and the eligibility service as real uvicorn processes and measures, in one run:

1. the baseline: reading the registry's facts stream for the region (GET /v1/facts) and nothing else;
2. bulk entitlements for one month: eligibility reads that same stream and writes one NDJSON line
   per (person, benefit, month) due; lines/s and families/s, and the eligibility process's
   resident memory sampled along the way (target: 1,000,000 families in under 60 s, under 512 MB, and
   at most 1.2x the time of the stream alone);
3. standing on the month's last day (POST /v1/standing): eligibility reads the same stream and writes
   one line per family (who holds which service on the day), as the medical-priority bulk pass reads it;
4. POST /v1/evaluate sent at a fixed 200 requests/s (open loop, so a slow answer cannot slow the
   sender): p50/p99 latency (target p99 under 20 ms), beside GET /healthz sent the same way as the
   baseline of what the HTTP stack alone costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import httpx

from cpu import cpu_seconds, machine_busy_seconds
from facts_stream import fill, rss_kb
from scratch import connect, registry_database
from tuned_server import add_server_options, server_url

ROOT = Path(__file__).resolve().parents[1]

EVALUATE = {
    "as_of": "2021-06-15",
    "family": {
        "region_code": "440604", "hukou_type": "urban", "honor_certificate": True, "assistance_certificate": True,
        "low_income": False, "extreme_poverty": False,
        "parents": [{"role": "mother", "birth_date": "1965-03-02", "death_date": None, "in_resident_pension": True,
                     "monthly_basic_pension": "150.00"},
                    {"role": "father", "birth_date": "1963-07-09", "death_date": None}],
        "child": {"birth_date": "1990-05-01", "adopted": False, "status": "deceased", "event_date": "2019-03-10",
                  "disability_level": None, "recovered_on": None},
        "later_children": [],
    },
}


def start(module: str, port: int, env: dict[str, str], processes: list[subprocess.Popen]) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app", "--port", str(port),
                                "--log-level", "warning"], cwd=ROOT, env=env)
    processes.append(process)  # stopped by the caller, ready or not
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{module} did not become ready")


async def read_stream(client: httpx.AsyncClient, method: str, url: str, pid: int, **kwargs) -> tuple[int, float, int]:
    """Lines, seconds, and the peak resident memory (KB) of ``pid`` sampled every 0.2 s."""
    peak = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_kb(pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    count = 0
    started = time.perf_counter()
    async with client.stream(method, url, **kwargs) as response:
        response.raise_for_status()
        async for block in response.aiter_raw():
            count += block.count(b"\n")
    seconds = time.perf_counter() - started
    done.set()
    await sampler
    return count, seconds, peak


async def paced(client: httpx.AsyncClient, rate: int, seconds: int, send) -> list[float]:
    """Start one request every 1/rate s whatever the answers do; return each latency in ms."""
    latencies: list[float] = []

    async def one() -> None:
        started = time.perf_counter()
        response = await send(client)
        response.raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)

    tasks = []
    begin = time.perf_counter()
    for i in range(rate * seconds):
        delay = begin + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one()))
    await asyncio.gather(*tasks)
    return latencies


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100)[int(share * 100) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1_000_000)
    add_server_options(parser)
    parser.add_argument("--month", default="2024-01")
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    from tefu_common.auth import SigningKey, write_key_files
    from tefu_common.testing import mint_token

    keys = Path(f"/tmp/tefu-bench-{os.getpid()}-keys")
    processes: list[subprocess.Popen] = []
    scratch = ExitStack()
    args.pg = server_url(args, scratch)
    url = scratch.enter_context(registry_database(args.pg))
    try:
        print(f"filling {args.families:,} families ...", flush=True)
        db = await connect(url)
        await fill(db, args.families)
        # As a register built over the years is: vacuumed and analysed. Otherwise autovacuum (on in a
        # real server, deploy/postgres/tefu.conf) would be catching up on the synthetic fill meanwhile.
        await db.execute("VACUUM ANALYZE")
        await db.close()

        write_key_files(keys)
        common = {**os.environ, "TEFU_REGISTRY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json"),
                  "TEFU_ELIGIBILITY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json")}
        registry = start("tefu_registry.main", 8091, {
            **common, "TEFU_REGISTRY_DATABASE_URL": url, "TEFU_REGISTRY_SIGNING_KEY_FILE": str(keys / "issuer-ed25519.pem"),
            "TEFU_REGISTRY_LOG_LEVEL": "WARNING"}, processes)
        eligibility_env = {
            **common, "TEFU_ELIGIBILITY_REGISTRY_URL": "http://127.0.0.1:8091", "TEFU_ELIGIBILITY_LOG_LEVEL": "WARNING",
            "TEFU_ELIGIBILITY_DATABASE_URL": f"sqlite+aiosqlite:////tmp/tefu-bench-{os.getpid()}-eligibility.db"}
        subprocess.run([sys.executable, "-m", "alembic", "-c", "services/eligibility/alembic.ini", "upgrade", "head"],
                       cwd=ROOT, env=eligibility_env, check=True, capture_output=True)
        eligibility = start("tefu_eligibility.main", 8092, eligibility_env, processes)
        token = mint_token(SigningKey.load(keys / "issuer-ed25519.pem"), role="service", region="440600", ttl_seconds=3600)
        headers = {"Authorization": f"Bearer {token}"}
        last_day = {"2024-01": "2024-01-31"}.get(args.month, f"{args.month}-28")

        def cpu_now() -> tuple[float, float, float]:
            return cpu_seconds(registry.pid), cpu_seconds(eligibility.pid), machine_busy_seconds()

        async with httpx.AsyncClient(timeout=None, headers=headers) as client:
            before = cpu_now()
            facts, facts_seconds, _ = await read_stream(
                client, "GET", "http://127.0.0.1:8091/v1/facts", registry.pid, params={"region": "440600", "as_of": last_day})
            between = cpu_now()
            lines, bulk_seconds, bulk_memory = await read_stream(
                client, "POST", "http://127.0.0.1:8092/v1/entitlements", eligibility.pid,
                json={"region": "440600", "month": args.month})
            after = cpu_now()
            cpu = {"facts": [b - a for a, b in zip(before, between)], "bulk": [b - a for a, b in zip(between, after)]}
            standing, standing_seconds, standing_memory = await read_stream(
                client, "POST", "http://127.0.0.1:8092/v1/standing", eligibility.pid,
                json={"region": "440600", "on": last_day})
            health = await paced(client, args.rate, args.seconds, lambda c: c.get("http://127.0.0.1:8092/healthz"))
            evaluate = await paced(client, args.rate, args.seconds,
                                   lambda c: c.post("http://127.0.0.1:8092/v1/evaluate", json=EVALUATE))
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
        scratch.close()

    print()
    print(f"{'':44}{'families':>10}{'lines':>11}{'seconds':>9}{'families/s':>12}{'lines/s':>10}")
    print(f"{'GET /v1/facts (baseline: the stream alone)':44}{facts:>10,}{'':>11}{facts_seconds:>9.1f}"
          f"{facts / facts_seconds:>12,.0f}")
    print(f"{'POST /v1/entitlements ' + args.month:44}{args.families:>10,}{lines:>11,}{bulk_seconds:>9.1f}"
          f"{args.families / bulk_seconds:>12,.0f}{lines / bulk_seconds:>10,.0f}")
    print(f"{'POST /v1/standing ' + last_day:44}{standing:>10,}{'':>11}{standing_seconds:>9.1f}"
          f"{standing / standing_seconds:>12,.0f}")
    print(f"bulk entitlements / stream alone: {bulk_seconds / facts_seconds:.2f}x (target at most 1.2x); "
          f"standing / stream alone: {standing_seconds / facts_seconds:.2f}x")
    print(f"CPU seconds (registry, eligibility, the whole machine): stream alone "
          f"{', '.join(f'{v:.1f}' for v in cpu['facts'])}; bulk entitlements {', '.join(f'{v:.1f}' for v in cpu['bulk'])}")
    print(f"eligibility memory peak during the bulk run: {bulk_memory / 1024:.0f} MB, "
          f"during the standing run: {standing_memory / 1024:.0f} MB")
    print(f"target 1,000,000 families < 60 s and < 512 MB: "
          f"{'met' if args.families / bulk_seconds >= 1_000_000 / 60 and bulk_memory < 512 * 1024 else 'NOT met'}")
    print()
    print(f"{'at ' + str(args.rate) + ' requests/s for ' + str(args.seconds) + ' s':44}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for label, values in (("GET /healthz (baseline)", health), ("POST /v1/evaluate", evaluate)):
        print(f"{label:44}{statistics.median(values):>10.1f}{percentile(values, 0.99):>10.1f}{max(values):>10.1f}")
    print(f"target p99 < 20 ms: {'met' if percentile(evaluate, 0.99) < 20 else 'NOT met'}")
    print(f"entitlements ratio={bulk_seconds / facts_seconds:.2f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
