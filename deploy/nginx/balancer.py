"""nginx in front of several replicas of each Tefu service: the configuration, and nginx as a process.

    .venv/bin/python deploy/nginx/balancer.py render --replicas 2    # the configuration on stdout
    .venv/bin/python deploy/nginx/balancer.py check --replicas 2     # nginx -t on it

The configuration is rendered from tefu.conf.j2 beside this file: one upstream per service,
listening on the service's usual port and proxying to its replicas' ports (by default the usual
port + 10000 + 100 × n: registry 18101, 18201, …). Everything nginx writes (pid, logs, temporary
files) is under one prefix directory (``var/nginx`` for ``make run-replicas``), so nginx runs
as an ordinary user. ``scripts/replicas.py`` (``make run-replicas``) and ``tests/test_replicas.py``
start it through :class:`Nginx`.
"""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE = "tefu.conf.j2"

# The usual ports (the same as `make run`), and the POST routes that honour an Idempotency-Key:
# only those are ever sent again to another replica after a replica saw them.
PORTS = {"registry": 8001, "eligibility": 8002, "payments": 8003, "medical-priority": 8004, "supervision": 8005,
         "console": 8000}
KEYED_POSTS = {"payments": ("/v1/batches",), "medical-priority": ("/v1/visits",)}
MAX_BODY = "52m"  # an import of 50 MB and its multipart envelope


def replica_ports(port: int, count: int) -> list[int]:
    """The ports of the replicas of the service nginx serves on ``port``: 8001 → 18101, 18201, …"""
    return [port + 10000 + 100 * n for n in range(1, count + 1)]


@dataclass(frozen=True)
class Upstream:
    name: str
    port: int  # where nginx listens for it
    replicas: tuple[int, ...]  # the replicas' ports
    keyed_posts: tuple[str, ...] = ()

    @property
    def upstream(self) -> str:
        return self.name.replace("-", "_")


def layout(replicas: int, ports: Mapping[str, int] = PORTS) -> list[Upstream]:
    """Each service on its port (by default the usual one), ``replicas`` processes behind it."""
    return [Upstream(name, port, tuple(replica_ports(port, replicas)), KEYED_POSTS.get(name, ()))
            for name, port in ports.items()]


def render(upstreams: Sequence[Upstream], prefix: Path, *, host: str = "127.0.0.1", workers: int = 2,
           max_fails: int = 1, fail_timeout: str = "5s") -> str:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE), undefined=jinja2.StrictUndefined,
                                     keep_trailing_newline=True)
    return environment.get_template(TEMPLATE).render(
        services=upstreams, prefix=str(prefix.resolve()), host=host, workers=workers, max_fails=max_fails,
        fail_timeout=fail_timeout, max_body=MAX_BODY,
        user=pwd.getpwuid(os.geteuid()).pw_name if os.geteuid() == 0 else None,
        # Every replica may be tried once; nginx stops at the first that answers.
        tries=max(len(u.replicas) for u in upstreams))


def nginx_binary() -> str | None:
    """Debian's nginx (apt-get install nginx), on the PATH or in /usr/sbin (not on an ordinary user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@dataclass
class Nginx:
    """nginx as an unprivileged child process, everything it writes under ``prefix``."""

    upstreams: list[Upstream]
    prefix: Path
    host: str = "127.0.0.1"
    options: dict[str, Any] = field(default_factory=dict)  # more arguments of render()
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def config_path(self) -> Path:
        return self.prefix / "nginx.conf"

    def url(self, service: str) -> str:
        port = next(u.port for u in self.upstreams if u.name == service)
        return f"http://{self.host}:{port}"

    def write_config(self) -> Path:
        for directory in ("temp/client_body", "temp/proxy", "temp/fastcgi", "temp/uwsgi", "temp/scgi"):
            (self.prefix / directory).mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(render(self.upstreams, self.prefix, host=self.host, **self.options), encoding="utf-8")
        return self.config_path

    def command(self, *extra: str) -> list[str]:
        binary = nginx_binary()
        if binary is None:
            raise FileNotFoundError("nginx is not installed (Debian: apt-get install nginx)")
        prefix = self.prefix.resolve()
        # -e: even the messages before the configuration is read go under the prefix.
        return [binary, "-p", str(prefix), "-e", str(prefix / "error.log"), "-c", str(self.config_path.resolve()), *extra]

    def check(self) -> None:
        """``nginx -t``: raises with nginx's own words if the configuration is refused."""
        self.write_config()
        done = subprocess.run(self.command("-t", "-q"), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"nginx refused {self.config_path}:\n{done.stderr}")

    def start(self, *, new_session: bool = False, timeout: float = 15.0) -> None:
        self.check()
        log = (self.prefix / "nginx.out").open("wb")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=new_session)
        deadline = time.monotonic() + timeout
        ports = [u.port for u in self.upstreams]
        while not all(_listening(self.host, port) for port in ports):
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited: {(self.prefix / 'error.log').read_text(errors='replace')[-2000:]}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"nginx did not listen on {ports} within {timeout} s")
            time.sleep(0.1)

    def reload(self, upstreams: list[Upstream]) -> None:
        """Serve ``upstreams`` from now on: the configuration checked, then nginx told (SIGHUP). New
        requests go by it at once; requests under way finish where they are."""
        self.upstreams = upstreams
        self.check()
        assert self.process is not None and self.process.poll() is None, "nginx is not running"
        self.process.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        path = self.prefix / "access.log"
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("action", choices=["render", "check"])
    parser.add_argument("--replicas", type=int, default=2, help="processes per service (2)")
    parser.add_argument("--prefix", type=Path, default=ROOT / "var" / "nginx", help="nginx's directory (var/nginx)")
    args = parser.parse_args(argv)
    upstreams = layout(args.replicas)
    if args.action == "render":
        sys.stdout.write(render(upstreams, args.prefix))
        return 0
    Nginx(upstreams, args.prefix).check()
    print(f"nginx accepts {args.prefix / 'nginx.conf'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
