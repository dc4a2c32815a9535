"""The synthetic family generator: valid request bodies, reproducible, realistic mix."""

from __future__ import annotations

import inspect
import itertools
from collections import Counter
from datetime import date

import pytest

from tefu_common.regions import region_table
from tefu_common.resident_id import ResidentId
from tefu_registry.demo import generator
from tefu_registry.demo.generator import generate_families, jurisdiction_regions
from tefu_registry.families.schemas import FamilyCreate

TODAY = date(2026, 6, 30)
SEEDS = (0, 1, 7, 2024)
JURISDICTIONS = {"370306": "周村", "310114": "嘉定", "4406": "佛山", "42": "湖北", "43": "湖南"}


def _jurisdiction(code: str) -> str | None:
    return next((name for prefix, name in JURISDICTIONS.items() if code.startswith(prefix)), None)


@pytest.fixture(scope="module")
def families() -> dict[int, list[dict]]:
    return {seed: list(generate_families(2_000, seed=seed, today=TODAY)) for seed in SEEDS}


def _all(families: dict[int, list[dict]]) -> list[dict]:
    return [family for batch in families.values() for family in batch]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_family_validates_as_a_request_body(families: dict[int, list[dict]], seed: int) -> None:
    batch = families[seed]
    assert len(batch) == 2_000
    for family in batch:
        FamilyCreate.model_validate(family)


def test_external_refs_are_per_seed_and_unique(families: dict[int, list[dict]]) -> None:
    refs = [family["external_ref"] for family in families[7]]
    assert refs[0] == "demo-7-1" and refs[-1] == "demo-7-2000"
    assert len(set(refs)) == len(refs)


def test_same_seed_same_output_other_seed_other_output() -> None:
    first = list(generate_families(300, seed=42, today=TODAY))
    assert first == list(generate_families(300, seed=42, today=TODAY))
    other = list(generate_families(300, seed=43, today=TODAY))
    assert [f["mother"] for f in first if "mother" in f] != [f["mother"] for f in other if "mother" in f]
    # A prefix of a longer run is the shorter run.
    assert list(generate_families(50, seed=42, today=TODAY)) == first[:50]


def test_parents_id_numbers_match_sex_birth_date_and_province(families: dict[int, list[dict]]) -> None:
    table = region_table()
    for family in _all(families):
        for role, sex in (("mother", "female"), ("father", "male")):
            person = family.get(role)
            if person is None:
                continue
            rid = ResidentId.parse(person["id_number"], today=TODAY)
            assert rid.sex == sex == person["sex"]
            assert rid.birth_date.isoformat() == person["birth_date"]
            assert rid.region_code[:2] == family["region_code"][:2]
            assert table.exists(rid.region_code)
            assert person.get("bank_account") is None or person["bank_account"]["holder"] == person["name"]
        mother, father = family.get("mother"), family.get("father")
        if mother:
            assert "1950-01-01" <= mother["birth_date"] <= "1975-12-31"
        if father:
            assert "1947-01-01" <= father["birth_date"] <= "1975-12-31"
        child = family["child"]
        if child.get("id_number"):
            rid = ResidentId.parse(child["id_number"], today=TODAY)
            assert rid.birth_date.isoformat() == child["birth_date"] and rid.sex == child["sex"]
            if mother:
                assert rid.region_code == mother["id_number"][:6]


def test_dates_are_consistent(families: dict[int, list[dict]]) -> None:
    today = TODAY.isoformat()
    for family in _all(families):
        child = family["child"]
        born = child["birth_date"]
        mother = family.get("mother")
        if mother:
            age_at_birth = int(born[:4]) - int(mother["birth_date"][:4])
            assert 19 <= age_at_birth <= 36
        events = family["events"]
        assert events, family["external_ref"]
        assert [e["occurred_on"] for e in events] == sorted(e["occurred_on"] for e in events)
        for event in events:
            assert born < event["occurred_on"] <= today
            assert event["occurred_on"] >= "1980-01-01"
        kinds = [e["kind"] for e in events]
        if "later_child_born" in kinds:
            died = next(e for e in events if e["kind"] == "child_died")
            later = next(e for e in events if e["kind"] == "later_child_born")
            assert died["occurred_on"] < later["occurred_on"]
        if kinds[0] == "disability_certified":
            first = events[0]
            assert first["certificate_no"] == f"{child['id_number']}{first['category']}{first['level']}"
        else:
            assert kinds[0] == "child_died"
        if child.get("adopted"):
            assert born < child["adopted_on"] <= today
        for certificate in ("honor_certificate", "assistance_certificate"):
            if certificate in family:
                assert born < family[certificate]["issued_on"] <= today
        for role in ("mother", "father"):
            person = family.get(role)
            if person and person.get("death_date"):
                assert person["death_date"] < today
                assert int(person["death_date"][:4]) - int(person["birth_date"][:4]) >= 40
                assert "phone" not in person and "bank_account" not in person


def test_mix_is_roughly_realistic(families: dict[int, list[dict]]) -> None:
    batch = families[0]
    n = len(batch)
    first_kind = Counter(f["events"][0]["kind"] for f in batch)
    assert 0.5 < first_kind["child_died"] / n < 0.7
    assert 0.3 < first_kind["disability_certified"] / n < 0.5
    levels = Counter(e["level"] for f in batch for e in f["events"] if e["kind"] == "disability_certified")
    assert 0.08 < levels[4] / sum(levels.values()) < 0.25
    later = [f for f in batch if any(e["kind"] == "later_child_born" for e in f["events"])]
    assert 0.02 < len(later) / n < 0.09
    assert any(e.get("assisted_reproduction") for f in later for e in f["events"])
    assert any(e["kind"] in ("disability_level_changed", "child_recovered") for f in batch for e in f["events"])
    single = [f for f in batch if ("mother" in f) != ("father" in f)]
    assert 0.04 < len(single) / n < 0.11
    deaths = [f for f in batch if any(f.get(r, {}).get("death_date") for r in ("mother", "father"))]
    assert 0.06 < len(deaths) / n < 0.14
    assert 0.6 < sum(1 for f in batch if f["child"].get("id_number")) / n < 0.8
    assert 0.02 < sum(1 for f in batch if f["child"].get("adopted")) / n < 0.09
    assert 0.85 < sum(1 for f in batch if "honor_certificate" in f) / n < 0.95
    assert 0.15 < sum(1 for f in batch if "assistance_certificate" in f) / n < 0.4
    assert 0.4 < sum(1 for f in batch if f["hukou_type"] == "urban") / n < 0.6
    pensions = [p for f in batch for p in (f.get("mother"), f.get("father")) if p and p["in_resident_pension"]]
    assert all(100 <= float(p["monthly_basic_pension"]) <= 300 for p in pensions)
    places = Counter(_jurisdiction(f["region_code"]) for f in batch)
    assert None not in places and set(places) == set(JURISDICTIONS.values())
    assert min(places.values()) > n / 5 * 0.7


def test_default_regions_are_current_counties_with_addresses_in_their_names(
    families: dict[int, list[dict]],
) -> None:
    table = region_table()
    defaults = {code for codes in jurisdiction_regions().values() for code in codes}
    assert {"370306", "310114", "440604", "440608"} <= defaults
    assert all(table.is_current(c) and table.level(c) == "county" for c in defaults)
    for family in families[1]:
        assert family["region_code"] in defaults
        county = table.name(family["region_code"])
        assert county in family["address"]
        if "honor_certificate" in family:
            assert family["honor_certificate"]["number"].startswith(f"GRZ-{family['region_code']}-")


def test_custom_regions_and_bad_arguments() -> None:
    batch = list(generate_families(200, seed=3, regions=["370306", "110105"], today=TODAY))
    assert {f["region_code"] for f in batch} == {"370306", "110105"}
    for family in batch:
        FamilyCreate.model_validate(family)
        if "mother" in family:
            assert family["mother"]["id_number"][:2] == family["region_code"][:2]
    with pytest.raises(ValueError):
        generate_families(1, regions=["999999"])
    with pytest.raises(ValueError):
        generate_families(1, regions=["370000"])
    with pytest.raises(ValueError):
        generate_families(1, regions=[])
    with pytest.raises(ValueError):
        generate_families(-1)
    assert list(generate_families(0)) == []


def test_streams_without_building_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request for a trillion families yields its first ones having built only those: the
    families are made one at a time as they are taken, never gathered into a list first."""
    built = []
    make = generator._family

    def counting(*args, **kwargs):
        built.append(args[1])  # the external_ref
        return make(*args, **kwargs)

    monkeypatch.setattr(generator, "_family", counting)
    stream = generate_families(10**12, seed=5, today=TODAY)
    assert inspect.isgenerator(stream) and built == []
    first = list(itertools.islice(stream, 3))
    assert built == ["demo-5-1", "demo-5-2", "demo-5-3"]
    assert [f["external_ref"] for f in first] == built
    assert first == list(generate_families(3, seed=5, today=TODAY))  # the same families as a short run
