"""A bulk pass in a child process: it gets the service's settings whole, reports a failure as one,
and never outlives the service that started it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from pydantic import SecretStr

from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_medical_priority.sync.bulk_process import MODULE, BulkProcessFailed, _revealed, run_in_child


def test_the_child_gets_the_settings_whole_secrets_included(settings):
    given = settings.model_copy(update={"bulk_workers": 3, "register_region": "420222"})
    given.auth.client_secret = SecretStr("s3cret")
    order = json.loads(json.dumps(_revealed(given)))  # what goes down the pipe
    assert order["auth"]["client_secret"] == "s3cret"
    assert order["encryption"]["keys"] == {k: v.get_secret_value() for k, v in given.encryption.keys.items()}
    again = MedicalPrioritySettings(**order)
    assert _revealed(again) == _revealed(given)
    assert (again.bulk_workers, again.register_region, again.database_url) == (3, "420222", given.database_url)


@pytest.fixture
def silent_server():
    """A port that accepts connections and never answers: a pass reading from it waits forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def hanging(settings, database_url: str, silent: str) -> MedicalPrioritySettings:
    """Settings whose every upstream call (the token first) waits on the silent server."""
    auth = settings.auth.model_copy(update={"token_url": f"{silent}/oauth/token", "client_id": "medical-priority-service",
                                            "client_secret": SecretStr("x")})
    return settings.model_copy(update={"database_url": database_url, "registry_url": silent, "eligibility_url": silent,
                                       "http_timeout_seconds": 600.0, "auth": auth})


async def test_a_pass_that_fails_is_reported_as_failed(settings, database_url):
    unreachable = settings.model_copy(update={"database_url": database_url, "registry_url": "http://127.0.0.1:9",
                                              "eligibility_url": "http://127.0.0.1:9", "http_retries": 0})
    with pytest.raises(BulkProcessFailed, match="exited with status 1"):
        await asyncio.wait_for(run_in_child(unreachable, date(2026, 12, 3), workers=1), 60)


async def test_the_child_stops_when_the_service_that_started_it_goes(settings, database_url, silent_server):
    answer_end, child_end = os.pipe()
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", MODULE, str(child_end),
                                                 stdin=asyncio.subprocess.PIPE, pass_fds=(child_end,))
    os.close(child_end)
    order = {"settings": _revealed(hanging(settings, database_url, silent_server)), "day": "2026-12-03", "workers": 1}
    child.stdin.write(json.dumps(order).encode() + b"\n")
    await child.stdin.drain()
    await asyncio.sleep(3)  # started, and waiting on the silent upstream
    assert child.returncode is None
    child.stdin.close()  # what the parent's exit (or SIGKILL) does to the pipe
    began = time.monotonic()
    status = await asyncio.wait_for(child.wait(), 30)
    assert status == 1 and time.monotonic() - began < 30
    with os.fdopen(answer_end, "rb") as answer:
        assert answer.read() == b""  # no counts: it did not pretend to have finished


def _our_children() -> list[int]:
    """Bulk-pass processes this test process started, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            status = (entry / "status").read_text()
            command = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        parent = next((line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), None)
        if parent == str(os.getpid()) and MODULE.encode() in command:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the process table from /proc")
async def test_a_cancelled_pass_stops_its_child(settings, database_url, silent_server):
    task = asyncio.create_task(run_in_child(hanging(settings, database_url, silent_server), date(2026, 12, 3),
                                            workers=1))
    await asyncio.sleep(3)
    assert not task.done() and len(_our_children()) == 1  # the pass is under way, in its child
    task.cancel()  # the follower stopped (the service shuts down)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 30)
    assert _our_children() == []
