"""CPU time of a process and of the whole machine, from /proc, for the benchmarks' figures."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (every thread)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (every core, every process: PostgreSQL too)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / TICKS


def backends(databases: list[str]) -> list[int]:
    """The PostgreSQL server processes serving these databases (their command line names the database)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and any(d.encode() in (entry / "cmdline").read_bytes() for d in databases):
                pids.append(int(entry.name))
        except OSError:
            pass
    return pids
