"""Every route of every service, called by the officials of another region: none answers with
region A's data or changes any of A's objects.

Region A holds one of every region-owned object the suite keeps (a family with its events,
liaisons and contacts, an import, an account and a client, parameter proposals and an overlay,
an agency, a schedule, batches with their lines and a bank return, a hospital, cards, a visit,
a supervision report and a statistics return). Then every operation of every service's OpenAPI
document is called with the tokens of region B (each role that holds scopes), its path filled
with A's ids, its query naming A, its body naming A or A's objects. No 2xx may carry anything
of A's, and afterwards every object of A reads back exactly as before. A second pass calls the
clerks' routes of A with A's own hospital and agency tokens: 403.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from tefu_common.calendar import today
from tefu_common.testing import bearer, mint_token

from .families import bereaved_family, id_number, register
from .test_medical_priority import wait_for

pytestmark = pytest.mark.processes

A = "420105"  # 汉阳区 (Hubei: parents get cards): no other test or example uses it
A_RETURNS = "440605"  # 南海区 (Foshan, whose half-yearly returns apply): no other test produces returns here
B = "420202"  # 黄石港区: the other region, whose officials walk
HOSPITAL = "H4201050001"
AGENCY = "HY-RCB"
SERVICES = ("registry", "eligibility", "payments", "medical-priority", "supervision")
def paid_on() -> str:
    """Today in China, read when a return file is made (a constant read at import goes stale at midnight)."""
    return today().isoformat()


def _token(suite, role: str, region: str = A, **extra: Any) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(mint_token(suite.signing_key, role=role, region=region, **extra))


def _ok(response: httpx.Response, status: int | None = None) -> Any:
    """The answer of a setting-up call, which must have succeeded (with `status`, when given)."""
    assert response.is_success, f"{response.request.method} {response.request.url}: {response.text}"
    assert status is None or response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content and "json" in response.headers.get("content-type", "") else response


def _import_file() -> bytes:
    """A one-row import file of region A (the registry's own template, its example row moved to A)."""
    heading = ("户籍地区划代码*,户口性质*,家庭住址,母亲姓名,母亲身份证号,父亲姓名,父亲身份证号,子女姓名*,子女出生日期,子女死亡日期")
    row = f"{A},城镇,汉阳区某街道 9 号,杨淑珍,{id_number(A, '1963-02-11', 8)},何志刚,{id_number(A, '1961-06-30', 7)},何小兵,1988-04-01,2020-01-15"
    return f"{heading}\n{row}\n".encode("utf-8")


@pytest.fixture(scope="module")
def world(suite) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """One of each of region A's objects, made by A's own officials (and the country's admin)."""
    registry, eligibility, payments = suite.url("registry"), suite.url("eligibility"), suite.url("payments")
    cards, supervision = suite.url("medical-priority"), suite.url("supervision")
    clerk_token = mint_token(suite.signing_key, role="clerk", region=A, subject="clerk-hanyang")
    clerk = bearer(clerk_token)
    admin, checker = _token(suite, "admin", subject="admin-hanyang"), _token(suite, "admin", subject="admin-hanyang-2")
    country = _token(suite, "admin", region="000000", subject="admin-country")
    w: dict[str, Any] = {}

    # registry: a family (with its life event), its liaisons and a contact, an import, an account, a client
    family = register(registry, clerk_token, bereaved_family(A, "龚秀芝", "胡建军", bank="汉阳农商行", account="6230950000000105"))
    w["family"], w["members"] = family["id"], [m["id"] for m in family["members"] if m["role"] in ("mother", "father")]
    w["mother"] = next(m for m in family["members"] if m["role"] == "mother")
    _ok(httpx.put(f"{registry}/v1/families/{family['id']}/liaisons", headers=clerk, json={"liaisons": [
        {"post": "township", "name": "童丽", "phone": "13700001051", "unit": "汉阳区卫生健康局", "assigned_on": "2026-08-01"}]}))
    _ok(httpx.post(f"{registry}/v1/families/{family['id']}/contacts", headers=clerk, json={
        "kind": "phone_call", "contacted_on": "2026-09-01", "contacted_by": "童丽", "findings": "身体尚可"}))
    job = _ok(httpx.post(f"{registry}/v1/imports", headers=clerk,
                         files={"file": ("汉阳.csv", _import_file(), "text/csv")}), 202)
    w["import"] = job["id"]
    w["account"] = _ok(httpx.post(f"{registry}/v1/accounts", headers=admin, json={
        "username": "clerk-hanyang-tong", "display_name": "童办事员", "role": "clerk", "region": A,
        "password": "Hanyang-2026-walk"}))["id"]
    # Only an admin of the whole country registers clients (a service client included).
    w["client"] = _ok(httpx.post(f"{registry}/v1/oauth-clients", headers=country, json={
        "client_id": "his-hanyang", "role": "hospital", "region": A, "hospital": HOSPITAL}))["client_id"]

    # eligibility: an overlay in force and a proposal waiting
    parameter = "hubei.one_time_condolence"
    base = f"{eligibility}/v1/regions/{A}/parameters/{parameter}"
    proposal = _ok(httpx.put(base, headers=admin, json={"value": "5000", "valid_from": "2024-01-01",
                                                        "document": "汉阳卫健〔2024〕3号"}))
    _ok(httpx.post(f"{base}/approve", headers=checker, json={"proposal_id": proposal["id"]}))
    pending = _ok(httpx.put(base, headers=admin, json={"value": "6000", "valid_from": "2026-01-01",
                                                       "document": "汉阳卫健〔2026〕1号"}))
    w["parameter"], w["overlay"], w["proposal"] = parameter, proposal["id"], pending["id"]

    # payments: an agency, a schedule, a batch paid back by the bank, a draft batch
    _ok(httpx.post(f"{payments}/v1/agencies", headers=admin, json={"id": AGENCY, "name": "武汉农商行汉阳支行", "region_code": A}))
    _ok(httpx.put(f"{payments}/v1/payment-schedules/{A}", headers=admin, json={"frequency": "monthly", "basis": "汉阳按月发放"}))
    body = {"region_code": A, "benefits": ["special_assistance"], "period": "2020-06", "agency_id": AGENCY}
    paid = _ok(httpx.post(f"{payments}/v1/batches", headers=clerk, json=body, timeout=60))
    _ok(httpx.post(f"{payments}/v1/batches/{paid['id']}/submit", headers=clerk))
    _ok(httpx.post(f"{payments}/v1/batches/{paid['id']}/approve", headers=_token(suite, "approver", subject="chief-hanyang")))
    bank = _token(suite, "agency", agency=AGENCY)
    pulled = _ok(httpx.get(f"{payments}/v1/batches/{paid['id']}/file", headers=bank))
    rows = list(csv.reader(io.StringIO(pulled.content.decode("utf-8"))))[1:-1]
    w["return_file"] = ("流水号,结果,失败原因,发放日期\r\n" + "".join(f"{r[0]},成功,,{paid_on()}\r\n" for r in rows)).encode("gbk")
    _ok(httpx.post(f"{payments}/v1/batches/{paid['id']}/returns", headers=bank, files={"file": ("back.csv", w["return_file"])}))
    draft = _ok(httpx.post(f"{payments}/v1/batches", headers=clerk, json={**body, "period": "2020-07"}, timeout=60))
    w["batches"] = [paid["id"], draft["id"]]

    # a review task (what a bank's return opens), where the registry keeps them
    if "/v1/review-tasks" in httpx.get(f"{registry}/openapi.json").json()["paths"]:
        service = _token(suite, "service", region="000000", subject="payments-service")
        w["task"] = _ok(httpx.post(f"{registry}/v1/review-tasks", headers=service, json={
            "member_id": w["mother"]["id"], "kind": "bank_details", "source_ref": "HY-000001", "reason_code": "AC04",
            "reason": "账户已销户（AC04）"}))["id"]

    # medical priority: a hospital, the parents' cards (they follow the register), a visit
    _ok(httpx.put(f"{cards}/v1/hospitals/{HOSPITAL}", headers=admin, json={
        "name": "汉阳区人民医院", "region_code": A, "level": "二级甲等", "designated": True,
        "fee_waivers": ["outpatient_registration"]}))
    held = wait_for("the parents' cards", lambda: [c for c in httpx.get(f"{cards}/v1/cards", headers=clerk, params={
        "family_id": family["id"], "status": "active"}).json()["items"]] or None)
    w["cards"] = [c["card_no"] for c in held]
    desk = _token(suite, "hospital", hospital=HOSPITAL, subject="his-hanyang")
    _ok(httpx.post(f"{cards}/v1/visits", headers=desk, json={
        "card_no": w["cards"][0], "department": "内科", "services": ["registration"],
        "waivers": [{"fee": "outpatient_registration", "amount": "4.50"}],
        # Now, after the card's issue: half an hour earlier is the day before, just after midnight.
        "visited_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}))

    # supervision: a report kept as produced, and a statistics return of a Foshan county
    inspector = _token(suite, "auditor", subject="inspector-hanyang")
    _ok(httpx.get(f"{supervision}/v1/supervision", headers=inspector, params={"region": A, "period": "2026"}, timeout=120))
    w["report"] = _ok(httpx.get(f"{supervision}/v1/supervision/reports", headers=inspector, params={"region": A}))["items"][0]["report_id"]
    foshan = _token(suite, "auditor", region=A_RETURNS, subject="inspector-sanshui")
    w["return"] = _ok(httpx.post(f"{supervision}/v1/returns", headers=foshan, timeout=120, json={
        "return_id": "foshan-annex6", "region": A_RETURNS, "period": "2026-H1"}))["id"]
    return w


def _reads(suite, w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:  # type: ignore[no-untyped-def]
    """What A's objects look like from A: (service, path, query), every one read with A's admin."""
    family = f"/v1/families/{w['family']}"
    reads: list[tuple[str, str, dict[str, Any]]] = [
        ("registry", "/v1/families", {"region": A}), ("registry", family, {}), ("registry", f"{family}/events", {}),
        ("registry", f"{family}/liaisons", {}), ("registry", f"{family}/contacts", {}),
        ("registry", "/v1/imports", {}), ("registry", f"/v1/imports/{w['import']}", {}),
        ("registry", "/v1/accounts", {}), ("registry", f"/v1/accounts/{w['account']}", {}),
        ("registry", f"/v1/oauth-clients/{w['client']}", {}),
        ("eligibility", f"/v1/regions/{A}/parameters", {"on": "2026-06-01"}),
        ("eligibility", f"/v1/regions/{A}/parameters/{w['parameter']}/history", {}),
        ("payments", "/v1/agencies", {}), ("payments", f"/v1/payment-schedules/{A}", {}),
        ("payments", "/v1/payment-schedules", {}), ("payments", "/v1/batches", {}),
        ("medical-priority", "/v1/hospitals", {"region": A}), ("medical-priority", "/v1/cards", {}),
        ("medical-priority", "/v1/visits", {}),
        ("supervision", "/v1/supervision/reports", {"region": A}), ("supervision", f"/v1/returns/{w['return']}", {}),
    ]
    for batch in w["batches"]:
        reads += [("payments", f"/v1/batches/{batch}", {}), ("payments", f"/v1/batches/{batch}/lines", {}),
                  ("payments", f"/v1/batches/{batch}/transitions", {})]
    reads += [("medical-priority", f"/v1/cards/{card}/history", {}) for card in w["cards"]]
    if "task" in w:
        reads += [("registry", f"/v1/review-tasks/{w['task']}", {}), ("registry", "/v1/review-tasks", {"region": A})]
    return reads


def _snapshot(suite, w: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    admin = _token(suite, "admin", subject="admin-hanyang-reader")
    seen = {}
    for service, path, query in _reads(suite, w):
        region = A_RETURNS if path.startswith("/v1/returns") else A
        headers = admin if region == A else _token(suite, "admin", region=region)
        seen[f"{service} {path}"] = _ok(httpx.get(suite.url(service) + path, params={"limit": 200, **query},
                                                  headers=headers, timeout=60), 200)
    return seen


def _markers(w: dict[str, Any]) -> list[str]:
    """Strings any answer carrying A's own records would contain: its people, institutions, accounts,
    cards, and the proposal still waiting (not yet policy)."""
    return ["龚秀芝", "胡建军", w["mother"]["id_number"], "6230950000000105", AGENCY, "武汉农商行", HOSPITAL, "童丽",
            "clerk-hanyang", "his-hanyang", "杨淑珍", "汉阳卫健〔2026〕1号", *w["cards"]]


# Rules and duties are public policy: any caller with rules:read reads any region's, its code and
# name included (docs/eligibility.md). They still must not carry A's records.
PUBLIC_POLICY = {("GET", "/v1/policies"), ("GET", "/v1/policies/{region_code}"), ("GET", "/v1/catalogue/health"),
                 ("GET", "/v1/duties"), ("GET", "/v1/duties/festival-visit"), ("GET", "/v1/festivals")}
# What any valid token may call, by design: the caller's own token and account.
OPEN_TO_ANY_TOKEN = {("GET", "/v1/whoami"), ("GET", "/v1/accounts/me")}


def _values(w: dict[str, Any]) -> dict[str, list[Any]]:
    """A's ids and codes by the names of the parameters and fields that carry them."""
    return {
        "family_id": [w["family"]], "member_id": [w["members"][0]], "member_ids": [w["members"]],
        "import_id": [w["import"]], "account_id": [w["account"]], "client_id": [w["client"]],
        "region": [A], "region_code": [A], "parameter": [w["parameter"]], "overlay_id": [w["overlay"]],
        "proposal_id": [w["proposal"]], "agency_id": [AGENCY], "batch_id": w["batches"], "card_no": w["cards"][:1],
        "code": [HOSPITAL], "hospital": [HOSPITAL], "report_id": [w["report"]], "produced_id": [w["return"]],
        "task_id": [w.get("task", 1)],
        "id_number": [w["mother"]["id_number"]], "name": ["龚秀芝"], "period": ["2026"], "month": ["2026-06"],
        # new objects a walker would create in A: valid, so that only the region check can refuse them
        "id": ["HSG-WALK"], "username": ["walker-hsg"], "password": ["Walker-2026-hsg"],
    }


def _schema(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].split("/")[-1]]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            options = [s for s in schema[combined] if s.get("type") != "null"]
            return _schema(document, options[0]) if options else {}
    return schema


def _example(document: dict, schema: dict, name: str, values: dict[str, list[Any]], depth: int = 0) -> Any:
    """A value for ``name``: A's own where the name says what it holds, else a plausible one by type."""
    if name in values:
        return values[name][0]
    schema = _schema(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {key: _example(document, sub, key, values, depth + 1) for key, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_example(document, schema.get("items", {}), name, values, depth + 1)]
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return {"date": "2026-06-01", "date-time": "2026-06-01T09:00:00+08:00"}.get(schema.get("format", ""), "汉阳 1")


def _body(document: dict, operation: dict, values: dict[str, list[Any]], w: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return {"files": {"file": ("walk.csv", w["return_file"] if "returns" in operation["operationId"]
                                   else _import_file(), "text/csv")}}
    if "application/json" in content:
        return {"json": _example(document, content["application/json"]["schema"], "", values)}
    if content:
        return {"data": {}}
    return {}


def _operations(suite, w: dict[str, Any]) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Every /v1 (and FHIR) operation, each once per combination of A's ids in its path."""
    values, calls = _values(w), []
    for service in SERVICES:
        document = httpx.get(f"{suite.url(service)}/openapi.json", timeout=30).json()
        for path, operations in document["paths"].items():
            if not path.startswith(("/v1/", "/fhir/CoverageEligibilityRequest")):
                continue
            for method, operation in operations.items():
                names = re.findall(r"\{([^}]+)\}", path)
                query = {p["name"]: values[p["name"]][0] for p in operation.get("parameters", [])
                         if p["in"] == "query" and p["name"] in values}
                # A parameter of an object not set up above still gets an id: refused all the same.
                for filled in itertools.product(*(values.get(name, [1]) for name in names)):
                    url = path
                    for name, value in zip(names, filled):
                        url = url.replace("{" + name + "}", str(value))
                    calls.append({"service": service, "method": method.upper(), "path": path, "url": url,
                                  "params": query, **_body(document, operation, values, w)})
    return calls


def _call(suite, call: dict[str, Any], headers: dict[str, str]) -> httpx.Response:  # type: ignore[no-untyped-def]
    extra = {key: call[key] for key in ("json", "files", "data") if key in call}
    return httpx.request(call["method"], suite.url(call["service"]) + call["url"], params=call["params"],
                         headers=headers, timeout=120, **extra)


def test_no_official_of_another_region_reads_or_changes_region_as_objects(suite, world):
    before = _snapshot(suite, world)
    calls = _operations(suite, world)
    assert len({(c["service"], c["method"], c["path"]) for c in calls}) > 80  # the walk covers the suite
    walkers = {
        "admin": _token(suite, "admin", region=B, subject="admin-huangshigang"),
        "clerk": _token(suite, "clerk", region=B, subject="clerk-huangshigang"),
        "approver": _token(suite, "approver", region=B, subject="chief-huangshigang"),
        "auditor": _token(suite, "auditor", region=B, subject="inspector-huangshigang"),
        # B's own hospital and bank, and A's hospital and bank code held by a client of B
        "hospital": _token(suite, "hospital", region=B, hospital="H4202020001", subject="his-huangshigang"),
        "agency": _token(suite, "agency", region=B, agency="HSG-BANK", subject="bank-huangshigang"),
        "hospital-of-a-in-b": _token(suite, "hospital", region=B, hospital=HOSPITAL, subject="his-b"),
        "agency-of-a-in-b": _token(suite, "agency", region=B, agency=AGENCY, subject="bank-b"),
    }
    records = _markers(world)
    leaks = []
    for role, headers in walkers.items():
        for call in calls:
            key = (call["method"], call["path"])
            if key in OPEN_TO_ANY_TOKEN:
                continue
            markers = records if key in PUBLIC_POLICY else [A, A_RETURNS, "汉阳", *records]
            answer = _call(suite, call, headers)
            if 200 <= answer.status_code < 300:
                text = answer.content.decode("utf-8", errors="replace")
                if not text.isascii() or "\\u" in text:
                    text = json.dumps(answer.json(), ensure_ascii=False) if "json" in answer.headers.get(
                        "content-type", "") else text
                carried = [m for m in markers if m in text]
                if carried:
                    leaks.append((role, call["method"], call["url"], answer.status_code, carried[:3]))
            elif answer.status_code >= 500:
                leaks.append((role, call["method"], call["url"], answer.status_code, answer.text[:200]))
    after = _snapshot(suite, world)
    changed = sorted(key for key in before if before[key] != after[key])
    assert (leaks, changed) == ([], []), "\n".join(map(str, leaks + changed))


# Which operations each of A's machine clients may call at all; every other one is refused with 403.
MACHINE_ROUTES = {
    "hospital": {("GET", "/v1/cards/{card_no}"), ("POST", "/v1/cards/verify"), ("POST", "/v1/cards/lookup"),
                 ("POST", "/v1/visits"), ("GET", "/v1/visits"), ("POST", "/fhir/CoverageEligibilityRequest")},
    "agency": {("GET", "/v1/agency/batches"), ("GET", "/v1/batches/{batch_id}/file"),
               ("GET", "/v1/batches/{batch_id}/manifest"), ("POST", "/v1/batches/{batch_id}/returns"),
               ("GET", "/v1/batches"), ("GET", "/v1/batches/{batch_id}"), ("GET", "/v1/batches/{batch_id}/transitions"),
               ("GET", "/v1/batches/{batch_id}/skipped"), ("GET", "/v1/batches/{batch_id}/lines"),
               # batches:read also shows the agencies and schedules a batch is made with, and a
               # person's lines in the batches this agency pays
               ("GET", "/v1/agencies"), ("GET", "/v1/agencies/{agency_id}"), ("GET", "/v1/payment-schedules"),
               ("GET", "/v1/payment-schedules/{region_code}"), ("GET", "/v1/people/{member_id}/payments")},
}


def test_a_hospital_or_a_bank_of_the_region_is_refused_the_clerks_routes(suite, world):
    calls = _operations(suite, world)
    tokens = {"hospital": _token(suite, "hospital", hospital=HOSPITAL, subject="his-hanyang"),
              "agency": _token(suite, "agency", agency=AGENCY, subject="bank-hanyang")}
    allowed_anyway = []
    for role, headers in tokens.items():
        for call in calls:
            key = (call["method"], call["path"])
            if key in MACHINE_ROUTES[role] or key in OPEN_TO_ANY_TOKEN:
                continue
            answer = _call(suite, call, headers)
            if answer.status_code != 403:
                allowed_anyway.append((role, call["method"], call["url"], answer.status_code))
    assert allowed_anyway == [], "\n".join(map(str, allowed_anyway))


def test_only_the_countrys_admin_registers_a_service_client_and_the_refusal_is_logged(suite, world):
    registry = suite.url("registry")
    body = {"client_id": "svc-hanyang", "role": "service", "region": A}  # within both admins' regions
    for region in (A, "420000"):
        refused = httpx.post(f"{registry}/v1/oauth-clients", json=body, headers=_token(suite, "admin", region=region,
                                                                                       subject=f"admin-{region}"))
        assert refused.status_code == 403, refused.text
    country = _token(suite, "admin", region="000000", subject="admin-country")
    assert httpx.get(f"{registry}/v1/oauth-clients/svc-hanyang", headers=country).status_code == 404
    log = _ok(httpx.get(f"{registry}/v1/security-log", headers=country,
                        params={"event": "client-registered", "limit": 200}), 200)["items"]
    assert {(e["outcome"], e["actor"]) for e in log} >= {("refused", f"admin-{A}"), ("refused", "admin-420000"),
                                                         ("success", "admin-country")}
