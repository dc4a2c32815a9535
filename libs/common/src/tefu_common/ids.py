"""Row ids in paths, checked to the range their columns hold.

Ids are INTEGER columns (PostgreSQL's 32 bits): an id beyond 2,147,483,647 can name no row, and
sent to the database as is it would fail the query instead of finding nothing. Routes type their
ids with :data:`RowId`, so a number out of range is a 422 naming the path parameter, like any
other malformed value, before any query runs.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

MAX_ROW_ID = 2**31 - 1  # INTEGER
MAX_BIG_ID = 2**63 - 1  # BIGINT (the change feed's positions)

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="A row id, 1 to 2147483647.")]
"""A path parameter naming a row by its integer id."""
