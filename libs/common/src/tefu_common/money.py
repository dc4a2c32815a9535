"""Exact amounts of money in CNY (人民币元).

Subsidies are paid monthly to hundreds of thousands of people and reconciled
against bank files to the fen (分), so amounts are decimal, never binary
floating point: ``0.1 + 0.2 != 0.3`` in a float, and a rounding error of one fen
per payment becomes an unexplained difference at reconciliation.

:class:`Money` holds a :class:`~decimal.Decimal` quantised to 0.01 yuan. It is
built from ``str``, ``int`` or ``Decimal`` only; a ``float`` raises
:class:`TypeError`, because by the time a value is a float the damage is done.
Rounding happens only where the code says so (construction and multiplication),
always to the fen, ``ROUND_HALF_UP`` (四舍五入) unless another mode is given.

For APIs, :data:`MoneyDecimal` and :data:`MoneyField` are pydantic field types that
accept ``"610"``, ``"610.5"``, ``"610.50"`` (and JSON integers) but reject JSON
floats, more than two decimal places and NaN/Infinity, and serialise as the
string ``"610.50"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
)
from pydantic_core import CoreSchema, core_schema

from tefu_common.errors import Invalid

__all__ = [
    "Money",
    "MoneyDecimal",
    "NonNegativeMoney",
    "MoneyField",
    "MoneyStr",
    "parse_money_decimal",
]

FEN = Decimal("0.01")

_MONEY_JSON_SCHEMA = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d{1,2})?$",
    "examples": ["610.50"],
    "description": "Amount in CNY yuan with at most two decimal places.",
}

_NO_FLOAT = "money is never a float: pass a str, int or Decimal (e.g. Money('610.50'))"


def _to_decimal(value: object) -> Decimal:
    """Exact conversion of an accepted input type; floats and bools are refused."""
    if isinstance(value, float):
        raise TypeError(_NO_FLOAT)
    # bool is an int subclass, but Money(True) is always a bug.
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        raise TypeError(f"money is built from str, int or Decimal, not {type(value).__name__}")
    if isinstance(value, Decimal):
        amount = value
    else:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError("money must be a finite amount, not NaN or Infinity")
    return amount


def _quantize(amount: Decimal, rounding: str) -> Decimal:
    try:
        return amount.quantize(FEN, rounding=rounding)
    except InvalidOperation:
        # The default context holds 28 significant digits; beyond that is not money.
        raise ValueError(f"amount out of range: {amount}") from None


@dataclass(frozen=True, order=True, init=False)
class Money:
    """An amount in yuan with exactly two decimal places. May be negative (refunds, corrections)."""

    amount: Decimal

    def __init__(self, value: str | int | Decimal = 0, *, rounding: str = ROUND_HALF_UP) -> None:
        amount = _quantize(_to_decimal(value), rounding)
        # Decimal keeps the sign of zero; "-0.00" on a payslip would only confuse.
        object.__setattr__(self, "amount", amount.copy_abs() if not amount else amount)

    @classmethod
    def from_fen(cls, fen: int) -> Money:
        """``Money.from_fen(61050)`` is 610.50 yuan."""
        if isinstance(fen, bool) or not isinstance(fen, int):
            raise TypeError(f"fen must be an int, not {type(fen).__name__}")
        return cls(Decimal(fen).scaleb(-2))

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @classmethod
    def total(cls, amounts: Iterable[Money]) -> Money:
        """Sum of an iterable of Money; ``Money('0.00')`` when empty."""
        result = cls.zero()
        for amount in amounts:
            result = result + amount
        return result

    @property
    def fen(self) -> int:
        return int(self.amount.scaleb(2))

    # -- arithmetic -------------------------------------------------------------------------

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount + other.amount)

    def __radd__(self, other: object) -> Money:
        # Only so that the built-in sum() works: it starts from the integer 0.
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return NotImplemented

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.amount - other.amount)

    def __neg__(self) -> Money:
        return Money(-self.amount)

    def __abs__(self) -> Money:
        return Money(abs(self.amount))

    def multiply(self, factor: int | Decimal, *, rounding: str = ROUND_HALF_UP) -> Money:
        """Multiply by a count or a rate, rounding the result to the fen with ``rounding``.

        ``Money("610") * 12`` is exact; ``Money("100.05").multiply(Decimal("0.5"))``
        is 50.025 rounded half up to 50.03 (or 50.02 with ``ROUND_HALF_EVEN``).
        """
        if isinstance(factor, float):
            raise TypeError("multiply money by an int or Decimal, never a float")
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            raise TypeError(f"money can be multiplied by int or Decimal, not {type(factor).__name__}")
        return Money(self.amount * factor, rounding=rounding)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal | float):
            return NotImplemented
        return self.multiply(factor)  # type: ignore[arg-type]

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return bool(self.amount)

    def __str__(self) -> str:
        return f"{self.amount:.2f}"

    def __repr__(self) -> str:
        return f"Money('{self}')"

    # -- pydantic ---------------------------------------------------------------------------
    # Without these hooks pydantic would treat Money as a plain dataclass and accept
    # {"amount": ...} objects; with them a Money field validates like MoneyDecimal and
    # holds a Money. JSON output is "610.50"; model_dump() gives the Decimal, which is
    # what Numeric columns take (pydantic would turn a dataclass instance into a dict).

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(
            lambda value: cls(parse_money_decimal(value)),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value, info: str(value) if info.mode_is_json() else value.amount, info_arg=True
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: CoreSchema, handler: GetJsonSchemaHandler) -> dict:
        return dict(_MONEY_JSON_SCHEMA)


def parse_money_decimal(value: Any) -> Decimal:
    """Strict input parsing for API fields: exact amounts with at most two decimal places.

    Unlike the :class:`Money` constructor, nothing is rounded: ``"1.234"`` is an
    error, because an amount a person typed must never change silently.
    """
    if isinstance(value, Money):
        return value.amount
    if isinstance(value, float):
        raise Invalid("money-not-a-string", '金额应以文字发送，如 "610.50"，不能是浮点数',
                      'money must be sent as a string such as "610.50", not a floating-point number')
    if isinstance(value, str):
        value = value.strip()
    try:
        amount = _to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise Invalid("money-invalid", f"不是有效的金额：{exc}", str(exc)) from None
    quantized = _quantize(amount, ROUND_HALF_UP)
    if quantized != amount:
        raise Invalid("money-decimal-places", "金额最多两位小数", "money has at most two decimal places")
    return quantized


MoneyDecimal = Annotated[
    Decimal,
    BeforeValidator(parse_money_decimal),
    PlainSerializer(lambda d: f"{d:.2f}", return_type=str, when_used="json"),
    WithJsonSchema(_MONEY_JSON_SCHEMA),
]
"""Pydantic field holding a ``Decimal`` with two places (matches ``Numeric(…, 2)`` columns)."""

def _not_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise Invalid("money-negative", f"金额不能为负数（{value:.2f}）", f"an amount may not be negative ({value:.2f})")
    return value


NonNegativeMoney = Annotated[MoneyDecimal, AfterValidator(_not_negative)]
""":data:`MoneyDecimal` that may not be below zero: a pension, a fee waived, an amount paid."""

MoneyStr = MoneyDecimal
"""Alias of :data:`MoneyDecimal`, named after its wire form."""

MoneyField = Money
"""Pydantic field holding a :class:`Money` (``Money`` itself works as a field type too);
same wire format as :data:`MoneyDecimal`."""
