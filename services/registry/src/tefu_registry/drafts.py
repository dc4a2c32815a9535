"""Rows being prepared: column values with attribute access, before anything is written.

Registration checks a family with the same functions whether it is stored (ORM objects) or being
prepared (drafts): both answer ``family.members``, ``member.role``, ``event.occurred_on``. Drafts
cost a fraction of an ORM object to build, which matters when an import prepares 100,000 families.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


class Draft(SimpleNamespace):
    def values(self, *leave_out: str) -> dict[str, Any]:
        return {key: value for key, value in vars(self).items() if key not in leave_out}
