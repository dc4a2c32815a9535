from datetime import date

import pytest
from fastapi import FastAPI
import httpx
from pydantic import BaseModel, ValidationError

from tefu_common.resident_id import (
    EARLIEST_BIRTH_DATE,
    ResidentId,
    ResidentIdError,
    ResidentIdStr,
    check_character,
)

TODAY = date(2024, 6, 1)

# Published examples of the standard.
FEMALE_1949 = "11010519491231002X"  # 北京市朝阳区, born 1949-12-31, female
MALE_1880 = "440524188001010014"  # 潮阳县 (a code listed 1983-1992), born 1880-01-01, male


def parse(raw: str) -> ResidentId:
    return ResidentId.parse(raw, today=TODAY)


def reason_of(raw: str) -> tuple[str, str]:
    with pytest.raises(ResidentIdError) as info:
        parse(raw)
    return info.value.reason, str(info.value)


# -- check character ------------------------------------------------------------------------


def test_check_character_worked_by_hand():
    # 1 3 0 5 0 3 1 9 6 7 0 4 0 1 0 0 1 weighted by 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2:
    # 7+27+0+25+0+12+2+9+36+21+0+36+0+5+0+0+2 = 182; 182 mod 11 = 6; "10X98765432"[6] = "6".
    assert check_character("13050319670401001") == "6"


@pytest.mark.parametrize(
    "first17, expected",
    [("11010519491231002", "X"), ("44052418800101001", "4"), ("11010319800101001", "3")],
)
def test_check_character(first17, expected):
    assert check_character(first17) == expected


@pytest.mark.parametrize("bad", ["1101051949123100", "1101051949123100X", "１１０１０５１９４９１２３１００２"])
def test_check_character_needs_17_ascii_digits(bad):
    with pytest.raises(ValueError):
        check_character(bad)


# -- valid numbers --------------------------------------------------------------------------


def test_published_female_example():
    rid = parse(FEMALE_1949)
    assert rid.value == FEMALE_1949
    assert rid.region_code == "110105"
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "female"
    assert rid.sequence == "002"
    assert rid.last4 == "002X"


def test_published_1880_example_is_within_the_lower_bound():
    rid = parse(MALE_1880)
    assert rid.birth_date == date(1880, 1, 1) >= EARLIEST_BIRTH_DATE
    assert rid.sex == "male"


def test_sex_follows_parity_of_the_17th_digit():
    assert parse("110105194912310011").sex == "male"  # 1 odd
    assert parse("37030619750618002X").sex == "female"  # 2 even


def test_normalisation_lowercase_x_whitespace_and_full_width():
    assert parse("  11010519491231002x\n").value == FEMALE_1949
    assert parse("１１０１０５１９４９１２３１００２Ｘ").value == FEMALE_1949


def test_retired_region_codes_are_accepted():
    # 110103 崇文区 merged into 东城区 in 2010; 110221 昌平县 became 昌平区 in 1999.
    assert parse("110103198001010013").region_code == "110103"
    assert parse("110221196503150023").sex == "female"


def test_str_is_the_number_and_repr_is_masked():
    rid = parse(FEMALE_1949)
    assert str(rid) == FEMALE_1949
    assert repr(rid) == "ResidentId('**************002X')"
    assert FEMALE_1949 not in repr(rid)


def test_age_on():
    rid = parse(FEMALE_1949)
    assert rid.age_on(date(1998, 12, 30)) == 48
    assert rid.age_on(date(1998, 12, 31)) == 49


def test_value_type_equality_and_hash():
    assert parse(FEMALE_1949) == parse("11010519491231002x")
    assert len({parse(FEMALE_1949), ResidentId(FEMALE_1949)}) == 1


# -- 15-digit first-generation numbers -------------------------------------------------------


def test_15_digit_number_is_converted():
    rid = parse("130503670401001")
    assert rid.value == "130503196704010016"
    assert rid.birth_date == date(1967, 4, 1)
    assert rid.sex == "male"


def test_15_digit_number_with_letters_is_rejected():
    reason, message = reason_of("13050367040100X")
    assert reason == "characters"
    assert "character 15" in message


def test_15_digit_number_with_bad_date_is_rejected():
    assert reason_of("130503670231001")[0] == "birth_date"


# -- invalid numbers ------------------------------------------------------------------------


def test_wrong_check_character_names_the_expected_one():
    reason, message = reason_of("110105194912310023")
    assert reason == "check_character"
    assert message == "check character should be 'X', not '3'"


def test_impossible_date():
    reason, message = reason_of("11010519900230001X")  # 30 February
    assert reason == "birth_date"
    assert "19900230" in message and "calendar" in message


def test_future_date():
    first17 = "11010520300101001"
    reason, message = reason_of(first17 + check_character(first17))
    assert reason == "birth_date"
    assert "2030-01-01 is in the future" in message


def test_future_is_relative_to_today():
    first17 = "11010520240602001"
    raw = first17 + check_character(first17)
    assert reason_of(raw)[0] == "birth_date"
    assert ResidentId.parse(raw, today=date(2024, 6, 2)).birth_date == date(2024, 6, 2)


def test_date_before_1850():
    first17 = "11010518491231001"
    reason, message = reason_of(first17 + check_character(first17))
    assert reason == "birth_date"
    assert "before 1850-01-01" in message


@pytest.mark.parametrize("raw, length", [("", 0), ("11010519491231002", 17), ("11010519491231002X1", 19)])
def test_wrong_length(raw, length):
    reason, message = reason_of(raw)
    assert reason == "length"
    assert message.endswith(f"not {length}")


def test_letters_in_the_body():
    reason, message = reason_of("1101051949A231002X")
    assert reason == "characters"
    assert message == "character 11 should be a digit, not 'A'"


def test_bad_last_character():
    reason, message = reason_of("11010519491231002Y")
    assert reason == "characters"
    assert message == "character 18 should be a digit or 'X', not 'Y'"


def test_inner_whitespace_is_not_ignored():
    assert reason_of("110105 9491231002X")[0] == "characters"


def test_unknown_region():
    first17 = "99999919800101001"
    reason, message = reason_of(first17 + check_character(first17))
    assert reason == "region"
    assert "999999" in message


def test_non_string():
    with pytest.raises(ResidentIdError) as info:
        ResidentId.parse(11010519491231002)  # type: ignore[arg-type]
    assert info.value.reason == "type"


def test_direct_construction_checks_canonical_form():
    with pytest.raises(ResidentIdError):
        ResidentId("11010519491231002x")
    with pytest.raises(ResidentIdError):
        ResidentId("110105194912310023")


def test_error_is_a_value_error():
    assert issubclass(ResidentIdError, ValueError)


# -- pydantic and FastAPI -------------------------------------------------------------------


class Applicant(BaseModel):
    id_number: ResidentIdStr


def test_pydantic_normalises():
    assert Applicant(id_number=" 11010519491231002x ").id_number == FEMALE_1949
    assert Applicant(id_number="130503670401001").id_number == "130503196704010016"


def test_pydantic_error_carries_the_message():
    with pytest.raises(ValidationError) as info:
        Applicant(id_number="110105194912310023")
    assert "check character should be 'X', not '3'" in info.value.errors()[0]["msg"]


def test_pydantic_rejects_integers():
    with pytest.raises(ValidationError):
        Applicant(id_number=110105194912310011)  # type: ignore[arg-type]


async def test_fastapi_returns_422_with_the_message():
    app = FastAPI()

    @app.post("/applicants")
    def create(applicant: Applicant) -> Applicant:
        return applicant

    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        ok = await client.post("/applicants", json={"id_number": "11010519491231002x"})
        bad = await client.post("/applicants", json={"id_number": "110105194912310023"})
    assert ok.status_code == 200
    assert ok.json() == {"id_number": FEMALE_1949}

    assert bad.status_code == 422
    assert "check character should be 'X', not '3'" in bad.text
