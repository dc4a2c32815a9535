"""Generate synthetic families in the shape of the ``FamilyCreate`` request body.

Each family is a plain dict that ``FamilyCreate.model_validate`` accepts (dates as
ISO strings, money as strings), so it can be posted to the API or fed to an import
as JSON. The mix resembles a real register:

- about 60 % of only children died, 40 % hold a disability certificate (about 15 %
  of those at level 4, which does not make a special family); about 5 % of families
  had a later child after the death and no longer qualify;
- about 7 % of families have one parent only, about 10 % record a parent's death;
- parents' ID numbers start with a real (possibly retired) county code of the
  family's province, carry their birth date and sex, and end in a correct check
  character; 70 % of children have an ID number too.

Output is deterministic for a given ``seed`` (and ``today``), and ``external_ref`` is
``demo-<seed>-<n>``, so loading the same seed twice is refused as duplicates
instead of doubling the data. Families are produced one at a time: any count runs
in constant memory.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator, Sequence
from datetime import date, timedelta
from typing import Any

from tefu_common.errors import Invalid
from tefu_common.regions import region_level, region_table
from tefu_common.resident_id import check_character

__all__ = ["generate_families", "jurisdiction_regions"]

EARLIEST_EVENT = date(1980, 1, 1)
EARLIEST_TODAY = date(2012, 1, 1)  # the youngest only child (born 2010) must be a year old

_PLACEHOLDERS = frozenset({"市辖区", "县", "省直辖县级行政单位", "自治区直辖县级行政单位", "省直辖行政单位"})
_MUNICIPALITIES = frozenset({"11", "12", "31", "50"})

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
MALE_CHARS = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信"
    "杰涛昌成康星光天达安岩中茂进林有坚和博诚先敬振壮思群豪心邦承乐功松善厚庆磊民友裕河江超浩亮政建家德"
)
FEMALE_CHARS = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱霞香月媛艳瑞佳嘉琼勤"
    "珍贞莉桂叶晶妍秋珊锦青倩婷婉颖露瑶怡雁丹蓉君琴蕊薇梦岚馨韵欣晓欢芸菲丽敏霏"
)
BANKS = ("中国农业银行", "中国工商银行", "中国建设银行", "中国银行", "中国邮政储蓄银行", "农村商业银行")
PLACE_WORDS = (
    "东风 新华 红星 和平 建设 胜利 幸福 光明 永安 长青 丰收 太平 民主 团结 朝阳 青山 白马 石桥 柳林 杨庄 "
    "王家 李家 张庄 河西 南湖 北关 前进 兴隆 桃园 龙泉 双井 东岳 西城 三里 马鞍 金鸡 大石 新村"
).split()
# Disability categories 1-7 (视力 听力 言语 肢体 智力 精神 多重), roughly as common as among children.
_CATEGORY_WEIGHTS = (8, 10, 3, 30, 22, 17, 10)


@functools.cache
def _counties_under(province: str, *, ever: bool = False) -> tuple[str, ...]:
    """County-level codes of a province (directly or through its cities); ``ever`` adds retired ones."""
    table = region_table()
    codes: list[str] = []
    for row in table.children(province, ever=ever):
        rows = [row] if row.level == "county" else table.children(row.code, ever=ever)
        codes.extend(r.code for r in rows if r.level == "county" and r.name not in _PLACEHOLDERS)
    return tuple(codes)


@functools.cache
def jurisdiction_regions() -> dict[str, tuple[str, ...]]:
    """The default regions: current county-level codes of the five jurisdictions."""
    return {
        "淄博市周村区": ("370306",),
        "上海市嘉定区": ("310114",),
        "佛山市": ("440604", "440605", "440606", "440607", "440608"),
        "湖北省": _counties_under("420000"),
        "湖南省": _counties_under("430000"),
    }


def _groups(regions: Sequence[str] | None) -> list[tuple[str, ...]]:
    if regions is None:
        return list(jurisdiction_regions().values())
    table = region_table()
    by_province: dict[str, list[str]] = {}
    for code in regions:
        if region_level(code) not in ("county", "township", "village") or not table.exists(code):
            raise Invalid("region-not-county", f"{code} 不是已知的县级（或更细的）区划代码",
                          f"{code!r} is not a known county-level (or finer) region code")
        by_province.setdefault(code[:2], []).append(code)
    if not by_province:
        raise Invalid("regions-empty", "至少要给出一个区划代码", "regions must not be empty")
    return [tuple(codes) for codes in by_province.values()]


def _between(rng: random.Random, lo: date, hi: date) -> date:
    """A uniformly random day in [lo, hi] (``lo`` when the range is empty)."""
    return lo + timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _plus_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _id_number(rng: random.Random, region: str, born: date, sex: str) -> str:
    sex_digit = rng.randrange(1 if sex == "male" else 0, 10, 2)
    first17 = f"{region}{born:%Y%m%d}{rng.randint(0, 99):02d}{sex_digit}"
    return first17 + check_character(first17)


def _name(rng: random.Random, surname: str, sex: str) -> str:
    chars = MALE_CHARS if sex == "male" else FEMALE_CHARS
    return surname + "".join(rng.choice(chars) for _ in range(1 if rng.random() < 0.3 else 2))


def _short(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "区县市旗" else name


def _address(rng: random.Random, county: str, urban: bool) -> str:
    chain = [r.name for r in region_table().chain(county) if r.name not in _PLACEHOLDERS]
    place = "".join(chain if county[:2] in _MUNICIPALITIES else chain[1:])
    first, second = rng.sample(PLACE_WORDS, 2)
    if urban:
        return (
            f"{place}{first}街道{second}社区{rng.randint(1, 40)}号楼"
            f"{rng.randint(1, 6)}单元{rng.randint(1, 7)}0{rng.randint(1, 4)}室"
        )
    return f"{place}{first}镇{second}村{rng.randint(1, 200)}号"


def _person(
    rng: random.Random, name: str, sex: str, born: date, id_region: str, branch: str, death: date | None
) -> dict[str, Any]:
    person: dict[str, Any] = {
        "name": name,
        "id_number": _id_number(rng, id_region, born, sex),
        "birth_date": born.isoformat(),
        "sex": sex,
    }
    if death is not None:
        person["death_date"] = death.isoformat()
        person["in_resident_pension"] = False
        return person
    if rng.random() < 0.9:
        person["phone"] = "1" + rng.choice("3456789") + _digits(rng, 9)
    if rng.random() < 0.9:
        person["bank_account"] = {
            "bank": rng.choice(BANKS) + branch,
            "account_number": "62" + _digits(rng, rng.randint(14, 17)),
            "holder": name,
        }
    person["in_resident_pension"] = rng.random() < 0.6
    if person["in_resident_pension"]:
        cents = rng.randint(200, 600) * 50  # 100.00 to 300.00 yuan
        person["monthly_basic_pension"] = f"{cents // 100}.{cents % 100:02d}"
    return person


def _event(kind: str, on: date, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "occurred_on": on.isoformat(), **fields}


def _child_events(
    rng: random.Random, child_id: str | None, child_born: date, mother_born: date, today: date
) -> tuple[list[dict[str, Any]], date | None, bool]:
    """The child's events, the date the family became special (if it is) and whether a later child came."""
    one_year = _plus_years(child_born, 1)
    if child_id is not None and rng.random() < 0.4 / 0.7:
        certified = _between(rng, max(one_year, date(1995, 1, 1)), today)
        category = rng.choices("1234567", weights=_CATEGORY_WEIGHTS)[0]
        level = 4 if rng.random() < 0.15 else rng.randint(1, 3)
        events = [_event("disability_certified", certified, category=category, level=level,
                         certificate_no=f"{child_id}{category}{level}")]
        basis = certified if level <= 3 else None
        roll = rng.random()
        if roll < 0.12 and (today - certified).days > 60:
            later = _between(rng, certified + timedelta(days=30), today)
            if roll < 0.06:
                new_level = rng.choice([x for x in (1, 2, 3, 4) if x != level])
                events.append(_event("disability_level_changed", later, level=new_level,
                                     certificate_no=f"{child_id}{category}{new_level}"))
                basis = basis or (later if new_level <= 3 else None)
            elif roll < 0.09:
                events.append(_event("child_recovered", later))
            else:
                events.append(_event("child_died", later))
                basis = basis or later
        return events, basis, False
    lo = max(one_year, EARLIEST_EVENT)
    later_hi = min(today - timedelta(days=400), _plus_years(mother_born, 45))
    if rng.random() < 0.05 / 0.6 and lo <= later_hi:
        died = _between(rng, lo, later_hi)
        born = _between(rng, died + timedelta(days=300), min(today, _plus_years(mother_born, 49)))
        return [_event("child_died", died),
                _event("later_child_born", born, assisted_reproduction=rng.random() < 0.5)], None, True
    died = _between(rng, lo, today)
    return [_event("child_died", died)], died, False


def _family(rng: random.Random, ref: str, region: str, today: date) -> dict[str, Any]:
    table = region_table()
    county = region[:6]
    province_codes = _counties_under(county[:2] + "0000", ever=True) or (county,)
    county_name = table.name(county) or ""
    branch = _short(county_name) + "支行"

    def id_region() -> str:
        return county if rng.random() < 0.6 else rng.choice(province_codes)

    surname = rng.choice(SURNAMES)
    mother_born = _between(rng, date(1950, 1, 1), date(1975, 12, 31))
    father_born = mother_born + timedelta(days=rng.randint(-5 * 365, 3 * 365))
    father_born = min(max(father_born, date(1947, 1, 1)), date(1975, 12, 31))
    child_born = _between(rng, _plus_years(mother_born, 20), _plus_years(mother_born, 35))
    urban = rng.random() < 0.5

    child_sex = rng.choice(("male", "female"))
    child: dict[str, Any] = {"name": _name(rng, surname, child_sex), "birth_date": child_born.isoformat(),
                             "sex": child_sex}
    mother_region = id_region()
    if rng.random() < 0.7:
        child["id_number"] = _id_number(rng, mother_region, child_born, child_sex)
    if rng.random() < 0.05:
        child["adopted"] = True
        child["adopted_on"] = (child_born + timedelta(days=rng.randint(60, 300))).isoformat()
    events, basis, later_child = _child_events(rng, child.get("id_number"), child_born, mother_born, today)
    events.sort(key=lambda e: e["occurred_on"])

    present = ["mother", "father"]
    if rng.random() < 0.07:
        present.remove("father" if rng.random() < 0.6 else "mother")
    dead = None
    if len(present) == 2 and not later_child and rng.random() < 0.1 / 0.93 / 0.95:
        dead = rng.choice(present)
    family: dict[str, Any] = {"region_code": region, "hukou_type": "urban" if urban else "rural",
                              "address": _address(rng, county, urban)}
    if rng.random() < 0.9:
        issued = _between(rng, max(child_born + timedelta(days=30), date(1979, 1, 1)),
                          min(_plus_years(child_born, 8), today))
        family["honor_certificate"] = {"number": f"GRZ-{county}-{_digits(rng, 6)}",
                                       "issued_on": issued.isoformat()}
    if basis is not None and rng.random() < 0.34:
        lo = max(basis + timedelta(days=30), date(2008, 1, 1), _plus_years(mother_born, 49))
        if lo <= today:
            family["assistance_certificate"] = {"number": f"TFZ-{county}-{_digits(rng, 6)}",
                                                "issued_on": _between(rng, lo, today).isoformat()}
    for role, sex, born, person_region in (
        ("mother", "female", mother_born, mother_region),
        ("father", "male", father_born, id_region()),
    ):
        if role not in present:
            continue
        death = _between(rng, _plus_years(born, 40), today - timedelta(days=1)) if dead == role else None
        family_name = surname if role == "father" else rng.choice(SURNAMES)
        family[role] = _person(rng, _name(rng, family_name, sex), sex, born, person_region, branch, death)
    family["child"] = child
    family["events"] = events
    family["external_ref"] = ref
    return family


def generate_families(
    count: int, *, seed: int = 0, regions: Sequence[str] | None = None, today: date | None = None
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` synthetic families as ``FamilyCreate`` JSON dicts, one at a time.

    ``regions`` (county-level or finer codes) replaces the five default jurisdictions;
    each province among them gets an equal share, then each code within it. ``today``
    (default: the current date) bounds every date. Arguments are checked at once; the
    families are produced lazily.
    """
    if count < 0:
        raise Invalid("count-negative", "户数不能为负数", "count must not be negative")
    today = today or date.today()
    if today < EARLIEST_TODAY:
        raise Invalid("today-too-early", f"today 不能早于 {EARLIEST_TODAY.isoformat()}",
                      f"today must be {EARLIEST_TODAY.isoformat()} or later")
    groups = _groups(regions)
    return _stream(count, seed, groups, today)


def _stream(count: int, seed: int, groups: list[tuple[str, ...]], today: date) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    for n in range(1, count + 1):
        region = rng.choice(rng.choice(groups))
        yield _family(rng, f"demo-{seed}-{n}", region, today)
