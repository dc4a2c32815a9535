"""Benchmark: importing families from a CSV file into PostgreSQL, beside a plain COPY of the same rows.

    .venv/bin/python bench/import_families.py [--families 100000] [--pg postgresql://postgres@127.0.0.1:5432/postgres]

Generates synthetic families, writes them as the import template's CSV, then measures in the same
run (1) the registry's import job registering every row (validation of every ID number, date and
event, encryption of personal data, blind indexes, events, the change feed) and (2) a plain
``COPY`` of the same rows into a table of text columns: the fastest anything can put those bytes
into PostgreSQL. Prints rows/s for both and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import resource
import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cpu import backends, cpu_seconds, machine_busy_seconds
from scratch import connect, registry_database
from tuned_server import add_server_options, server_url

async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=100_000)
    add_server_options(parser)
    parser.add_argument("--workers", type=int, default=1, help="processes checking rows (TEFU_REGISTRY_IMPORT_WORKERS)")
    args = parser.parse_args()

    from tefu_common.app import configure_encryption
    from tefu_common.auth import ROLE_SCOPES, Principal, Role
    from tefu_common.db import Database
    from tefu_registry.demo.generator import generate_families
    from tefu_registry.demo.spreadsheet import HEADERS, family_to_row, importable
    from tefu_registry.families.models import Family
    from tefu_registry.imports.models import ImportJob
    from tefu_registry.imports.service import _register_rows
    from tefu_registry.settings import RegistrySettings

    configure_encryption(RegistrySettings())
    print(f"generating {args.families:,} families ...", flush=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADERS)
    writer.writeheader()
    count = 0
    for family in generate_families(args.families * 2, seed=2026):
        if importable(family):
            writer.writerow(family_to_row(family))
            count += 1
            if count == args.families:
                break
    data = buffer.getvalue().encode("utf-8")
    print(f"CSV: {count:,} rows, {len(data) / 1e6:.1f} MB", flush=True)

    with ExitStack() as scratch:
        args.pg = server_url(args, scratch)
        url = scratch.enter_context(registry_database(args.pg))
        database = Database(url)
        caller = Principal(subject="bench", role=Role.admin, scopes=ROLE_SCOPES[Role.admin], region="000000",
                           institution=None, client_id=None, token_id="bench",
                           expires_at=datetime.now(timezone.utc) + timedelta(hours=1))
        async with database.sessionmaker() as session:
            job = ImportJob(region_code="000000", file_sha256="bench", filename="bench.csv", file_format="csv",
                            encoding="utf-8", status="running", created_by="bench", created_at=datetime.now(timezone.utc))
            session.add(job)
            await session.commit()
            job_id = job.id
        own, busy = resource.getrusage(resource.RUSAGE_SELF), machine_busy_seconds()
        started = time.perf_counter()
        await _register_rows(database, job_id=job_id, data=data, fmt="csv", encoding="utf-8", caller=caller,
                             workers=args.workers)
        import_seconds = time.perf_counter() - started
        # The database's server processes of this import are still there (pooled): their CPU is this run's.
        database_cpu = sum(cpu_seconds(pid) for pid in backends([make_url(url).database]))
        after = resource.getrusage(resource.RUSAGE_SELF)
        own_cpu = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
        busy = machine_busy_seconds() - busy
        async with database.sessionmaker() as session:
            job = await session.get(ImportJob, job_id)
            registered = await session.scalar(select(func.count()).select_from(Family))
        await database.dispose()

        raw = await connect(url)
        columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
        await raw.execute(f"CREATE TABLE copy_baseline ({columns})")
        records = list(csv.reader(io.StringIO(data.decode())))[1:]
        started = time.perf_counter()
        await raw.copy_records_to_table("copy_baseline", records=records)
        copy_seconds = time.perf_counter() - started
        await raw.close()
    print()
    print(f"{'':28}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
    print(f"{'registry import job':28}{count:>10,}{import_seconds:>10.1f}{count / import_seconds:>12,.0f}")
    print(f"{'plain COPY (baseline)':28}{count:>10,}{copy_seconds:>10.2f}{count / copy_seconds:>12,.0f}")
    print(f"accepted {job.accepted_rows:,}, duplicates {job.duplicate_rows:,}, rejected {job.rejected_rows:,}; "
          f"families in the register: {registered:,}")
    print(f"the import does {copy_seconds / import_seconds:.1%} of the raw COPY rate; target: {count:,} rows in < 60 s: "
          f"{'met' if import_seconds < 60 else 'NOT met'}; target >= 10,000 rows/s: "
          f"{'met' if count / import_seconds >= 10_000 else 'NOT met'}")
    print(f"CPU per family: the service (writing, and taking the checked rows from the worker) "
          f"{own_cpu / count * 1e6:.0f} µs, PostgreSQL {database_cpu / count * 1e6:.0f} µs, the rest of the machine "
          f"(the checking worker, nearly all) {(busy - own_cpu - database_cpu) / count * 1e6:.0f} µs")
    print(f"import_families per_s={count / import_seconds:.0f}")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
