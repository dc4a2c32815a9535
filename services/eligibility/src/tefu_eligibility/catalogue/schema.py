"""The shape of a rule file (``catalogue/files/*.yaml``), validated when the service starts.

One file holds one policy document of one region: its citation and dates, the region's extra
conditions for being a special family, named conditions, dated parameters and the rules
(benefits). Conditions stay raw data here; ``catalogue.py`` compiles them per region.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tefu_common.errors import Invalid
from tefu_common.regions import RegionCodeStr


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Kind(StrEnum):
    cash = "cash"
    service = "service"


class Basis(StrEnum):
    person = "person"
    household = "household"


class Frequency(StrEnum):
    monthly = "monthly"
    yearly = "yearly"
    once_per_person = "once_per_person"
    once_per_household = "once_per_household"
    per_hospital_day = "per_hospital_day"  # claimed per day of a hospital stay

    @property
    def once(self) -> bool:
        return self in (Frequency.once_per_person, Frequency.once_per_household)


class Trigger(StrEnum):
    """The dated event on which a once-only benefit arises."""

    child_death = "child_death"
    child_certified = "child_certified"
    child_event = "child_event"  # the death or the certification, whichever the family has
    assisted_rebirth = "assisted_rebirth"  # a later child born with assisted reproduction


class HospitalService(StrEnum):
    """What a hospital's green channel (就医绿色通道) gives first, in the documents' words."""

    registration = "registration"  # 挂号
    consultation = "consultation"  # 就诊 / 就医
    referral = "referral"  # 转诊
    lab = "lab"  # 化验
    examination = "examination"  # 检查
    pharmacy = "pharmacy"  # 取药
    payment = "payment"  # 收费 / 交费 / 缴费
    admission = "admission"  # 入院 / 住院


class DocumentStatus(StrEnum):
    final = "final"
    draft = "draft"  # 征求意见稿: applied, but every answer that uses it says so


class Document(Strict):
    number: str = Field(description="Document number, e.g. 周政发〔2018〕85号.")
    status: DocumentStatus = Field(DocumentStatus.final, description="draft: a 征求意见稿, not yet adopted.")
    title: str
    issuer: str
    issued_on: date | None = None
    effective_from: date | None = Field(None, description="Open start when the text gives none.")
    effective_to: date | None = None
    url: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> Document:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise Invalid("document-dates", "失效日期早于生效日期", "effective_to is before effective_from")
        return self


class ParameterValue(Strict):
    start: date | None = Field(None, alias="from", description="First day in force; omitted: the document's first day.")
    known_from: date | None = Field(
        None, description="The value's start is unknown: the text shows it in force on this day (a standard the "
                          "document says it raises). Nothing is assumed before it.")
    end: date | None = Field(None, alias="to", description="Last day in force, when the value stops before the document.")
    value: Decimal
    clause: str | None = None
    source: str | None = Field(None, description="Citation when the value comes from another document.")
    note: str | None = None

    @model_validator(mode="after")
    def _dated_once(self) -> ParameterValue:
        if self.start is not None and self.known_from is not None:
            raise Invalid("parameter-value-start", "from 与 known_from 只能写一个：known_from 用于起始日期未知的标准",
                          "give either from or known_from (known_from: the start is unknown)")
        first = self.start or self.known_from
        if first is not None and self.end is not None and self.end < first:
            raise Invalid("parameter-value-dates", "to 早于起始日期", "to is before the value's first day")
        return self

    @field_validator("value", mode="before")
    @classmethod
    def _exact(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise Invalid("amount-not-a-string", '金额请写成带引号的文字（"610.00"）：浮点数不精确',
                          'write amounts as quoted strings ("610.00"): a float is not exact')
        return value


class Parameter(Strict):
    description: str
    unit: Literal["yuan", "percent", "yuan_per_hour"]
    values: list[ParameterValue] = Field(
        default_factory=list, description="Empty: the document names the amount but does not set it.")
    until: date | None = Field(None, description="Last day any value of this file applies (defaults to the document's).")
    floor_only: bool = Field(
        False, description="The document defers the standard to another (\"动态调整\", \"按提标后的标准\"): no local "
                           "value is known, only the national minimum, which answers show as `national_minimum`.")

    @model_validator(mode="after")
    def _ordered(self) -> Parameter:
        starts = [v.start or v.known_from or date.min for v in self.values]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise Invalid("parameter-values-order", "参数值须按起始日期从早到晚排列，每个日期只能有一个值",
                          "values must be in increasing order of their start dates, one value per date")
        if self.floor_only and self.values:
            raise Invalid("parameter-floor-only", "floor_only 的参数不能有取值：文件只规定按上级标准调整",
                          "a floor_only parameter has no values of its own")
        return self


class Formula(Strict):
    """One way to compute an amount: exactly one of the fields is set."""

    parameter: str | None = Field(None, description="A fixed amount in yuan, from a dated parameter.")
    percent_of_pension: str | None = Field(
        None, description="A dated percentage of the recipient's own monthly basic pension.")
    hourly_wage: str | None = Field(None, description="A dated hourly wage parameter, times `hours` a day.")
    hours: Decimal | None = None
    max_days: int | None = None

    @model_validator(mode="after")
    def _one(self) -> Formula:
        chosen = [f for f in ("parameter", "percent_of_pension", "hourly_wage") if getattr(self, f)]
        if len(chosen) != 1:
            raise Invalid("formula-kind", "金额须且只能写 parameter、percent_of_pension、hourly_wage 中的一项",
                          "an amount names exactly one of parameter, percent_of_pension, hourly_wage")
        if self.hourly_wage and self.hours is None:
            raise Invalid("formula-hourly-wage", "hourly_wage 须同时写明 hours", "hourly_wage needs hours")
        return self

    @property
    def parameter_names(self) -> list[str]:
        return [n for n in (self.parameter, self.percent_of_pension, self.hourly_wage) if n]


class Standing(Strict):
    """A measure the document restates ("按照本市有关规定，落实…") rather than creates."""

    since: date | None = Field(None, description="In force since; null: since before the document, date unknown.")
    source: str | None = Field(None, description="The earlier rule, where the document names it.")
    quote: str = Field(description="The sentence of the document that says the measure is an existing one.")


class AmountCase(Strict):
    when: dict[str, Any] | None = Field(None, description="Omitted on the last case: otherwise.")
    amount: Formula


class Amount(Strict):
    """Either one formula, or cases tried in order on the day (the first that holds decides)."""

    formula: Formula | None = None
    cases: list[AmountCase] | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, dict) and "cases" not in data and "formula" not in data:
            return {"formula": data}
        return data

    @property
    def parameter_names(self) -> list[str]:
        formulas = [self.formula] if self.formula else [case.amount for case in self.cases or []]
        return [name for formula in formulas for name in formula.parameter_names]


class Rule(Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    names_by_hukou: dict[Literal["urban", "rural"], str] | None = Field(
        None, description="Where the benefit's name differs for urban and rural families (家政金 / 助农金).")
    kind: Kind
    basis: Basis
    frequency: Frequency
    recipients: list[Literal["mother", "father", "child"]] | Literal["household"]
    amount: Amount | None = Field(None, description="None: no amount (a service, or left to local decision).")
    trigger: Trigger | None = None
    conditions: dict[str, Any]
    clause: str
    effective_from: date | None = None
    effective_to: date | None = None
    standing: Standing | None = Field(None, description="A standing measure the document restates.")
    optional: bool = Field(
        False, description="\"有条件的地区可发放\": due only where the region has set an amount (a file or an overlay).")
    arises: Literal["on_trigger", "same_year"] = Field(
        "on_trigger", description="same_year: a once-only benefit for the families whose event fell in the year "
                                  "(\"当年失独家庭\"): an event earlier that year, before the document, counts from "
                                  "its first day.")
    yearly_share: Literal["whole", "by_month"] = Field(
        "whole", description="by_month: a yearly amount is shared by the months of the year the recipient holds it.")
    amount_basis: str | None = Field(
        None, description="For a cash benefit without a formula: what the amount is, in Chinese (shown as the "
                          "reason the amount is unknown).")
    to_verify: list[str] = Field(
        default_factory=list, description="Conditions of the text the register does not hold, in Chinese: the "
                                          "clerk checks them before granting.")
    services: tuple[HospitalService, ...] = Field(
        (), description="A green channel's services given first, as the document lists them.")
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rule:
        if self.frequency.once != (self.trigger is not None):
            raise Invalid("rule-trigger", "一次性待遇须写明触发事件（trigger），其他待遇不能写",
                          "once-only benefits need a trigger, and only they have one")
        household = self.recipients == "household"
        if household != (self.basis is Basis.household):
            raise Invalid("rule-recipients", "以户为单位的待遇写 recipients: household，以人为单位的待遇须列出领取人",
                          "a household benefit has recipients: household, a person benefit names its recipients")
        if self.frequency is Frequency.once_per_household and not household:
            raise Invalid("rule-once-per-household", "once_per_household 只能用于以户为单位的待遇",
                          "once_per_household is a household benefit")
        hourly = bool(self.amount) and any(
            f.hourly_wage for f in ([self.amount.formula] if self.amount.formula else [c.amount for c in self.amount.cases or []]))
        if hourly and self.frequency is not Frequency.per_hospital_day:
            raise Invalid("rule-hourly-wage", "按小时工资计的金额只能用于 frequency: per_hospital_day",
                          "an hourly_wage amount goes with frequency per_hospital_day")
        if self.kind is Kind.cash and self.amount is None and not self.amount_basis:
            raise Invalid("rule-amount-basis", "没有金额公式的现金待遇须写明 amount_basis（金额如何确定）",
                          "a cash benefit without an amount formula needs amount_basis")
        if self.arises == "same_year" and not self.frequency.once:
            raise Invalid("rule-arises", "arises: same_year 只能用于一次性待遇", "arises: same_year is for once-only benefits")
        if self.yearly_share == "by_month" and self.frequency is not Frequency.yearly:
            raise Invalid("rule-yearly-share", "yearly_share 只能用于按年的待遇", "yearly_share is for yearly benefits")
        if self.services and self.kind is not Kind.service:
            raise Invalid("rule-services", "只有服务类待遇（kind: service）才能列出医院服务项目",
                          "only a service benefit lists hospital services")
        return self


# Liaison duties (联系人职责): what a document demands of the people who look after the families —
# how often to contact them, which festivals to visit on, which events call for a visit, and who
# the liaisons are. They sit beside the rules and layer the same way (``catalogue/duties.py``).


class DutyKind(StrEnum):
    contact = "contact"  # a minimum number of contacts per period
    festival_visit = "festival_visit"  # a visit around a lunar festival, within a window of days
    event_visit = "event_visit"  # a visit (or a report) within some days of an event in the family
    liaisons = "liaisons"  # who the family's liaisons are


class ContactKind(StrEnum):
    """How a contact was made: the registry's contact kinds, and the family doctor's (嘉定 三（一）2)."""

    home_visit = "home_visit"  # 登门走访 / 上门探访
    phone_call = "phone_call"  # 电话联系
    online = "online"  # 网络沟通、社交软件
    festival_visit = "festival_visit"  # 节日走访慰问
    family_doctor = "family_doctor"  # 签约家庭医生主动联系（面对面、电话、社交软件、互联网平台）


class Period(StrEnum):
    week = "week"
    month = "month"
    quarter = "quarter"
    year = "year"

    @property
    def days(self) -> Decimal:
        """The period's mean length, to compare a count per week with one per month."""
        return {"week": Decimal(7), "month": Decimal("30.436875"), "quarter": Decimal("91.310625"),
                "year": Decimal("365.2425")}[self.value]


class Festival(StrEnum):
    spring = "spring"  # 春节, lunar 1/1
    dragon_boat = "dragon_boat"  # 端午, lunar 5/5
    mid_autumn = "mid_autumn"  # 中秋, lunar 8/15


class DutyEvent(StrEnum):
    """What calls for a visit. The registry records deaths as life events; the others it does not
    record (yet): they are named here as the documents name them, for the registry to map."""

    child_died = "child_died"  # 亡故 (registry event child_died)
    parent_died = "parent_died"  # 亡故 (registry event parent_died)
    accident = "accident"  # 意外、突发事件、意外事故
    serious_illness = "serious_illness"  # 重病
    disaster = "disaster"  # 受灾、重大灾害
    hardship = "hardship"  # 生产生活出现重大困难
    birthday = "birthday"  # 生日 (of a member; the registry holds birth dates)
    extreme_weather = "extreme_weather"  # 极端恶劣天气 (of the region, not of one family)


class DutyPost(StrEnum):
    """A liaison's post: the registry's two, and the county leader Hubei adds."""

    township = "township"  # 乡镇（街道）干部
    village = "village"  # 村（居）委会干部
    county_leader = "county_leader"  # 县（市、区）卫生计生部门领导干部


class DutyFamilies(StrEnum):
    """Which special families a duty is for."""

    all = "all"  # every special family
    special_difficulty = "special_difficulty"  # 存在特殊困难的计划生育特殊家庭 (湖北 三（四）)
    family_doctor_signed = "family_doctor_signed"  # members who signed with a family doctor (嘉定 三（一）2)


class DutyDefault(Strict):
    """A value the document does not give (a window, a deadline): chosen, and said to be chosen."""

    value: str = Field(description="The field whose value is a default, e.g. window or deadline_days.")
    note: str = Field(description="Why, in Chinese: what the text says and what was chosen.")


class Window(Strict):
    before: int = Field(ge=0, le=60, description="Days before the festival a visit counts.")
    after: int = Field(ge=0, le=60, description="Days after the festival a visit counts.")


class _Duty(Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$",
                    description="Stable name; a lower level's duty of the same id replaces (tightens) the upper one's.")
    name: str = Field(description="What is to be done, in Chinese, for the work list.")
    applies_to: DutyFamilies = DutyFamilies.all
    clause: str
    quote: str = Field(description="The sentence of the document that demands it, as written.")
    effective_from: date | None = None
    effective_to: date | None = None
    defaults: list[DutyDefault] = Field(
        default_factory=list, description="The values the text does not give, chosen and marked as such.")
    note: str | None = None

    @model_validator(mode="after")
    def _defaults_named(self) -> _Duty:
        for default in self.defaults:
            if default.value not in type(self).model_fields or default.value in _Duty.model_fields:
                raise Invalid("duty-default-unknown", f"defaults 中的 {default.value!r} 不是本职责的取值",
                              f"defaults names {default.value!r}, which is not a value of this duty")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise Invalid("duty-dates", "职责的失效日期早于生效日期", "the duty's effective_to is before its effective_from")
        return self


class ContactDuty(_Duty):
    kind: Literal[DutyKind.contact]
    contact_kinds: tuple[ContactKind, ...] = Field(min_length=1, description="The kinds of contact that count.")
    min_count: int = Field(ge=1, le=31)
    per: Period


class FestivalDuty(_Duty):
    kind: Literal[DutyKind.festival_visit]
    festival: Festival
    window: Window


class EventDuty(_Duty):
    kind: Literal[DutyKind.event_visit]
    triggers: tuple[DutyEvent, ...] = Field(min_length=1)
    deadline_days: int = Field(ge=0, le=90, description="Days after the event by which it is done.")
    contact_kinds: tuple[ContactKind, ...] = Field(
        (ContactKind.home_visit,), min_length=1, description="The kinds of contact that fulfil it.")


class LiaisonDuty(_Duty):
    kind: Literal[DutyKind.liaisons]
    posts: tuple[DutyPost, ...] = Field((), description="Posts each held by one liaison of the family.")
    leader_posts: tuple[DutyPost, ...] = Field((), description="Posts to be held by a leading cadre (领导干部).")
    contact_group: bool = Field(False, description="A contact group (联系小组) looks after the family.")
    fixed_contact: bool = Field(False, description="One fixed contact person (1名较为固定的联系人).")

    @model_validator(mode="after")
    def _posts(self) -> LiaisonDuty:
        if not self.posts and not self.fixed_contact:
            raise Invalid("duty-liaisons-empty", "联系人职责须写明岗位（posts）或固定联系人（fixed_contact）",
                          "a liaisons duty names its posts or a fixed contact")
        if set(self.leader_posts) - set(self.posts):
            raise Invalid("duty-leader-post", "leader_posts 中的岗位须列在 posts 中",
                          "every leader post is one of the posts")
        if len(set(self.posts)) != len(self.posts):
            raise Invalid("duty-post-repeated", "posts 中每个岗位只能写一次", "each post at most once")
        return self


Duty = Annotated[ContactDuty | FestivalDuty | EventDuty | LiaisonDuty, Field(discriminator="kind")]


class RuleFile(Strict):
    region: RegionCodeStr
    region_name: str
    document: Document
    special_family: dict[str, Any] | None = Field(
        None, description="The base definition (national file) or the region's extra conditions.")
    special_family_clause: str | None = None
    conditions: dict[str, dict[str, Any]] = Field(default_factory=dict)
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)
    duties: list[Duty] = Field(default_factory=list, description="Liaison duties the document demands.")

    @model_validator(mode="after")
    def _duty_ids(self) -> RuleFile:
        ids = [duty.id for duty in self.duties]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise Invalid("duty-id-repeated", f"同一文件中职责 id 重复：{'、'.join(repeated)}",
                          f"duty ids repeated in one file: {', '.join(repeated)}")
        return self
