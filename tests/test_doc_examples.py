"""Every example in README.md and docs/ runs, as written, against the suite as real processes.

A fenced block's tag says what it is:

- ``sh``: run. The blocks of one file run in order in one bash session (``set -eo pipefail``, and
  ``set -a`` so that every variable is also in the environment of the Python blocks), so later
  blocks use the variables of earlier ones. A failing command fails the file: examples use
  ``curl -sf`` or ``--fail-with-body``, or check an expected error status themselves. A block
  right after ``<!-- not run: <reason> -->`` (starting the suite until Ctrl-C, creating
  databases, minutes of benchmark) is only parsed (``bash -n``).
- ``python``: run with the suite's Python in the same order, with the session's variables in its
  environment; a block whose first line is ``# save as <name>.py`` is written to that file in the
  session's directory instead, for the next ``sh`` blocks to run.
- ``json``: an answer or a body shown as it is; it must parse.
- ``text`` and ``http``: illustrations, not run.

Anything else, or a block without a tag, fails: a reader cannot tell whether it is meant to work.

The examples use the ports of ``make run`` (8001-8005); the session's copy points them at the
suite's ports (``tests/conftest.py``), and ``make -s token`` signs with the suite's issuer key (the
Makefile's own recipe, without reinstalling: the test never changes the virtual environment).
Each session works in a directory of its own; the sessions of all files run side by side.

Also checked: every repository path a file names exists, every relative link leads to a file,
and the README stays under 200 lines.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.processes

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TAGS = {"sh", "python", "json", "text", "http"}
PORTS = {"8001": "registry", "8002": "eligibility", "8003": "payments", "8004": "medical-priority", "8005": "supervision"}
NOT_RUN = re.compile(r"<!--\s*not run:\s*(?P<reason>[^>]*?)\s*-->\s*$")
SAVE_AS = re.compile(r"^#\s*save as\s+(?P<name>[\w.-]+\.py)\s*$")
FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+|~~~+)(?P<info>.*)$")
# Paths the docs name in the repository: every one must exist.
CITED_PATH = re.compile(
    r"(?<![\w/.$-])((?:services|libs|tests|bench|scripts|deploy|docs)/[\w.\-/]*[\w/]"
    r"|(?:Makefile|constraints\.txt|docker-compose\.yml|pytest\.ini)\b)"
)
LINK = re.compile(r"\]\((?!https?:)([^)#\s]+)(?:#[^)]*)?\)")
SECONDS_PER_FILE = 120


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, counted from 1
    tag: str
    text: str
    not_run: str | None  # the reason given, for sh blocks that are only parsed

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def blocks_of(path: Path) -> list[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        fence, tag = opening["fence"], opening["info"].strip()
        previous = next((lines[i] for i in range(index - 1, -1, -1) if lines[i].strip()), "")
        marker = NOT_RUN.match(previous.strip())
        body: list[str] = []
        index += 1
        while index < len(lines) and not lines[index].strip().startswith(fence):
            body.append(lines[index])
            index += 1
        found.append(Block(path, index - len(body), tag, "\n".join(body) + "\n", marker["reason"] if marker else None))
        index += 1
    return found


def ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


@pytest.mark.parametrize("path", DOCS, ids=ids(DOCS))
def test_every_block_says_what_it_is(path: Path) -> None:
    for block in blocks_of(path):
        assert block.tag in TAGS, f"{block.where}: a block tagged {block.tag!r}; use one of {sorted(TAGS)}"
        if block.not_run is not None:
            assert block.tag == "sh" and block.not_run, f"{block.where}: `not run` is for sh blocks, with a reason"
            syntax = subprocess.run(["bash", "-n"], input=block.text, text=True, capture_output=True)
            assert syntax.returncode == 0, f"{block.where}: {syntax.stderr}"
        if block.tag in ("sh", "python") and block.not_run is None:
            # Only the literal URLs of make run can be pointed at the suite (not localhost, not $port).
            stray = re.findall(r"localhost:\S*|127\.0\.0\.1:(?!800[1-5]\b|5432\b)\S*", block.text)
            assert not stray, f"{block.where}: write the services' URLs as http://127.0.0.1:8001..8005, not {stray}"
        if block.tag == "json":
            try:
                json.loads(block.text)
            except ValueError as exc:
                pytest.fail(f"{block.where}: not JSON ({exc})")


@pytest.mark.parametrize("path", DOCS, ids=ids(DOCS))
def test_every_path_the_docs_name_exists(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    missing = sorted({m for m in CITED_PATH.findall(text) if not (ROOT / m).exists()})
    # Links to other files, relative to the file: [the HIS guide](his-integration.md)
    missing += sorted({m for m in LINK.findall(text) if not (path.parent / m).exists()})
    assert not missing, f"{path.relative_to(ROOT)} names files that do not exist: {missing}"


def test_the_readme_stays_short() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) < 200


def session_script(path: Path, suite) -> str:  # type: ignore[no-untyped-def]
    """One bash script of the file's runnable blocks, pointed at the suite."""

    def local(text: str) -> str:
        return re.sub(r"http://127\.0\.0\.1:(800[1-5])", lambda m: suite.url(PORTS[m[1]]), text)

    parts = [
        "set -eao pipefail",
        # The Makefile's token recipe as written; -o: the installation and the keys are taken as they are.
        f'make() {{ command make -C {ROOT} -o .venv/.installed -o var/keys/issuer-jwks.json "$@"; }}',
        # No example may hang the test.
        'curl() { command curl --max-time 60 "$@"; }',
        "trap 'echo \"doc-example: failed ($?): $BASH_COMMAND\" >&2' ERR",
    ]
    for number, block in enumerate(blocks_of(path)):
        if block.tag not in ("sh", "python") or block.not_run is not None:
            continue
        parts.append(f"echo 'doc-example: {block.where}' >&2")
        end = f"__TEFU_DOC_{number}__"
        saved = SAVE_AS.match(block.text.splitlines()[0]) if block.tag == "python" else None
        if block.tag == "sh":
            parts.append(local(block.text))
        elif saved:
            parts.append(f"cat > {saved['name']} <<'{end}'\n{local(block.text)}{end}")
        else:
            parts.append(f"python3 - <<'{end}'\n{local(block.text)}{end}")
    return "\n".join(parts) + "\n"


RUNNABLE = [p for p in DOCS if any(b.tag in ("sh", "python") and b.not_run is None for b in blocks_of(p))]


@dataclass
class Session:
    process: subprocess.Popen[str]
    directory: Path

    def output(self, name: str) -> str:
        return (self.directory / name).read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def sessions(suite, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[Path, Session]]:  # type: ignore[no-untyped-def]
    """Every file's session, started at once: they are independent of one another (each file uses
    regions, people and clients of its own), and most of their time is spent waiting on answers
    and on `make -s token`, so running them side by side keeps the whole test near a minute."""
    env = {
        **os.environ,
        # python3 (and the tools) of the suite's environment first, as after `source .venv/bin/activate`.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "TEFU_REGISTRY_SIGNING_KEY_FILE": str(suite.keys_dir / "issuer-ed25519.pem"),
        "TEFU_REGISTRY_AUTH__JWKS_FILE": str(suite.keys_dir / "issuer-jwks.json"),
    }
    started: dict[Path, Session] = {}
    for path in RUNNABLE:
        directory = tmp_path_factory.mktemp(path.stem)
        (directory / "session.sh").write_text(session_script(path, suite), encoding="utf-8")
        with (directory / "stdout").open("w") as stdout, (directory / "stderr").open("w") as stderr:
            process = subprocess.Popen(["bash", "session.sh"], cwd=directory, env=env, stdout=stdout, stderr=stderr,
                                       text=True, start_new_session=True)
        started[path] = Session(process, directory)
    yield started
    for session in started.values():
        if session.process.poll() is None:
            os.killpg(session.process.pid, signal.SIGKILL)
            session.process.wait()


@pytest.mark.parametrize("path", RUNNABLE, ids=ids(RUNNABLE))
def test_the_examples_run(path: Path, sessions: dict[Path, Session]) -> None:
    session = sessions[path]
    try:
        returncode = session.process.wait(timeout=SECONDS_PER_FILE)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{path.relative_to(ROOT)}: examples still running after {SECONDS_PER_FILE} s\n"
                    f"{session.output('stderr')[-3000:]}")
    if returncode != 0:
        stderr = session.output("stderr")
        reached = re.findall(r"^doc-example: (\S+)$", stderr, re.M)
        pytest.fail(f"the example at {reached[-1] if reached else path.name} failed (exit {returncode})\n"
                    f"--- stdout (end)\n{session.output('stdout')[-4000:]}\n--- stderr (end)\n{stderr[-4000:]}")
