"""The Kubernetes manifests (deploy/kubernetes/, `make k8s-manifests`) are valid and agree with the code.

Every rendered document of every overlay is validated, strictly, against the schemas of a current
Kubernetes release that kubernetes-validate bundles (no cluster, no download). Then each service's
manifests are checked against its settings class and its app, not against copies here: the
container port is the settings' port, every variable set is a field the settings read, the
settings built from the manifests (with Secrets made here as an operator makes them) pass the
production checks and make an app, the probes' paths are routes of that app, and the
NetworkPolicies let through exactly the calls the URL settings say the service makes.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import typing
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import kubernetes_validate
import pytest
import yaml
from fastapi import routing
from pydantic import BaseModel

from tefu_common import field_crypto
from tefu_common.auth.keys import write_key_files
from tefu_common.settings import Environment, ServiceSettings
from tefu_console.settings import ConsoleSettings
from tefu_eligibility.settings import EligibilitySettings
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_payments.settings import PaymentsSettings
from tefu_registry.settings import RegistrySettings
from tefu_supervision.settings import SupervisionSettings

ROOT = Path(__file__).resolve().parents[1]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.37.0"  # the newest release whose schemas kubernetes-validate ships
DOCS = ROOT / "docs" / "kubernetes.md"
SETTINGS = {RegistrySettings, EligibilitySettings, PaymentsSettings, MedicalPrioritySettings, SupervisionSettings,
            ConsoleSettings}


def _render_module():
    spec = importlib.util.spec_from_file_location("tefu_kubernetes_render", KUBERNETES / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render = _render_module()
OVERLAYS = render.overlays()
by_overlay = pytest.mark.parametrize("overlay", OVERLAYS)


@cache
def suite(overlay: str) -> dict:
    return render.load(overlay)


@cache
def documents(overlay: str) -> tuple[dict, ...]:
    # Through the YAML text, as kubectl gets it.
    return tuple(yaml.safe_load_all(render.dump(render.render(suite(overlay)))))


def settings_class(overlay: str, name: str) -> type[ServiceSettings]:
    module, _, attribute = suite(overlay)["services"][name]["settings"].partition(":")
    cls = getattr(importlib.import_module(module), attribute)
    assert issubclass(cls, ServiceSettings)
    return cls


def services(overlay: str = render.DEFAULT_OVERLAY) -> list[str]:
    return list(suite(overlay)["services"])


by_service = pytest.mark.parametrize("name", services())


def one(overlay: str, kind: str, name: str) -> dict:
    found = [d for d in documents(overlay) if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"{overlay}: {len(found)} {kind} named {name}"
    return found[0]


def of_kind(overlay: str, kind: str) -> list[dict]:
    return [d for d in documents(overlay) if d["kind"] == kind]


def migration_job(overlay: str, name: str) -> dict:
    jobs = [d for d in of_kind(overlay, "Job") if d["metadata"]["labels"]["app.kubernetes.io/name"] == name]
    assert len(jobs) == 1, f"{overlay}: {name} has {len(jobs)} migration Jobs"
    return jobs[0]


def container(workload: dict) -> dict:
    (only,) = workload["spec"]["template"]["spec"]["containers"]
    return only


def environment(overlay: str, workload: dict) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """(plain variables, {variable: (Secret, key)}) of the workload's container."""
    plain: dict[str, str] = {}
    secret: dict[str, tuple[str, str]] = {}
    spec = container(workload)
    for source in spec.get("envFrom", []):
        plain.update(one(overlay, "ConfigMap", source["configMapRef"]["name"])["data"])
    for entry in spec.get("env", []):
        if "value" in entry:
            plain[entry["name"]] = entry["value"]
        else:
            ref = entry["valueFrom"]["secretKeyRef"]
            secret[entry["name"]] = (ref["name"], ref["key"])
    return plain, secret


def nested_model(settings_cls: type[ServiceSettings], field: str) -> type[BaseModel] | None:
    annotation = settings_cls.model_fields[field].annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def unknown_variable(settings_cls: type[ServiceSettings], variable: str) -> str | None:
    prefix = settings_cls.model_config["env_prefix"]
    if not variable.startswith(prefix):
        return f"{variable} lacks the prefix {prefix}"
    top, _, sub = variable.removeprefix(prefix).lower().partition("__")
    if top not in settings_cls.model_fields:
        return f"{variable}: {settings_cls.__name__} has no field {top!r}"
    if sub:
        model = nested_model(settings_cls, top)
        if model is None:
            return f"{variable}: {settings_cls.__name__}.{top} is not a nested model"
        if sub not in model.model_fields:
            return f"{variable}: {model.__name__} has no field {sub!r}"
    return None


# ---- Secrets, made as docs/kubernetes.md tells an operator to -------------------------------------

KEY_ID = "k2026"


def secret_value(secret: str, key: str, service: str) -> str:
    if key == "url":
        return f"postgresql+asyncpg://tefu:s3cret@postgres.example:5432/{service.replace('-', '_')}"
    if key == "keys":
        return json.dumps({KEY_ID: base64.b64encode(os.urandom(32)).decode()})
    if key == "active-key-id":
        return KEY_ID
    if key == "blind-index-key":
        return base64.b64encode(os.urandom(32)).decode()
    if key == "client-secret":
        return "client-secret-from-the-registry"
    pytest.fail(f"{secret}: no known way to make its key {key!r} (add it here and to docs/kubernetes.md)")


def key_files(directory: Path, files: list[str]) -> None:
    """The files of a key Secret, as `tefu-keys generate --name <name>` writes them."""
    for name in {file.removesuffix("-ed25519.pem").removesuffix("-jwks.json") for file in files}:
        write_key_files(directory, name=name)
    for path in directory.iterdir():
        if path.name not in files:
            path.unlink()
    assert sorted(p.name for p in directory.iterdir()) == sorted(files), f"tefu-keys does not write {files}"


def production_settings(overlay: str, name: str, tmp_path: Path, monkeypatch, workload: dict | None = None) -> ServiceSettings:
    """The service's settings from its Deployment (or ``workload``), the Secrets' files under tmp_path."""
    deployment = workload or one(overlay, "Deployment", name)
    pod = deployment["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    declared = render.required_secrets(suite(overlay))
    remap: dict[str, str] = {}
    for mount in container(deployment)["volumeMounts"]:
        secret = volumes[mount["name"]].get("secret")
        if secret:
            directory = tmp_path / mount["mountPath"].strip("/")
            directory.mkdir(parents=True)
            key_files(directory, declared[secret["secretName"]]["keys"])
            remap[mount["mountPath"]] = str(directory)
    plain, secret = environment(overlay, deployment)
    values = dict(plain)
    for variable, (secret_name, key) in secret.items():
        assert key in declared[secret_name]["keys"]
        values[variable] = secret_value(secret_name, key, name)
    for variable, value in values.items():
        for mount_path, directory in remap.items():
            if value == mount_path or value.startswith(mount_path + "/"):
                value = directory + value[len(mount_path):]
        values[variable] = value
    settings_cls = settings_class(overlay, name)
    for variable in list(os.environ):
        if variable.startswith(settings_cls.model_config["env_prefix"]):
            monkeypatch.delenv(variable)
    # A pod has only the environment its manifest gives: no TEFU_CRYPTO there is the standard mode,
    # whatever mode these tests run in (its keys are the Secrets' -ed25519.pem files).
    monkeypatch.delenv("TEFU_CRYPTO", raising=False)
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    return settings_cls()


def app_routes(overlay: str, name: str, settings: ServiceSettings, monkeypatch) -> set[str]:
    # The app installs the process-wide field cipher; give the other tests theirs back afterwards.
    monkeypatch.setattr(field_crypto, "_cipher", field_crypto._cipher)
    monkeypatch.setattr(field_crypto, "_blind_index", field_crypto._blind_index)
    module, _, attribute = suite(overlay)["services"][name]["app"].partition(":")
    app = getattr(importlib.import_module(module), attribute)(settings, configure_logs=False)
    # Included routers stay routers of their own (FastAPI resolves them lazily): walk their contexts.
    paths = {context.path_format for context in routing.iter_route_contexts(app.routes)}
    return paths | {route.path for route in app.routes if hasattr(route, "path")}


def url_settings(settings: ServiceSettings) -> dict[str, str]:
    """Every address the service calls, by setting (top level and auth)."""
    out = {f: v for f, v in settings.model_dump().items() if f.endswith("_url") and isinstance(v, str)}
    out.update({f"auth.{f}": v for f, v in settings.auth.model_dump().items() if f.endswith("_url") and v})
    out.pop("database_url", None)
    return out


# ---- the documents ------------------------------------------------------------------------------


def test_the_overlays_and_the_default():
    assert {"county", "province"} <= set(OVERLAYS)
    assert render.DEFAULT_OVERLAY in OVERLAYS


@by_overlay
def test_every_document_is_valid_kubernetes(overlay):
    assert kubernetes_validate.utils.latest_version() >= "1.37"  # the schemas are bundled in the package
    for part in render.PARTS:
        for document in yaml.safe_load_all(render.dump(render.render(suite(overlay), part))):
            try:
                kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                pytest.fail(f"{overlay}/{part}: {document['kind']} {document['metadata']['name']}: {error.message} "
                            f"at {'.'.join(map(str, error.path))}")


def test_the_validator_rejects_what_kubernetes_would():
    deployment = json.loads(json.dumps(one("county", "Deployment", "registry")))
    container(deployment)["livenessProbe"]["httpGet"]["paht"] = "/healthz"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@by_overlay
def test_every_service_of_the_suite_has_its_manifests(overlay):
    assert {cls.service_name for cls in SETTINGS} == set(services(overlay))
    namespace = suite(overlay)["namespace"]
    assert namespace == "tefu"
    assert one(overlay, "Namespace", namespace)
    assert all(d["metadata"].get("namespace", namespace) == namespace for d in documents(overlay))
    for name in services(overlay):
        assert settings_class(overlay, name) in SETTINGS
        for kind in ("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"):
            one(overlay, kind, name)
        one(overlay, "ConfigMap", f"{name}-config")
        migration_job(overlay, name)
    assert not of_kind(overlay, "Secret"), "no secret value is ever rendered"


@by_overlay
@by_service
def test_container_port_is_the_settings_port(overlay, name):
    port = settings_class(overlay, name).model_fields["port"].default
    deployment = one(overlay, "Deployment", name)
    assert [p["containerPort"] for p in container(deployment)["ports"]] == [port]
    assert [(p["port"], p["targetPort"]) for p in one(overlay, "Service", name)["spec"]["ports"]] == [(port, "http")]
    assert environment(overlay, deployment)[0][settings_class(overlay, name).model_config["env_prefix"] + "PORT"] == str(port)
    # What the image serves (the Dockerfile's CMD).
    cmd = next(line for line in (ROOT / "services" / name / "Dockerfile").read_text().splitlines() if line.startswith("CMD"))
    args = json.loads(cmd.removeprefix("CMD"))
    assert int(args[args.index("--port") + 1]) == port


@by_overlay
@by_service
def test_every_variable_set_is_a_setting_the_service_reads(overlay, name):
    settings_cls = settings_class(overlay, name)
    for workload in (one(overlay, "Deployment", name), migration_job(overlay, name)):
        plain, secret = environment(overlay, workload)
        assert plain and secret
        problems = [p for variable in [*plain, *secret] if (p := unknown_variable(settings_cls, variable))]
        assert not problems, "; ".join(problems)


@by_overlay
@by_service
def test_production_settings_are_complete_and_make_the_app(overlay, name, tmp_path, monkeypatch):
    settings = production_settings(overlay, name, tmp_path, monkeypatch)  # refuses to exist with a problem
    assert settings.environment is Environment.production
    assert settings.production_problems() == []
    assert not settings.database_url.startswith("sqlite")
    routes = app_routes(overlay, name, settings, monkeypatch)
    probes = container(one(overlay, "Deployment", name))
    assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert probes[probe]["httpGet"]["path"] in routes
        assert probes[probe]["httpGet"]["port"] == "http"


@by_overlay
@by_service
def test_the_migration_job_settings_pass_production(overlay, name, tmp_path, monkeypatch):
    settings = production_settings(overlay, name, tmp_path, monkeypatch, migration_job(overlay, name))
    assert settings.environment is Environment.production
    assert settings.production_problems() == []
    assert not (settings.auth.client_secret or settings.auth.token_url), "a migration needs no client of its own"


@by_service
def test_a_missing_secret_setting_is_caught(name, tmp_path, monkeypatch):
    """The check above can fail: without its database URL a service refuses production."""
    settings_cls = settings_class("county", name)
    production_settings("county", name, tmp_path, monkeypatch)
    monkeypatch.delenv(settings_cls.model_config["env_prefix"] + "DATABASE_URL")
    with pytest.raises(ValueError, match="DATABASE_URL"):
        settings_cls()


@by_overlay
@by_service
def test_the_migration_job_runs_alembic_with_the_service_settings(overlay, name):
    job, deployment = migration_job(overlay, name), one(overlay, "Deployment", name)
    cmd = container(job)["command"]
    assert cmd[0] == "alembic" and cmd[-2:] == ["upgrade", "head"]
    alembic_ini = ROOT / cmd[cmd.index("-c") + 1]
    assert alembic_ini.is_file() and alembic_ini.parent == ROOT / "services" / name
    # env.py builds the settings: the Job has what the service has, but for its own OAuth client.
    (job_plain, job_secret), (plain, secret) = environment(overlay, job), environment(overlay, deployment)
    assert {k: v for k, v in plain.items() if k not in job_plain} == {}
    changed = {k: v for k, v in job_plain.items() if plain.get(k) != v}
    assert changed == render.migration_settings(suite(overlay)["services"][name])
    assert {k: v for k, v in secret.items() if k not in job_secret} == (
        {k: v for k, v in secret.items() if k.endswith("AUTH__CLIENT_SECRET")})
    assert container(job)["volumeMounts"] == container(deployment)["volumeMounts"]
    assert container(job)["image"] == container(deployment)["image"]


@by_overlay
@by_service
def test_pods_run_unprivileged_on_a_read_only_root(overlay, name):
    dockerfile = (ROOT / "services" / name / "Dockerfile").read_text()
    user = next(line for line in reversed(dockerfile.splitlines()) if line.startswith("USER ")).split()[1]
    for workload in (one(overlay, "Deployment", name), migration_job(overlay, name)):
        pod = workload["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert str(pod["securityContext"]["runAsUser"]) == user.split(":")[0]
        assert pod["automountServiceAccountToken"] is False
        spec = container(workload)
        assert spec["securityContext"]["readOnlyRootFilesystem"] is True
        assert spec["securityContext"]["allowPrivilegeEscalation"] is False
        assert spec["securityContext"]["capabilities"]["drop"] == ["ALL"]
        # Uploads spool to /tmp: the one writable place.
        assert [m["mountPath"] for m in spec["volumeMounts"] if not m.get("readOnly")] == ["/tmp"]
        assert set(spec["resources"]) == {"requests", "limits"}
        assert set(spec["resources"]["requests"]) == set(spec["resources"]["limits"]) == {"cpu", "memory"}


@by_overlay
@by_service
def test_autoscaler_and_disruption_budget_cover_the_deployment(overlay, name):
    deployment = one(overlay, "Deployment", name)
    hpa, pdb = one(overlay, "HorizontalPodAutoscaler", name), one(overlay, "PodDisruptionBudget", name)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    assert "replicas" not in deployment["spec"], "the autoscaler owns the count"
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert one(overlay, "Service", name)["spec"]["selector"].items() <= pod_labels.items()
    if hpa["spec"]["minReplicas"] >= 2:
        assert pdb["spec"].get("minAvailable") == 1
    else:  # one replica: a budget of "one available" would block every node drain
        assert pdb["spec"].get("maxUnavailable") == 1
    if overlay == "province":
        assert hpa["spec"]["minReplicas"] >= 2


# ---- the network -------------------------------------------------------------------------------


def selected(peer: dict) -> str | None:
    """The service a NetworkPolicy peer selects (None for a namespace or address block)."""
    if "podSelector" in peer and "namespaceSelector" not in peer:
        return peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
    return None


@by_overlay
def test_network_policies_let_through_exactly_the_calls(overlay, tmp_path, monkeypatch):
    calls: dict[str, set[str]] = {}
    public = urlparse(render.public_url(suite(overlay)))
    for name in services(overlay):
        settings = production_settings(overlay, name, tmp_path / name, monkeypatch)
        called = set()
        for field, url in url_settings(settings).items():
            parsed = urlparse(url)
            # A default address (127.0.0.1) would be wrong in a pod: every one is set.
            assert parsed.hostname not in ("127.0.0.1", "localhost"), f"{name}.{field} is left at its default {url}"
            if parsed.hostname == public.hostname:  # the browser's addresses (the console's issuer and own URL)
                assert field in {"issuer_url", "public_url"}, f"{name}.{field} is {url}"
                continue
            assert parsed.hostname in services(overlay), f"{name}.{field}={url} is no service of the suite"
            assert parsed.port == settings_class(overlay, parsed.hostname).model_fields["port"].default
            called.add(parsed.hostname)
        calls[name] = called
    for name in services(overlay):
        policy = one(overlay, "NetworkPolicy", name)["spec"]
        assert policy["policyTypes"] == ["Ingress", "Egress"]
        egress = {selected(peer) for rule in policy["egress"] for peer in rule["to"]} - {None}
        assert egress == calls[name], f"{name} may reach {sorted(egress)} but calls {sorted(calls[name])}"
        for rule in policy["egress"]:
            for peer in rule["to"]:
                if selected(peer):
                    port = suite(overlay)["services"][selected(peer)]["port"]
                    assert rule["ports"] == [{"protocol": "TCP", "port": port}]
        ingress = {selected(peer) for rule in policy["ingress"] for peer in rule["from"]} - {None}
        callers = {other for other, called in calls.items() if name in called}
        assert ingress == callers, f"{name} lets in {sorted(ingress)}; its callers are {sorted(callers)}"
        ports = {p["port"] for rule in policy["ingress"] for p in rule["ports"]}
        assert ports <= {suite(overlay)["services"][name]["port"]}
        # Besides the calls: DNS and PostgreSQL only.
        others = [rule for rule in policy["egress"] if not any(selected(peer) for peer in rule["to"])]
        assert sorted(p["port"] for rule in others for p in rule["ports"]) == sorted([53, 53, suite(overlay)["postgres"]["port"]])
    deny = one(overlay, "NetworkPolicy", "default-deny")["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


@by_overlay
def test_the_console_is_behind_the_ingress_with_the_sign_in_pages(overlay, tmp_path, monkeypatch):
    ingress = one(overlay, "Ingress", "console")["spec"]
    (rule,) = ingress["rules"]
    host = suite(overlay)["ingress"]["host"]
    assert rule["host"] == host and ingress["tls"][0]["hosts"] == [host]
    backends = {p["path"]: p["backend"]["service"]["name"] for p in rule["http"]["paths"]}
    assert backends.pop("/") == "console"
    assert set(backends.values()) == {"registry"}
    console = production_settings(overlay, "console", tmp_path / "console", monkeypatch)
    assert console.public_url == console.issuer_url == f"https://{host}"
    assert console.cookie_secure is True
    registry = production_settings(overlay, "registry", tmp_path / "registry", monkeypatch)
    assert registry.console_redirect_uris == [console.redirect_uri]
    routes = app_routes(overlay, "registry", registry, monkeypatch)
    for path in backends:  # every path sent to the registry is one of its routes (or their prefix)
        assert any(route == path or route.startswith(path + "/") for route in routes), path
    assert "/oauth/authorize" in backends
    # Only services reached through an Ingress let the ingress controller in.
    through_ingress = {"console", "registry", *(suite(overlay).get("api_hosts") or {})}
    controller = suite(overlay)["ingress"]["controller_namespace"]
    for name in services(overlay):
        rules = one(overlay, "NetworkPolicy", name)["spec"]["ingress"]
        lets_in = any(peer.get("namespaceSelector", {}).get("matchLabels", {}).get("kubernetes.io/metadata.name") == controller
                      for rule in rules for peer in rule["from"])
        assert lets_in == (name in through_ingress), name


# ---- make, the Secrets, the docs ------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("overlay", [None, "province"])
def test_make_prints_the_manifests_and_nothing_else(overlay):
    args = ["make", "-s", "k8s-manifests"] + ([f"OVERLAY={overlay}"] if overlay else [])
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert list(yaml.safe_load_all(result.stdout)) == list(documents(overlay or render.DEFAULT_OVERLAY))


def test_parts_split_the_migrations_from_the_services():
    everything = render.render(suite("county"))
    migrations = render.render(suite("county"), "migrations")
    running = render.render(suite("county"), "services")
    assert {d["kind"] for d in migrations} == {"Namespace", "NetworkPolicy", "ConfigMap", "Job"}
    assert "Job" not in {d["kind"] for d in running}
    assert sorted(map(json.dumps, everything)) == sorted({json.dumps(d) for d in migrations + running})


def documented_secrets() -> dict[str, set[str]]:
    """{Secret: its keys} from the table of docs/kubernetes.md (a row may name several Secrets)."""
    out: dict[str, set[str]] = {}
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0].startswith("`tefu-"):
            keys = set(re.findall(r"`([^`]+)`", cells[1]))
            for name in re.findall(r"`([^`]+)`", cells[0]):
                out[name] = keys
    return out


def test_every_secret_is_declared_and_documented():
    documented = documented_secrets()
    for overlay in OVERLAYS:
        declared = render.required_secrets(suite(overlay))
        referred = set()
        for document in documents(overlay):
            if document["kind"] not in ("Deployment", "Job"):
                continue
            pod = document["spec"]["template"]["spec"]
            referred |= {v["secret"]["secretName"] for v in pod["volumes"] if "secret" in v}
            referred |= {ref for ref, _ in environment(overlay, document)[1].values()}
        assert referred == set(declared)
        for name, secret in declared.items():
            assert name in documented, f"docs/kubernetes.md's table of Secrets lacks {name}"
            assert documented[name] == set(secret["keys"]), f"docs/kubernetes.md: the keys of {name}"
        tls = {tls["secretName"] for ingress in of_kind(overlay, "Ingress") for tls in ingress["spec"]["tls"]}
        assert tls <= set(documented)
    assert set(documented) == set(render.required_secrets(suite("province"))) | {suite("province")["ingress"]["tls_secret"]}
