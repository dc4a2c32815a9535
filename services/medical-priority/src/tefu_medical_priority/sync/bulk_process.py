"""A bulk pass in a process of its own, beside the service's.

On PostgreSQL the follower (sync/follower.py) runs each bulk pass (sync/bulk.py) here, in a child
process, rather than on the service's own event loop: a pass keeps a core busy for minutes (a
province's million families), and on the service's loop it would make every desk lookup, clerk's
request and fresh change of the feed wait behind its batches. In a process of its own it has a
core of its own to use, and the service stays as quick to answer as when idle. (On SQLite, one
writer at a time, a second process would gain nothing: the pass runs in the service's process.)

The parent starts ``python -m tefu_medical_priority.sync.bulk_process <fd>`` and writes one line on
its standard input: the service's settings (secrets included, so never on the command line or in
the environment of another process) and the pass's day. The child logs where the service logs
(the same standard output and error), answers on the pipe ``<fd>`` with one line, the pass's
counts as JSON, and exits 0; on failure it logs why and exits 1, and
the batches written stay written (the next pass starts again). The child then keeps its standard
input open as a lifeline: when it reads the end of it (the parent exited, or was killed), it stops
at once, so that no pass outlives its service. The parent holds the bulk lock meanwhile.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr

from tefu_common import collector
from tefu_common.app import configure_encryption
from tefu_common.db import Database
from tefu_common.logs import configure_logging
from tefu_common.upstream import Upstream, service_auth_from
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_medical_priority.sync.bulk import BulkCounts, BulkPass
from tefu_medical_priority.sync.queue import recheck_one_by_one
from tefu_medical_priority.upstreams import ELIGIBILITY, LABELS, REGISTRY, EligibilityClient, RegistryClient

log = logging.getLogger("tefu.cards.bulk")
MODULE = "tefu_medical_priority.sync.bulk_process"


def _revealed(value: Any) -> Any:
    """Settings as plain JSON values, secrets in clear (for the child's standard input only)."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, BaseModel):
        # Field by field: dict(model) would take a field named ``keys`` (the encryption keys) for a mapping's.
        return {name: _revealed(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, dict):
        return {key: _revealed(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_revealed(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    return value


class BulkProcessFailed(RuntimeError):
    pass


async def run_in_child(settings: MedicalPrioritySettings, day: date, *, workers: int) -> BulkCounts:
    """Run one pass in a child process; its counts. Raises :class:`BulkProcessFailed` if it failed;
    cancelled, it stops the child first."""
    # The answer comes on a pipe of its own: the child's standard output and error are the
    # service's, where its log lines go with the parent's.
    answer_end, child_end = os.pipe()
    try:
        child = await asyncio.create_subprocess_exec(sys.executable, "-m", MODULE, str(child_end),
                                                     stdin=asyncio.subprocess.PIPE, pass_fds=(child_end,))
    finally:
        os.close(child_end)
    assert child.stdin is not None
    answers = asyncio.StreamReader()
    transport, _ = await asyncio.get_running_loop().connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(answers), os.fdopen(answer_end, "rb"))
    try:
        order = {"settings": _revealed(settings), "day": day.isoformat(), "workers": workers}
        child.stdin.write(json.dumps(order).encode() + b"\n")
        await child.stdin.drain()
        answer = await answers.readline()
        status = await child.wait()
    except BaseException:
        if child.returncode is None:
            child.terminate()
            await child.wait()
        raise
    finally:
        child.stdin.close()
        transport.close()
    if status != 0 or not answer:
        raise BulkProcessFailed(f"the bulk pass's process exited with status {status} (its log says why)")
    return BulkCounts(**json.loads(answer))


async def _pass(order: dict[str, Any]) -> BulkCounts:
    settings = MedicalPrioritySettings(**order["settings"])
    configure_logging(settings.service_name, settings.log_level, log_format=settings.log_format,
                      log_dir=settings.log_dir)
    configure_encryption(settings)
    database = Database(settings.database_url, connect_timeout=settings.database_connect_timeout_seconds)
    auth = service_auth_from(settings)
    registry = Upstream(REGISTRY, LABELS[REGISTRY], settings.registry_url, service_auth=auth,
                        timeout=settings.http_timeout_seconds, retries=settings.http_retries)
    eligibility = Upstream(ELIGIBILITY, LABELS[ELIGIBILITY], settings.eligibility_url, service_auth=auth,
                           timeout=settings.http_timeout_seconds, retries=settings.http_retries)
    try:
        bulk = BulkPass(database.sessionmaker, RegistryClient(registry.as_service()),
                        EligibilityClient(eligibility.as_service()), region=settings.register_region,
                        today=date.fromisoformat(order["day"]), validity_years=settings.card_validity_years,
                        workers=order["workers"],
                        handoff=recheck_one_by_one)
        collector.settle()  # the pass makes and drops millions of objects without cycles
        return await bulk.run()
    finally:
        await registry.aclose()
        await eligibility.aclose()
        await database.dispose()


async def _lifeline(reader: asyncio.StreamReader) -> None:
    """Returns when the parent's end of standard input closes."""
    while await reader.read(4096):
        pass


async def main() -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    order = json.loads(await reader.readline())
    work = asyncio.create_task(_pass(order))
    lifeline = asyncio.create_task(_lifeline(reader))
    await asyncio.wait({work, lifeline}, return_when=asyncio.FIRST_COMPLETED)
    if not work.done():
        log.warning("bulk pass stopped: the service that started it has gone")
        work.cancel()
        await asyncio.gather(work, return_exceptions=True)
        return 1
    lifeline.cancel()
    try:
        counts = work.result()
    except Exception:
        log.exception("bulk pass failed")
        return 1
    with os.fdopen(int(sys.argv[1]), "w") as answer:
        answer.write(json.dumps(counts.as_dict()) + "\n")
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal reaches the parent, which stops us
    code = asyncio.run(main())
    logging.shutdown()
    os._exit(code)
