"""Region scoping: the one place that decides which rows a caller's region covers.

A token carries a GB/T 2260 region; a clerk of 370306 sees the families, cards, batches and log
entries of 370306 and every township and village under it, and nothing of 420102. Every query of
region-owned rows goes through :func:`scoped` (or :func:`region_clause`), and every check of one
code through :func:`covers` or :func:`require_within`, so the rule is written once::

    statement = scoped(select(Family), Family.region_code, caller)
    require_within(caller, body.region_code, field="region_code")

Rows with no region at all (a lookup of a card number that matched nothing) are seen only by
callers of the whole country.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import true
from sqlalchemy.sql.elements import ColumnElement

from tefu_common.auth.principal import Principal
from tefu_common.errors import Invalid, NotFound
from tefu_common.i18n import Text
from tefu_common.regions import region_contains, region_level, region_prefix

Statement = TypeVar("Statement")


def _region_of(scope: Principal | str) -> str:
    return scope.region if isinstance(scope, Principal) else scope


def covers(scope: Principal | str, code: str | None) -> bool:
    """True if the region of ``scope`` (a caller, or a region code) includes ``code``."""
    return code is not None and region_contains(_region_of(scope), code)


def region_clause(column: ColumnElement[str], scope: Principal | str) -> ColumnElement[bool]:
    """``column`` lies in the region of ``scope``: a prefix match, or always true for the country."""
    prefix = region_prefix(_region_of(scope))
    return column.startswith(prefix, autoescape=True) if prefix else true()


def scoped(statement: Statement, column: ColumnElement[str], scope: Principal | str) -> Statement:
    """``statement`` limited to the rows whose ``column`` lies in the region of ``scope``."""
    prefix = region_prefix(_region_of(scope))
    if not prefix:
        return statement
    return statement.where(column.startswith(prefix, autoescape=True))  # type: ignore[attr-defined]


def require_within(caller: Principal, code: str, *, field: str, location: str = "body") -> None:
    """422 on ``field`` unless ``code`` lies in the caller's region (or if it is no region code at all)."""
    try:
        region_level(code)
    except ValueError:
        raise Invalid("region-code-format", f"地区码应为 6、9 或 12 位数字，而不是“{code}”",
                      f"region code must be 6, 9 or 12 digits, not {code!r}").at(field, location=location) from None
    if not covers(caller, code):
        raise Invalid(
            "region-outside-scope",
            f"{code} 不在你的辖区 {caller.region} 之内",
            f"{code} is outside your region {caller.region}",
        ).at(field, location=location)


def found_within(caller: Principal, row: Any, code: str | None, what: Text) -> Any:
    """``row`` if it exists and its region lies in the caller's; otherwise 404, the same answer
    whether it does not exist or belongs to another region (so ids elsewhere cannot be probed)."""
    if row is None or not covers(caller, code):
        raise NotFound(Text(f"没有{what.zh}（或不在你的辖区）", f"no {what.en} (or not in your region)"))
    return row
