from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal

import pytest
from pydantic import BaseModel, ValidationError

from tefu_common.money import Money, MoneyDecimal, MoneyField, MoneyStr, parse_money_decimal

# -- construction ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, text",
    [("610", "610.00"), ("610.5", "610.50"), ("610.50", "610.50"), (610, "610.00"),
     (Decimal("610.5"), "610.50"), ("-12.3", "-12.30"), ("0", "0.00"), (" 7 ", "7.00")],
)
def test_construction_and_str(value, text):
    assert str(Money(value)) == text


def test_amount_is_quantised_half_up():
    assert Money("1.005").amount == Decimal("1.01")
    assert Money("1.004").amount == Decimal("1.00")
    assert Money("-1.005").amount == Decimal("-1.01")
    assert Money("1.005", rounding=ROUND_DOWN).amount == Decimal("1.00")
    assert Money("2.5").amount.as_tuple().exponent == -2


def test_float_is_refused_with_a_clear_message():
    with pytest.raises(TypeError, match="money is never a float"):
        Money(610.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, None, [1], b"1"])
def test_other_types_are_refused(value):
    with pytest.raises(TypeError):
        Money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-inf", Decimal("NaN"), "abc", "", "1e40"])
def test_non_finite_or_malformed_values_are_refused(value):
    with pytest.raises(ValueError):
        Money(value)


def test_fen_round_trip():
    assert Money.from_fen(61050) == Money("610.50")
    assert Money("610.5").fen == 61050
    assert Money.from_fen(-5) == Money("-0.05")
    assert Money("0.01").fen == 1
    with pytest.raises(TypeError):
        Money.from_fen(610.5)  # type: ignore[arg-type]


def test_negative_zero_prints_as_zero():
    assert str(-Money("0")) == "0.00"
    assert str(Money("-0.001")) == "0.00"


def test_repr():
    assert repr(Money("610.5")) == "Money('610.50')"


# -- arithmetic -----------------------------------------------------------------------------


def test_add_and_subtract_are_exact():
    assert Money("0.1") + Money("0.2") == Money("0.3")
    assert Money("610") - Money("0.01") == Money("609.99")
    assert -Money("5") == Money("-5")
    assert abs(Money("-5")) == Money("5")


def test_mixing_with_plain_numbers_is_an_error():
    with pytest.raises(TypeError):
        Money("1") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money("1") - Decimal("1")  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money("1") < 2  # type: ignore[operator]
    assert Money("1") != 1


def test_multiply_by_count_and_rate():
    assert Money("610") * 12 == Money("7320")
    assert 3 * Money("1.1") == Money("3.30")
    assert Money("100.05") * Decimal("0.5") == Money("50.03")  # 50.025 half up
    assert Money("100.05").multiply(Decimal("0.5"), rounding=ROUND_HALF_EVEN) == Money("50.02")


def test_multiply_by_float_is_refused():
    with pytest.raises(TypeError, match="never a float"):
        Money("610") * 1.5  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money("610").multiply(1.5)  # type: ignore[arg-type]


def test_comparison_and_hash():
    assert Money("1.5") < Money("1.51") <= Money("1.51") < Money("2")
    assert max(Money("3"), Money("10")) == Money("10")
    assert len({Money("1"), Money("1.00"), Money(1)}) == 1


def test_sum():
    amounts = [Money("610.50"), Money("0.25"), Money("-0.75")]
    assert sum(amounts) == Money("610.00")
    assert Money.total(amounts) == Money("610.00")
    assert Money.total([]) == Money("0")
    assert Money.total(m for m in amounts) == Money("610")


def test_truthiness_follows_the_amount():
    assert not Money("0")
    assert Money("0.01")


# -- pydantic -------------------------------------------------------------------------------


class Payment(BaseModel):
    amount: MoneyDecimal
    wire: MoneyStr | None = None
    money: MoneyField | None = None


@pytest.mark.parametrize("raw, value", [('"610"', "610.00"), ('"610.5"', "610.50"), ('"610.50"', "610.50"),
                                        ("610", "610.00"), ('"-3.1"', "-3.10"), ('"1.230"', "1.23")])
def test_json_input_accepted(raw, value):
    payment = Payment.model_validate_json(f'{{"amount": {raw}}}')
    assert payment.amount == Decimal(value)
    assert payment.model_dump_json() == f'{{"amount":"{value}","wire":null,"money":null}}'


@pytest.mark.parametrize(
    "raw, message",
    [
        ("610.5", "not a floating-point number"),
        ("610.0", "not a floating-point number"),
        ('"1.234"', "at most two decimal places"),
        ('"NaN"', "finite"),
        ('"Infinity"', "finite"),
        ('"-Infinity"', "finite"),
        ('"abc"', "not a decimal amount"),
        ("true", "not bool"),
        ("null", "not NoneType"),
    ],
)
def test_json_input_rejected(raw, message):
    with pytest.raises(ValidationError) as info:
        Payment.model_validate_json(f'{{"amount": {raw}}}')
    assert message in info.value.errors()[0]["msg"]


def test_python_input_rejects_float():
    with pytest.raises(ValidationError):
        Payment(amount=610.5)  # type: ignore[arg-type]


def test_money_field_holds_money_and_serialises_as_string():
    payment = Payment.model_validate_json('{"amount": "1", "money": "610.5"}')
    assert payment.money == Money("610.50")
    assert payment.model_dump()["money"] == Decimal("610.50")  # what Numeric columns take
    assert Payment.model_validate(payment.model_dump()) == payment
    assert payment.model_dump(mode="json")["money"] == "610.50"
    assert Payment(amount=Money("2"), money=Money("3")).model_dump_json() == (
        '{"amount":"2.00","wire":null,"money":"3.00"}'
    )


def test_decimal_from_orm_is_accepted():
    assert Payment(amount=Decimal("610.50")).amount == Decimal("610.50")


def test_money_is_itself_a_field_type():
    class Line(BaseModel):
        amount: Money

    line = Line.model_validate_json('{"amount": "12.5"}')
    assert line.amount == Money("12.50")
    assert line.model_dump_json() == '{"amount":"12.50"}'
    with pytest.raises(ValidationError):
        Line.model_validate_json('{"amount": {"amount": "12.5"}}')


def test_json_schema_is_a_string():
    properties = Payment.model_json_schema()["properties"]
    assert properties["amount"]["type"] == "string"
    assert properties["amount"]["examples"] == ["610.50"]
    assert properties["money"]["anyOf"][0]["type"] == "string"


def test_parse_money_decimal_does_not_round():
    assert parse_money_decimal("1.10") == Decimal("1.10")
    with pytest.raises(ValueError, match="at most two decimal places"):
        parse_money_decimal("0.005")
