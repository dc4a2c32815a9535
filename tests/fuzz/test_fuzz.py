"""Property-based fuzzing of every service's published OpenAPI document (``make fuzz``).

Schemathesis reads each running service's ``/openapi.json`` and sends requests generated from it,
valid and invalid (its examples, coverage and fuzzing phases), with a fixed seed and a bounded
number of examples per operation, each with a token of a role the operation admits
(``role_tokens.py``). Every answer must be no server error, a status and a content type the
document declares, and a body (and headers) that match the declared schema. Any failure fails the
run and is listed: operation, check, and a curl command that reproduces it.

The whole suite runs as real processes on PostgreSQL (the ``suite`` and ``console`` fixtures), with
a few families registered first so that generated ids sometimes name real rows.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ..families import bereaved_family, register
from tefu_common.testing import mint_token

pytestmark = [
    pytest.mark.processes,
    pytest.mark.skipif(os.environ.get("TEFU_FUZZ") != "1", reason="run by `make fuzz` (TEFU_FUZZ=1), once, on PostgreSQL"),
]

SEED = 20261202
EXAMPLES = 15  # per operation and phase: the whole run stays within a few minutes on two cores
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance")
SERVICES = ("registry", "eligibility", "payments", "medical-priority", "supervision", "console")
HERE = Path(__file__).resolve().parent


def role_tokens(suite) -> dict[str, str]:
    """A token for each role, for the whole country; the institutions' roles bound to one of their own."""
    key = suite.signing_key
    return {
        "admin": mint_token(key, role="admin", region="000000", ttl_seconds=3600),
        "clerk": mint_token(key, role="clerk", region="000000", ttl_seconds=3600),
        "approver": mint_token(key, role="approver", region="000000", ttl_seconds=3600),
        "auditor": mint_token(key, role="auditor", region="000000", ttl_seconds=3600),
        "service": mint_token(key, role="service", region="000000", ttl_seconds=3600),
        "hospital": mint_token(key, role="hospital", region="370306", hospital="H370306001", ttl_seconds=3600),
        "agency": mint_token(key, role="agency", region="370306", agency="icbc-zibo", ttl_seconds=3600),
    }


def seed_families(suite, admin: str) -> None:
    for region, mother, father in (("370306", "李秀英", "王建国"), ("420106", "张桂兰", "刘德明"),
                                   ("440604", "陈玉梅", "黄志强")):
        register(suite.url("registry"), admin, bereaved_family(region, mother, father, bank="中国工商银行",
                                                              account=f"6222{region}0000001"))


def failures_in(output: str) -> list[str]:
    """The CLI's failure and error sections as one line each: operation, checks (or the error), curl."""
    found = []
    for section in re.split(r"^_{3,} (?=[A-Z]+ /)", output, flags=re.M)[1:]:
        operation = section.split(" _", 1)[0].strip()
        checks = sorted(set(re.findall(r"^- (ST\d+ [^\n]+)", section, flags=re.M))) or \
            [line for line in section.splitlines()[1:4] if line.strip()][:2]
        curl = re.search(r"^\s*(curl [^\n]+)", section, flags=re.M)
        found.append(f"{operation}: {'; '.join(checks)}\n    {curl.group(1) if curl else ''}")
    return found


def test_every_service_answers_as_its_openapi_document_says(suite, console, tmp_path):
    tokens = role_tokens(suite)
    seed_families(suite, tokens["admin"])
    tokens_file = tmp_path / "tokens.json"
    tokens_file.write_text(json.dumps(tokens))
    env = {**os.environ, "TEFU_FUZZ_TOKENS": str(tokens_file), "SCHEMATHESIS_HOOKS": "role_tokens",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")]))}
    report = []
    for name in os.environ.get("TEFU_FUZZ_SERVICES", ",".join(SERVICES)).split(","):
        url = console if name == "console" else suite.url(name)
        # One worker: with two, Hypothesis parses lambda sources from two threads at once, which
        # CPython 3.11 can fail ("AST constructor recursion depth mismatch"), an error of the tool.
        result = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", f"{url}/openapi.json",
             "--seed", str(SEED), "--max-examples", str(EXAMPLES), "--phases", "examples,coverage,fuzzing",
             "--checks", ",".join(CHECKS), "--no-shrink", "--workers", "1", "--request-timeout", "30",
             "--warnings", "off", "--report-dir", str(tmp_path / name)],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        (tmp_path / f"{name}.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
        print(f"== {name}\n{result.stdout[-1500:]}")
        if result.returncode != 0:
            report += [f"{name} {line}" for line in failures_in(result.stdout)] or [f"{name}: exit {result.returncode}\n"
                                                                                    f"{result.stdout[-3000:]}{result.stderr[-3000:]}"]
    assert not report, "schemathesis found:\n" + "\n".join(report)
