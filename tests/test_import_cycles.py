"""No import cycles: no module imports a module that imports it back, directly or through a package.

Every import counts, including those inside functions (an import moved into a function still ties
the two modules together; it only hides the knot). Two graphs are checked for each package
(``tefu_common`` and every service):

- modules: ``tefu_registry.families.service`` → ``tefu_registry.events.service`` …
- domain packages: every module of ``tefu_registry.families`` counted as ``tefu_registry.families``,
  so that families → events → families fails even when no single module pair loops.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {
    "tefu_common": ROOT / "libs/common/src/tefu_common",
    "tefu_registry": ROOT / "services/registry/src/tefu_registry",
    "tefu_eligibility": ROOT / "services/eligibility/src/tefu_eligibility",
    "tefu_payments": ROOT / "services/payments/src/tefu_payments",
    "tefu_medical_priority": ROOT / "services/medical-priority/src/tefu_medical_priority",
    "tefu_supervision": ROOT / "services/supervision/src/tefu_supervision",
    "tefu_console": ROOT / "services/console/src/tefu_console",
}


def modules_of(package: str, directory: Path) -> dict[str, Path]:
    found = {}
    for path in directory.rglob("*.py"):
        parts = list(path.relative_to(directory).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join([package, *parts])] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that ``name`` imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # "from a.b import c": c may be a module of its own, or a name defined in a.b.
            candidates = [f"{module}.{alias.name}" if f"{module}.{alias.name}" in known else module
                          for alias in node.names]
        else:
            continue
        for candidate in candidates:
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one node (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def domain_of(module: str, package: str, directory: Path) -> str:
    """``tefu_registry.families.service`` → ``tefu_registry.families``; top-level modules stay themselves."""
    parts = module.split(".")
    if len(parts) > 2 and (directory / parts[1]).is_dir():
        return ".".join(parts[:2])
    return module


@pytest.mark.parametrize("package", list(PACKAGES))
def test_no_module_imports_a_module_that_imports_it_back(package: str) -> None:
    modules = modules_of(package, PACKAGES[package])
    graph = {name: imports_of(name, path, set(modules)) for name, path in modules.items()}
    # A package's __init__ that re-exports its modules is not a cycle with them: importing the
    # package runs the module, not the other way round, unless the module imports the package.
    assert cycles(graph) == []


@pytest.mark.parametrize("package", list(PACKAGES))
def test_no_domain_package_imports_one_that_imports_it_back(package: str) -> None:
    directory = PACKAGES[package]
    modules = modules_of(package, directory)
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        source = domain_of(name, package, directory)
        for target in imports_of(name, path, set(modules)):
            destination = domain_of(target, package, directory)
            if destination != source:
                graph[source].add(destination)
    assert cycles(dict(graph)) == []


def test_the_check_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
