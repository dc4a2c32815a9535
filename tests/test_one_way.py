"""Each cross-cutting rule is written once, in libs/common, and the services go through it.

Read from the source, so a shortcut cannot creep back in unnoticed:
- region scoping: no service computes a region prefix or compares region codes by hand;
- personal-data reads: no router builds SQL or writes the access log (repositories do both);
- upstream calls and settings: service code gets them as typed dependencies; the only functions
  that take the FastAPI ``Request`` (outside routers and main.py) are those dependency providers,
  a few lines each, never business code;
- tests: one ``bearer`` helper (tefu_common.testing), no test accepting either of two statuses.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_SOURCES = sorted((ROOT / "services").glob("*/src/*"))
TEST_DIRS = [ROOT / "tests", ROOT / "libs/common/tests", *sorted((ROOT / "services").glob("*/tests"))]


def python_files(directories):
    for directory in directories:
        yield from sorted(directory.rglob("*.py"))


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imported_names(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
    return names


def test_no_service_scopes_by_region_by_hand():
    offenders = []
    for path in python_files(SERVICE_SOURCES):
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
        names = imported_names(tree)
        if "tefu_common.regions.region_prefix" in names:
            offenders.append(f"{relative(path)} imports region_prefix")
        if ".covers_region(" in text:
            offenders.append(f"{relative(path)} calls covers_region")
        if re.search(r"region(_code)?\.startswith\(", text):
            offenders.append(f"{relative(path)} matches region codes by prefix itself")
    assert offenders == []


def test_no_router_builds_sql_or_writes_the_access_log():
    offenders = []
    for path in python_files(SERVICE_SOURCES):
        if path.name != "router.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for name in imported_names(tree):
            if name.startswith("sqlalchemy") and not name.startswith("sqlalchemy.ext.asyncio"):
                offenders.append(f"{relative(path)} imports {name}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("execute", "scalars", "scalar", "log_reads",
                                                                  "record_one", "record_from"):
                offenders.append(f"{relative(path)}:{node.lineno} calls .{node.attr}(")
            if isinstance(node, ast.Attribute) and node.attr == "record" and "log" in ast.unparse(node.value).lower():
                offenders.append(f"{relative(path)}:{node.lineno} writes the access log")
    assert offenders == []


def test_savepoints_are_taken_the_one_way_that_holds_on_sqlite():
    # tefu_common.db.savepoint takes SQLite's write lock first; a bare begin_nested() there fails
    # with "database is locked" when another connection commits between its read and its write.
    offenders = [f"{relative(path)} calls begin_nested" for path in python_files(SERVICE_SOURCES)
                 if ".begin_nested(" in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_service_code_gets_its_clients_as_dependencies_not_from_the_request():
    offenders = []
    for path in python_files(SERVICE_SOURCES):
        if path.name in ("main.py", "router.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            takes_request = any(arg.annotation is not None and ast.unparse(arg.annotation) == "Request"
                                for arg in [*node.args.args, *node.args.kwonlyargs])
            body = [statement for statement in node.body
                    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))]
            if takes_request and len(body) > 3:
                offenders.append(f"{relative(path)}:{node.lineno} {node.name} takes the Request")
    assert offenders == []


def test_tests_share_one_bearer_and_expect_one_status():
    offenders = []
    for path in python_files(TEST_DIRS):
        if path.name == Path(__file__).name:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"^def bearer\(", text, re.MULTILINE):
            offenders.append(f"{relative(path)} defines its own bearer()")
        if re.search(r"status_code in \(", text):
            offenders.append(f"{relative(path)} accepts several statuses")
    assert offenders == []
