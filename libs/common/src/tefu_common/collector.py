"""Python's cyclic garbage collector, set once for each process of the suite.

By default CPython looks for reference cycles every 700 new container objects, and a pass
through the older generations walks every object that has survived so far. A service's process
keeps what it built at start-up (the app and its routes, the region table, the rule catalogue)
until it exits, and a bulk pass makes and drops millions of dicts and tuples that hold no
cycles at all. Measured on a bulk pass of cards for 100,000 families, the pass's process spent
3.5–4.9 s of its 14–17 s of CPU in the collector with the defaults, and 0.3–0.6 s after
:func:`settle`; the registry's process 0.9 s of 13 s, and 0.1 s after. Cycles are still found,
only later: a young collection every :data:`YOUNG_THRESHOLD` objects (a few milliseconds' walk),
an old one after a hundred of the middle generation's.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG_THRESHOLD = 50_000
MIDDLE_THRESHOLD = 20
OLD_THRESHOLD = 100


def settle() -> None:
    """Collect once, move every object alive now out of the collector's way for good (what lives
    from start-up to exit), and collect young objects less often from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD)


@contextmanager
def paused() -> Iterator[None]:
    """The collector paused around one piece of work that runs without awaiting (parsing a batch of
    NDJSON lines, say): it makes tens of thousands of small dicts and lists, which would set off
    collections that find nothing (they hold no cycles and are freed by reference counting as soon
    as the work is done). No other request runs meanwhile."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
