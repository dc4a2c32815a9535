"""The four OpenAPI documents as a contract integrators can trust, and /docs that works offline.

Checked on each service's published document:
- every list answers the suite's one page shape: ``?cursor=&limit=`` in, ``{items, next_cursor}``
  out, never a bare array (the registry's change feed is the one documented exception);
- every 4xx and 5xx response is ``application/problem+json`` with the ProblemDetail schema, and
  FastAPI's HTTPValidationError (which the suite never answers) is gone;
- every operation has a Chinese summary, a description, and examples of its bodies;
- /docs and /redoc load every script and stylesheet from the service itself.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlparse

import pytest

from tefu_common.paging import MAX_LIMIT
from tefu_common.testing import app_client, migrated_database
from tefu_eligibility.main import create_app as eligibility_app
from tefu_eligibility.settings import EligibilitySettings
from tefu_medical_priority.main import create_app as medical_priority_app
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_supervision.main import create_app as supervision_app
from tefu_supervision.settings import SupervisionSettings
from tefu_payments.main import create_app as payments_app
from tefu_payments.settings import PaymentsSettings
from tefu_registry.main import create_app as registry_app
from tefu_registry.settings import RegistrySettings

ROOT = Path(__file__).resolve().parents[1]
SERVICES = {
    "registry": (RegistrySettings, registry_app),
    "eligibility": (EligibilitySettings, eligibility_app),
    "payments": (PaymentsSettings, payments_app),
    "medical-priority": (MedicalPrioritySettings, medical_priority_app),
    "supervision": (SupervisionSettings, supervision_app),
}
# A feed has no last page: its cursor is a position to resume from, never null, and it is named
# apart (after / next_after) so that a client walking pages until next_cursor is null never
# walks it forever. Documented on the operation itself.
FEEDS = {("registry", "get", "/v1/changes")}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(params=list(SERVICES), scope="module")
def service(request, tmp_path_factory, keys_dir):
    name = request.param
    settings_class, create_app = SERVICES[name]
    with migrated_database(name.replace("-", "_"), tmp_path_factory.mktemp(name), ROOT / "services" / name / "alembic.ini") as url:
        values = {"environment": "test", "database_url": url, "auth": {"jwks_file": keys_dir / "issuer-jwks.json"}}
        if name == "registry":
            values["signing_key_file"] = keys_dir / "issuer-ed25519.pem"
        yield name, settings_class(**values), create_app


@pytest.fixture(scope="module")
def document(service) -> dict[str, Any]:
    name, settings, create_app = service
    return create_app(settings, configure_logs=False).openapi()


def operations(document: dict[str, Any]):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def json_body_schema(document: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    content = response.get("content", {}).get("application/json")
    return resolve(document, content["schema"]) if content and "schema" in content else None


def test_every_list_takes_a_cursor_and_answers_a_page(service, document):
    name = service[0]
    failures = []
    for path, method, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if not status.startswith("2"):
                continue
            schema = json_body_schema(document, response)
            if schema is None:
                continue
            where = f"{method.upper()} {path}"
            if schema.get("type") == "array":
                failures.append(f"{where} answers a bare array")
                continue
            if "items" not in schema.get("properties", {}):
                continue
            query = {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}
            if (name, method, path) in FEEDS:
                if {"after", "limit"} - set(query) or "next_after" not in schema["properties"]:
                    failures.append(f"{where}: a feed takes after/limit and answers next_after")
                continue
            if {"cursor", "limit"} - set(query):
                failures.append(f"{where} lacks cursor/limit")
            elif query["limit"]["schema"].get("maximum") != MAX_LIMIT:
                failures.append(f"{where}: limit is at most {query['limit']['schema'].get('maximum')}, not {MAX_LIMIT}")
            if "next_cursor" not in schema["properties"]:
                failures.append(f"{where} answers no next_cursor")
    assert failures == []


def test_every_error_is_a_problem_detail(document):
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert "ProblemDetail" in document["components"]["schemas"]
    failures = []
    for path, method, operation in operations(document):
        for status, response in operation.get("responses", {}).items():
            if status.isdigit() and int(status) >= 400:
                content = response.get("content", {})
                if path.startswith("/fhir/") and "application/fhir+json" in content:
                    continue  # FHIR's own error document, OperationOutcome, where the route answers it
                if path == "/oauth/authorize" and list(content) == ["text/html"]:
                    continue  # the sign-in page a person reads: its errors are the page, saying why
                if list(content) != ["application/problem+json"] or \
                        content["application/problem+json"].get("schema") != {"$ref": "#/components/schemas/ProblemDetail"}:
                    failures.append(f"{method.upper()} {path} {status}")
    assert failures == []


def test_routes_that_need_a_token_declare_401_and_403(document):
    failures = []
    for path, method, operation in operations(document):
        if operation.get("security") and not {"401", "403"} <= set(operation["responses"]):
            failures.append(f"{method.upper()} {path}")
    assert failures == []


def test_every_operation_is_described_with_examples(document):
    failures = []
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        if not CHINESE.search(operation.get("summary", "")):
            failures.append(f"{where}: no Chinese summary")
        if len(operation.get("description", "")) < 20:
            failures.append(f"{where}: no description")
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            if media_type == "application/json" and not has_example(document, content):
                failures.append(f"{where}: request body without an example")
        for status, response in operation.get("responses", {}).items():
            if status.startswith("2"):
                for media_type, content in response.get("content", {}).items():
                    if media_type == "application/json" and not has_example(document, content):
                        failures.append(f"{where}: {status} body without an example")
    assert failures == []


def has_example(document: dict[str, Any], content: dict[str, Any]) -> bool:
    if "example" in content or "examples" in content:
        return True
    schema = content.get("schema", {})
    if not schema:
        return False
    resolved = resolve(document, schema)
    if "examples" in resolved or "example" in resolved:
        return True
    # A page is exemplified by an example of its items.
    items = resolved.get("properties", {}).get("items", {}).get("items")
    return bool(items) and has_example(document, {"schema": items})


class AssetLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and values.get("src"):
            self.links.append(values["src"] or "")
        if tag == "link" and values.get("href"):
            self.links.append(values["href"] or "")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_load_every_asset_from_the_service(service, page):
    name, settings, create_app = service
    async with app_client(create_app(settings, configure_logs=False), base_url="http://127.0.0.1") as client:
        response = await client.get(page)
        assert response.status_code == 200
        parser = AssetLinks()
        parser.feed(response.text)
        assert any(link.endswith(".js") for link in parser.links)
        assert "cdn." not in response.text and "googleapis" not in response.text
        for link in parser.links:
            url = urlparse(urljoin(f"http://127.0.0.1{page}", link))
            assert url.hostname == "127.0.0.1", f"{page} loads {link} from elsewhere"
            asset = await client.get(url.path)
            assert asset.status_code == 200 and len(asset.content) > 100, link
        openapi = await client.get("/openapi.json")
        assert openapi.status_code == 200


def _unbounded_arrays(document: dict[str, Any], schema: Any, where: str, seen: set[str]) -> list[str]:
    """Every array under ``schema`` (through $refs, properties, items, unions) without a maxItems."""
    if not isinstance(schema, dict):
        return []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        return _unbounded_arrays(document, document["components"]["schemas"][name], f"{where}→{name}", seen | {name})
    found = []
    if schema.get("type") == "array" and "maxItems" not in schema:
        found.append(where)
    for key in ("items", "additionalProperties"):
        found += _unbounded_arrays(document, schema.get(key), f"{where}[]" if key == "items" else f"{where}{{}}", seen)
    for name, inner in (schema.get("properties") or {}).items():
        found += _unbounded_arrays(document, inner, f"{where}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for inner in schema.get(key) or []:
            found += _unbounded_arrays(document, inner, where, seen)
    return found


def test_every_list_a_client_sends_is_bounded(document):
    """A body or query list without a maximum lets one request hold a worker (300,000 later_children
    took 42 s to be refused): every array a request can carry declares maxItems, and the service
    refuses a longer one with a 422 on that field before reading it."""
    failures = []
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        for parameter in operation.get("parameters", []):
            failures += _unbounded_arrays(document, parameter.get("schema"), f"{where} ?{parameter['name']}", set())
        for media, content in ((operation.get("requestBody") or {}).get("content") or {}).items():
            failures += _unbounded_arrays(document, content.get("schema"), f"{where} body", set())
    assert failures == [], "\n".join(failures)
