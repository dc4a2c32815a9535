"""Benchmark: sealing the registry's access log into its hash chain (AccessChain.seal).

    .venv/bin/python bench/access_chain.py [--rows 200000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]
                                           [--reference path/to/access_chain.py]

Fills a scratch registry database (migrated: the log partitioned by month) with N access-log
entries, each naming one family (as a clerk's reads do: the most entries per family there are; a
bulk read of thousands of families is one entry), over the last three months, each month in its
partition, then times, in the same run:

- the baseline: one plain ``UPDATE access_log SET chain_hash = md5(id::text)`` of the same rows
  (what the database alone costs to touch every row);
- sealing them with ``AccessChain.seal`` (and, for information, checking them with ``verify``).

``--reference`` also seals the same rows with the ``AccessChain`` of another copy of the module
(an earlier version, say), after resetting the chain, to compare the two on one machine in one
run. Prints rows/s of each and ends with ``access_chain ratio=<seal seconds / baseline seconds>``.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from types import ModuleType

from scratch import connect, registry_database

from tefu_common.calendar import today
from tefu_common.partitions import ahead, partition_statements

FILL = """
INSERT INTO access_log (at, subject, role, institution, endpoint, region_code, request_id, family_id)
SELECT now() - ($1 - g) * (interval '90 days' / $1),  -- in the order of their ids, as written
       'svc-medical-priority', 'service', NULL,
       CASE WHEN g % 2 = 0 THEN 'GET /v1/facts' ELSE 'POST /v1/people' END,
       '4406' || lpad((g % 5 + 4)::text, 2, '0') || '001',
       md5((g / 500)::text), g / 2
FROM generate_series(1, $1) AS g
ORDER BY g
"""

RESET = "UPDATE access_log SET chain_seq = NULL, chain_hash = NULL WHERE chain_seq IS NOT NULL OR chain_hash IS NOT NULL"


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("reference_access_chain", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


async def reset(url: str) -> None:
    """Every row unsealed again, no head, the dead rows of the last pass vacuumed away."""
    db = await connect(url)
    try:
        await db.execute(RESET)
        await db.execute("DELETE FROM access_log_chain_head")
        await db.execute("VACUUM ANALYZE access_log")
    finally:
        await db.close()


async def baseline(url: str) -> float:
    db = await connect(url)
    try:
        started = time.perf_counter()
        await db.execute("UPDATE access_log SET chain_hash = md5(id::text) WHERE chain_seq IS NULL")
        return time.perf_counter() - started
    finally:
        await db.close()


async def seal_and_verify(url: str, chain_class: type, rows: int) -> tuple[float, float, float]:
    """Seconds of the seal, seconds of the check, and CPU seconds of this process during the seal
    (what a service spends on it, the database's own work aside)."""
    from tefu_common.db import Database
    from tefu_registry.access_log.models import CHAIN_HEAD, AccessLogEntry

    database = Database(url)
    try:
        chain = chain_class(AccessLogEntry.__table__, CHAIN_HEAD)
        started, cpu = time.perf_counter(), time.process_time()
        sealed = await chain.seal(database.engine)
        seal_seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        assert sealed == rows, (sealed, rows)
        started = time.perf_counter()
        verdict = await chain.verify(database.engine)
        verify_seconds = time.perf_counter() - started
        assert verdict.whole and verdict.rows_checked == rows, verdict
        return seal_seconds, verify_seconds, cpu_seconds
    finally:
        await database.dispose()


async def head_hash(url: str) -> str:
    db = await connect(url)
    try:
        return await db.fetchval("SELECT last_hash FROM access_log_chain_head WHERE table_name = 'access_log'")
    finally:
        await db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--reference", type=Path, help="another copy of tefu_common/access_chain.py to compare with")
    args = parser.parse_args()
    from tefu_common.access_chain import AccessChain

    scratch = ExitStack()
    url = scratch.enter_context(registry_database(args.pg))
    results: list[tuple[str, float, float | None, float | None]] = []
    try:
        print(f"filling {args.rows:,} access-log rows ...", flush=True)
        db = await connect(url)
        # The months the rows fall in have their partitions, as in a registry that has run for a while.
        for statement in partition_statements("access_log", ahead(today() - timedelta(days=92))):
            await db.execute(statement)
        await db.execute(FILL, args.rows)
        await db.execute("VACUUM ANALYZE access_log")
        partitions = await db.fetchval("SELECT count(*) FROM pg_inherits WHERE inhparent = 'access_log'::regclass")
        await db.close()
        print(f"{partitions} partitions", flush=True)

        results.append(("UPDATE ... md5(id::text) (baseline)", await baseline(url), None, None))
        hashes = {}
        implementations = [("AccessChain.seal", AccessChain)]
        if args.reference:
            implementations.insert(0, (f"AccessChain.seal of {args.reference.name}", load(args.reference).AccessChain))
        for label, chain_class in implementations:
            await reset(url)
            results.append((label, *await seal_and_verify(url, chain_class, args.rows)))
            hashes[label] = await head_hash(url)
        if len(set(hashes.values())) > 1:
            raise SystemExit(f"the implementations disagree on the chain: {hashes}")
    finally:
        scratch.close()

    print()
    print(f"{'':44}{'rows':>10}{'seconds':>10}{'rows/s':>12}{'CPU us/row':>12}{'verify rows/s':>15}")
    for label, seconds, verify_seconds, cpu_seconds in results:
        cpu = f"{cpu_seconds / args.rows * 1e6:>12.1f}" if cpu_seconds else ""
        verify = f"{args.rows / verify_seconds:>15,.0f}" if verify_seconds else ""
        print(f"{label:44}{args.rows:>10,}{seconds:>10.2f}{args.rows / seconds:>12,.0f}{cpu}{verify}")
    if args.reference:
        reference, current = results[1], results[2]
        print(f"reference / current: seal seconds {reference[1] / current[1]:.2f}, "
              f"service CPU per row {reference[3] / current[3]:.2f}")
    print(f"access_chain ratio={results[-1][1] / results[0][1]:.2f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
