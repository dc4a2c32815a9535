"""Bodies of the change feed and of a family's history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HistoryEntry(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 311, "kind": "family_updated", "occurred_at": "2026-11-23T08:15:02Z", "actor": "clerk-zhoucun-3",
        "changes": [{"field": "mother.phone", "old": "138****5678", "new": "139****1111"}],
    }]})

    id: int
    kind: str = Field(description="family_registered, family_updated, event_recorded, liaison_assigned, contact_recorded ...")
    occurred_at: datetime
    actor: str
    changes: list[dict[str, Any]] = Field(description="field, old, new; personal data appears masked")


class ChangeOut(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cursor": 311, "family_id": 17, "kind": "event_recorded", "occurred_at": "2026-11-23T08:15:02Z",
        "region_code": "370306",
    }]})

    cursor: int = Field(description="The change's position in the feed: unique, increasing in commit order.")
    family_id: int
    kind: str
    occurred_at: datetime
    region_code: str


class ChangeFeed(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "items": [{"cursor": 311, "family_id": 17, "kind": "event_recorded", "occurred_at": "2026-11-23T08:15:02Z",
                   "region_code": "370306"}],
        "next_after": 311,
    }]})

    items: list[ChangeOut]
    next_after: int = Field(description="Pass as `after` next time; equal to `after` when nothing is new. Never null.")
