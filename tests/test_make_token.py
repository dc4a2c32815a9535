"""`make token` prints a token and nothing else, and the suite accepts it."""

from __future__ import annotations

import os
import subprocess

import httpx
import pytest

from .conftest import ROOT

pytestmark = pytest.mark.processes


def make_token(suite, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TEFU_REGISTRY_SIGNING_KEY_FILE": str(suite.keys_dir / "issuer-ed25519.pem")}
    return subprocess.run(["make", "-s", "token", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_hospital_token_from_make(suite):
    result = make_token(suite, "ROLE=hospital", "REGION=440604", "HOSPITAL=H440604001", "SUB=desk-7")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].count(".") == 2
    response = httpx.get(f"{suite.url('medical-priority')}/v1/whoami", headers={"Authorization": f"Bearer {lines[0]}"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["subject"], body["role"], body["region"]) == ("desk-7", "hospital", "440604")
    assert body["institution"] == {"kind": "hospital", "id": "H440604001"}


def test_agency_token_from_make(suite):
    result = make_token(suite, "ROLE=agency", "REGION=420000", "AGENCY=ICBC-HB")
    assert result.returncode == 0, result.stderr
    response = httpx.get(f"{suite.url('payments')}/v1/whoami", headers={"Authorization": f"Bearer {result.stdout.strip()}"})
    assert response.json()["institution"] == {"kind": "agency", "id": "ICBC-HB"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ROLE=hospital", "REGION=440604"), "需要 --hospital [institution-missing]"),
        (("ROLE=clerk", "REGION=999999"), "999999"),
        (("ROLE=mayor", "REGION=370306"), "invalid choice"),
    ],
)
def test_bad_requests_fail_on_stderr(suite, args, message):
    result = make_token(suite, *args)
    assert result.returncode != 0
    assert result.stdout == ""
    assert message in result.stderr
