"""constraints.txt pins every package installed in the suite's environment, at the version installed.

A newcomer's `make install` then gets exactly what CI tested; a package that a service starts to
need (or stops needing) shows up here as a difference, not as a surprise on a fresh machine.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not an exact pin (name==version)"
            pins[normalised(name)] = version
    return pins


def installed() -> dict[str, str]:
    found = {normalised(d.metadata["Name"]): d.version for d in metadata.distributions()}
    return {name: version for name, version in found.items() if not name.startswith("tefu-")}


def test_every_installed_package_is_pinned_at_its_version():
    pins, present = pinned(), installed()
    assert {n: v for n, v in present.items() if pins.get(n) != v} == {}


def test_nothing_is_pinned_that_is_not_installed():
    pins, present = pinned(), installed()
    assert sorted(set(pins) - set(present)) == []
