"""The bulk streams' lines are written piece by piece; each must still be the JSON ``orjson.dumps``
writes for the documented object: same keys in the same order, same spelling of every value.

test_evaluators_agree.py and test_standing_agrees.py check what the lines say; this checks how
they are written, byte for byte, on random registers across every jurisdiction (families with
and without parents, children, member ids or holders).
"""

from __future__ import annotations

import random
from datetime import date

import orjson
import pytest

from tefu_eligibility.catalogue.catalogue import default_catalogue
from tefu_eligibility.entitlements.service import Counts, batch_lines
from tefu_eligibility.entitlements.standing import StandingCounts, batch_standing
from tefu_eligibility.periods import month_period

from .test_evaluators_agree import random_family

STANDING_KEYS = ["family_id", "region_code", "parents", "benefits"]
PARENT_KEYS = ["member_id", "role", "death_date"]
HOLDER_KEYS = ["member_id", "role", "rule_id", "citation", "services"]
LINE_KEYS = ["family_id", "member_id", "role", "benefit", "benefit_name", "month", "period", "due_on", "amount",
             "amount_status", "rule_id", "catalogue_version", "citation", "reason"]


def register(seed: int, size: int = 400) -> list[dict]:
    rng = random.Random(seed)
    documents = [random_family(rng, i) for i in range(1, size + 1)]
    for document in documents[::17]:  # members the registry sent without an id
        for parent in document["family"]["parents"]:
            parent["id"] = None
    documents[5]["family"]["parents"] = []
    documents[6]["family"]["child"] = None
    return documents


def canonical(line: bytes) -> bytes:
    return orjson.dumps(orjson.loads(line))


@pytest.mark.parametrize("seed", [21, 22])
def test_standing_lines_are_what_orjson_writes(seed):
    documents = register(seed)
    holders = 0
    for on in (date(2015, 3, 1), date(2021, 6, 30), date(2024, 1, 31)):
        out = batch_standing(default_catalogue(), documents, on.toordinal(), None, StandingCounts())
        assert out.endswith(b"\n")
        lines = out[:-1].split(b"\n")
        assert len(lines) == len(documents)
        for line, document in zip(lines, documents):
            assert line == canonical(line)
            item = orjson.loads(line)
            assert list(item) == STANDING_KEYS
            assert item["family_id"] == document["family_id"]
            assert [list(p) for p in item["parents"]] == [PARENT_KEYS] * len(document["family"]["parents"])
            assert [p["member_id"] for p in item["parents"]] == [p["id"] for p in document["family"]["parents"]]
            for found in item["benefits"].values():
                assert found and all(list(h) == HOLDER_KEYS for h in found)
                holders += len(found)
    assert holders > 500


@pytest.mark.parametrize("seed", [23, 24])
def test_entitlement_lines_are_what_orjson_writes(seed):
    documents = register(seed)
    months = [month_period(2012, 4), month_period(2019, 1), month_period(2024, 1)]
    out = batch_lines(default_catalogue(), documents, months, None, Counts())
    lines = out[:-1].split(b"\n")
    assert len(lines) > 300
    for line in lines:
        assert line == canonical(line)
        assert list(orjson.loads(line)) == LINE_KEYS
