"""The bulk streams over many batches, fed in chunks that cut lines anywhere: the answer is the
batches' lines in the stream's order; a stream that breaks half-way ends the answer there; the
garbage collector is left as it was found."""

from __future__ import annotations

import asyncio
import gc
import random
from collections.abc import AsyncIterator
from datetime import date

import orjson
import pytest

from tefu_eligibility.catalogue.catalogue import default_catalogue
from tefu_eligibility.entitlements.service import BATCH, Counts, batch_lines, entitlement_stream
from tefu_eligibility.entitlements.standing import StandingCounts, batch_standing, standing_stream
from tefu_eligibility.periods import month_period

from .test_evaluators_agree import random_family

DAY = date(2023, 7, 1).toordinal()
MONTHS = [month_period(2023, 7)]


def register(size: int) -> list[dict]:
    rng = random.Random(31)
    return [random_family(rng, i) for i in range(1, size + 1)]


async def chunks_of(documents: list[dict], size: int = 7919, fail_after: int | None = None) -> AsyncIterator[bytes]:
    """The documents as NDJSON, cut into chunks that split lines anywhere; optionally breaking
    once ``fail_after`` lines have been sent."""
    data = b"".join(orjson.dumps(d) + b"\n" for d in documents)
    for start in range(0, len(data), size):
        if fail_after is not None and data.count(b"\n", 0, start) >= fail_after:
            raise ConnectionError("the registry went away")
        await asyncio.sleep(0)
        yield data[start:start + size]


async def collected(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


def test_many_batches_come_out_in_the_streams_order():
    documents = register(2 * BATCH + 321)
    catalogue = default_catalogue()
    counts = StandingCounts()
    streamed = asyncio.run(collected(standing_stream(catalogue, chunks_of(documents), DAY, None, counts)))
    assert streamed == b"".join(batch_standing(catalogue, documents[k:k + BATCH], DAY, None, StandingCounts())
                                for k in range(0, len(documents), BATCH))
    assert [orjson.loads(line)["family_id"] for line in streamed.splitlines()] == [d["family_id"] for d in documents]
    assert counts.families == len(documents)
    lines = asyncio.run(collected(entitlement_stream(catalogue, chunks_of(documents), MONTHS, None, Counts())))
    assert lines == b"".join(batch_lines(catalogue, documents[k:k + BATCH], MONTHS, None, Counts())
                             for k in range(0, len(documents), BATCH))
    assert gc.isenabled()


def test_a_stream_breaking_half_way_ends_the_answer_there():
    documents = register(BATCH + 500)
    catalogue = default_catalogue()

    async def read() -> list[bytes]:
        got = []
        with pytest.raises(ConnectionError):
            async for chunk in standing_stream(catalogue, chunks_of(documents, fail_after=BATCH + 200), DAY, None,
                                               StandingCounts()):
                got.append(chunk)
        return got

    got = asyncio.run(read())
    assert len(b"".join(got).splitlines()) == BATCH  # the first batch, whole; nothing after the break
    assert gc.isenabled()
