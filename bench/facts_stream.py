"""Benchmark: streaming every family's facts of a region (GET /v1/facts) from a real registry process.

    .venv/bin/python bench/facts_stream.py [--families 1000000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Fills a scratch database with N families (two parents, the only child, a death or a disability
certificate, some later births) straight in SQL, starts the registry with uvicorn, and reads the
NDJSON stream over HTTP, counting families and sampling the server's resident memory. Beside it,
in the same run, the baseline: reading the same family, member and event rows with a plain
``COPY ... TO STDOUT`` (what the database alone can hand out). Prints families/s for both and the
server's memory at 10% and at the end of the stream (flat memory means the two are close).
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

from scratch import connect, registry_database

ROOT = Path(__file__).resolve().parents[1]

FILL = """
INSERT INTO family (id, region_code, registered_region_code, hukou_type, address, honor_certificate_no,
                    honor_certificate_date, special_family, created_at, created_by, updated_at, version)
SELECT g, r.code, r.code, CASE WHEN g % 2 = 0 THEN 'urban' ELSE 'rural' END, NULL, 'GRZ-' || g,
       DATE '1990-01-01' + (g % 3000), true, now(), 'bench', now(), 1
FROM generate_series(1, $1) AS g
JOIN (SELECT code, row_number() OVER () - 1 AS n FROM unnest(ARRAY['440604','440605','440606','440607','440608'])
      AS code) r ON r.n = g % 5;
INSERT INTO member (family_id, role, name, name_index, id_number_index, birth_date, sex, adopted, joined_on,
                    in_resident_pension, monthly_basic_pension)
SELECT f, role, 'v1.bench.x', md5(f::text || role), md5(f::text || role || 'id'),
       CASE role WHEN 'mother' THEN DATE '1955-01-01' + (f % 7000) WHEN 'father' THEN DATE '1953-01-01' + (f % 7000)
                 ELSE DATE '1980-01-01' + (f % 9000) END,
       CASE role WHEN 'mother' THEN 'female' ELSE 'male' END, false,
       CASE role WHEN 'child' THEN DATE '1980-01-01' + (f % 9000) END,
       role <> 'child' AND f % 3 <> 0, CASE WHEN role <> 'child' AND f % 3 <> 0 THEN 150 + f % 100 END
FROM generate_series(1, $1) AS f, unnest(ARRAY['mother', 'father', 'child']) AS role;
INSERT INTO life_event (family_id, kind, occurred_on, member_role, details, recorded_at, recorded_by)
SELECT f, CASE WHEN f % 5 < 3 THEN 'child_died' ELSE 'disability_certified' END, DATE '2005-01-01' + (f % 6000),
       'child', CASE WHEN f % 5 < 3 THEN '{}'::json ELSE json_build_object('category', '4', 'level', 1 + f % 4) END,
       now(), 'bench'
FROM generate_series(1, $1) AS f;
INSERT INTO life_event (family_id, kind, occurred_on, member_role, details, recorded_at, recorded_by)
SELECT f, 'later_child_born', DATE '2022-01-01', NULL, '{"assisted_reproduction": true}'::json, now(), 'bench'
FROM generate_series(1, $1, 20) AS f;
SELECT setval('family_id_seq', $1);
"""


async def fill(db, families: int) -> None:  # type: ignore[no-untyped-def]
    """Fill a migrated registry database with ``families`` families (statements of FILL)."""
    for statement in FILL.split(";\n"):
        if statement.strip():
            await db.execute(statement, families) if "$1" in statement else await db.execute(statement)


async def _discard(chunk: bytes) -> None:
    """COPY output sink: the baseline only reads the rows."""


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--port", type=int, default=8091)
    args = parser.parse_args()
    from tefu_common.auth import write_key_files
    from tefu_common.testing import mint_token
    from tefu_common.auth import SigningKey

    name = f"tefu-bench-{os.getpid()}"
    keys = Path(f"/tmp/{name}-keys")
    process = None
    scratch = ExitStack()
    url = scratch.enter_context(registry_database(args.pg))
    try:
        print(f"filling {args.families:,} families ...", flush=True)
        started = time.perf_counter()
        db = await connect(url)
        await fill(db, args.families)
        # As a register built over the years is: vacuumed and analysed. Otherwise autovacuum (on in a
        # real server, deploy/postgres/tefu.conf) would be catching up on the synthetic fill meanwhile.
        await db.execute("VACUUM ANALYZE")
        print(f"filled in {time.perf_counter() - started:.0f} s", flush=True)

        started = time.perf_counter()
        for table, query in (("family", "SELECT id, registered_region_code, hukou_type, honor_certificate_no, "
                              "honor_certificate_date, region_code FROM family WHERE region_code LIKE '4406%' ORDER BY id"),
                             ("member", "SELECT family_id, id, role, birth_date, adopted, in_resident_pension, "
                              "monthly_basic_pension FROM member"),
                             ("life_event", "SELECT family_id, id, kind, occurred_on, member_role, details, "
                              "corrects_event_id FROM life_event")):
            await db.copy_from_query(query, output=_discard)
        copy_seconds = time.perf_counter() - started
        await db.close()

        write_key_files(keys)
        env = {**os.environ, "TEFU_REGISTRY_DATABASE_URL": url, "TEFU_REGISTRY_SIGNING_KEY_FILE": str(keys / "issuer-ed25519.pem"),
               "TEFU_REGISTRY_AUTH__JWKS_FILE": str(keys / "issuer-jwks.json"), "TEFU_REGISTRY_LOG_LEVEL": "WARNING"}
        process = subprocess.Popen([sys.executable, "-m", "uvicorn", "--factory", "tefu_registry.main:create_app",
                                    "--port", str(args.port), "--log-level", "warning"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
        token = mint_token(SigningKey.load(keys / "issuer-ed25519.pem"), role="service", region="440600")
        count, memory_early, memory_peak = 0, 0, 0
        started = time.perf_counter()
        async with httpx.AsyncClient(timeout=None) as client:
            async with client.stream("GET", f"{base}/v1/facts", params={"region": "440600", "as_of": "2024-01-01"},
                                     headers={"Authorization": f"Bearer {token}"}) as response:
                response.raise_for_status()
                # Count newlines in raw bytes: the client must not be what limits the measurement.
                next_sample = args.families // 10
                async for block in response.aiter_raw():
                    count += block.count(b"\n")
                    if count >= next_sample:
                        memory_peak = max(memory_peak, rss_kb(process.pid))
                        memory_early = memory_early or memory_peak
                        next_sample += args.families // 10
        stream_seconds = time.perf_counter() - started
        memory_end = rss_kb(process.pid)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
        scratch.close()

    print()
    print(f"{'':34}{'families':>10}{'seconds':>10}{'families/s':>12}")
    print(f"{'GET /v1/facts (NDJSON over HTTP)':34}{count:>10,}{stream_seconds:>10.1f}{count / stream_seconds:>12,.0f}")
    print(f"{'COPY of the same rows (baseline)':34}{args.families:>10,}{copy_seconds:>10.1f}{args.families / copy_seconds:>12,.0f}")
    print(f"registry memory: {memory_early / 1024:.0f} MB after 10% of the stream, peak {memory_peak / 1024:.0f} MB, "
          f"{memory_end / 1024:.0f} MB at the end")
    print(f"target >= 50,000 families/s: {'met' if count / stream_seconds >= 50_000 else 'NOT met'}")
    print(f"facts_stream per_s={count / stream_seconds:.0f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
