"""A scratch PostgreSQL cluster with Tefu's server settings (deploy/postgres/tefu.conf), for benchmarks.

    .venv/bin/python bench/tuned_server.py [--port 5499]     # start one; prints its URL; Ctrl-C removes it

or, in a benchmark, ``--tuned-server`` (``with tuned_server() as url: ...``). The cluster is made
with ``initdb`` in a temporary directory, its postgresql.conf includes deploy/postgres/tefu.conf
as a province's server would, it listens on 127.0.0.1 only, and it is stopped and deleted at the
end. The machine's own cluster (a stock Debian configuration) is not touched.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = ROOT / "deploy" / "postgres" / "tefu.conf"


def _server_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise SystemExit("PostgreSQL's server tools (initdb, pg_ctl) are not installed under /usr/lib/postgresql")
    return found[-1].parent


def _as_postgres(*command: str) -> None:
    """The server's tools refuse to run as root: as the ``postgres`` user then."""
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    done = subprocess.run([*prefix, *command], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{Path(command[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def tuned_server(port: int | None = None) -> Iterator[str]:
    """Yield ``postgresql://postgres@127.0.0.1:<port>/postgres`` of a fresh cluster with the settings."""
    binaries = _server_bin()
    port = port or _free_port()
    base = Path(tempfile.mkdtemp(prefix="tefu-tuned-pg-"))
    os.chmod(base, 0o755)
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(base, user.pw_uid, user.pw_gid)
    data = base / "data"
    settings = base / "tefu.conf"  # a copy the postgres user can read wherever the checkout lies
    try:
        _as_postgres(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--locale=C.UTF-8")
        shutil.copy(SETTINGS, settings)
        os.chmod(settings, 0o644)
        with open(data / "postgresql.conf", "a") as conf:
            conf.write(f"\ninclude '{settings}'\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{base}'\n")
        _as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "start")
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            _as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop")
        shutil.rmtree(base, ignore_errors=True)


def add_server_options(parser: argparse.ArgumentParser) -> None:
    """A benchmark's choice of server: ``--pg URL`` (the machine's own by default) or ``--tuned-server``."""
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--tuned-server", action="store_true",
                        help="run on a scratch cluster with deploy/postgres/tefu.conf (bench/tuned_server.py), not --pg")


def server_url(args: argparse.Namespace, stack: ExitStack) -> str:
    """The server the run uses; a tuned one lives as long as ``stack`` (enter it before the databases)."""
    if not args.tuned_server:
        return str(args.pg)
    url = stack.enter_context(tuned_server())
    print(f"on a scratch server with deploy/postgres/tefu.conf: {url}", flush=True)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=5499)
    args = parser.parse_args()
    with tuned_server(args.port) as url:
        print(url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main())
