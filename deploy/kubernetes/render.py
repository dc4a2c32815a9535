"""Render Tefu's Kubernetes manifests from base/suite.yaml and an overlay, as multi-document YAML.

    .venv/bin/python deploy/kubernetes/render.py                      # overlay county, everything
    .venv/bin/python deploy/kubernetes/render.py --overlay province
    .venv/bin/python deploy/kubernetes/render.py --part migrations    # namespace, config, policies, Jobs
    .venv/bin/python deploy/kubernetes/render.py --part services      # everything but the Jobs
    .venv/bin/python deploy/kubernetes/render.py --secrets            # the Secrets to create, one a line

`make -s k8s-manifests [OVERLAY=province] [PART=…] | kubectl apply -f -` runs the same. Needs
nothing but PyYAML: each service is described once in base/suite.yaml (port, prefix, what it
calls, the Secrets it reads) and every manifest of that service is derived from it here.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
BASE = HERE / "base" / "suite.yaml"
OVERLAYS = HERE / "overlays"
DEFAULT_OVERLAY = "county"
PARTS = ("all", "migrations", "services")

# The one service that issues tokens, and where the others learn about revocations.
ISSUER = "registry"
JWKS_MOUNT = "/keys/jwks"
JWKS_SECRET = "tefu-issuer-jwks"
TMP_MOUNT = "/tmp"
UID = 10001  # the user the Dockerfiles create

Doc = dict[str, Any]


# --- the description ---------------------------------------------------------------------------

def overlays() -> list[str]:
    return sorted(path.stem for path in OVERLAYS.glob("*.yaml"))


def merged(base: Any, overlay: Any) -> Any:
    """``overlay`` over ``base``: mappings are merged key by key, anything else is replaced."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        out = dict(base)
        for key, value in overlay.items():
            out[key] = merged(base[key], value) if key in base else copy.deepcopy(value)
        return out
    return copy.deepcopy(overlay)


def load(overlay: str | None = DEFAULT_OVERLAY) -> dict[str, Any]:
    suite = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    if overlay:
        path = OVERLAYS / f"{overlay}.yaml"
        if not path.is_file():
            raise SystemExit(f"no overlay {overlay!r} (there are: {', '.join(overlays())})")
        suite = merged(suite, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    unknown = set(suite.get("api_hosts") or {}) - set(suite["services"])
    if unknown:
        raise SystemExit(f"api_hosts names services that do not exist: {', '.join(sorted(unknown))}")
    for name, service in suite["services"].items():
        for callee in service.get("calls", []):
            if callee not in suite["services"]:
                raise SystemExit(f"{name} calls {callee!r}, which is not a service of the suite")
        service["name"] = name
        for key, value in suite["defaults"].items():
            service[key] = merged(value, service[key]) if key in service else copy.deepcopy(value)
    return suite


def url_setting(service: str) -> str:
    """The setting that holds a service's address: ``medical-priority`` -> ``MEDICAL_PRIORITY_URL``."""
    return service.replace("-", "_").upper() + "_URL"


def address(suite: dict[str, Any], service: str) -> str:
    return f"http://{service}:{suite['services'][service]['port']}"


def public_url(suite: dict[str, Any]) -> str:
    return f"https://{suite['ingress']['host']}"


def secret_names(service: dict[str, Any]) -> dict[str, str]:
    name = service["name"]
    return {"database": f"tefu-{name}-database", "encryption": f"tefu-{name}-encryption",
            "client": f"tefu-{name}-client"}


def plain_settings(suite: dict[str, Any], service: dict[str, Any]) -> dict[str, str]:
    """The service's settings that are not secret (the ConfigMap), by full variable name."""
    values: dict[str, str] = {
        "ENVIRONMENT": "production",
        "HOST": "0.0.0.0",
        "PORT": str(service["port"]),
        "LOG_LEVEL": service["log_level"],
        "LOG_FORMAT": "json",
    }
    for callee in service.get("calls", []):
        values[url_setting(callee)] = address(suite, callee)
    if service.get("verifies_tokens"):
        values["AUTH__JWKS_FILE"] = f"{JWKS_MOUNT}/issuer-jwks.json"
        values["AUTH__REVOCATIONS_URL"] = address(suite, ISSUER) + "/oauth/revocations"
    if service.get("own_client"):
        values["AUTH__TOKEN_URL"] = address(suite, ISSUER) + "/oauth/token"
        values["AUTH__CLIENT_ID"] = service["own_client"]
    for mount in service.get("keys", []):
        for setting, file in mount["settings"].items():
            values[setting] = f"{mount['mount']}/{file}" if file else mount["mount"]
    if service.get("issuer"):
        values["CONSOLE_REDIRECT_URIS"] = json.dumps([public_url(suite) + "/auth/callback"])
        values["TRUSTED_PROXIES"] = json.dumps(suite.get("trusted_proxies") or [])
    if service.get("public"):
        # The issuer's sign-in pages are on the console's host (the Ingress sends them to the registry).
        values["ISSUER_URL"] = public_url(suite)
        values["PUBLIC_URL"] = public_url(suite)
    values.update({key: str(value) for key, value in (service.get("config") or {}).items()})
    return {service["prefix"] + key: value for key, value in values.items()}


def secret_settings(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(variable, Secret, key) of every setting read from a Secret."""
    names = secret_names(service)
    out = [("DATABASE_URL", names["database"], "url")]
    if service.get("encryption", True):
        out += [("ENCRYPTION__KEYS", names["encryption"], "keys"),
                ("ENCRYPTION__ACTIVE_KEY_ID", names["encryption"], "active-key-id"),
                ("ENCRYPTION__BLIND_INDEX_KEY", names["encryption"], "blind-index-key")]
    if service.get("own_client"):
        out.append(("AUTH__CLIENT_SECRET", names["client"], "client-secret"))
    return [(service["prefix"] + variable, secret, key) for variable, secret, key in out]


def migration_settings(service: dict[str, Any]) -> dict[str, str]:
    """What the migration Job sets over the ConfigMap. It calls nobody, so it needs no OAuth client
    of its own: the first install migrates before the registry exists to register one."""
    values = {key: str(value) for key, value in (service.get("migration_config") or {}).items()}
    if service.get("own_client"):
        values["AUTH__TOKEN_URL"] = ""
    return {service["prefix"] + key: value for key, value in values.items()}


def key_mounts(service: dict[str, Any]) -> list[dict[str, str]]:
    """The Secrets mounted as directories: [{secret, mount}]."""
    mounts = [{"secret": m["secret"], "mount": m["mount"]} for m in service.get("keys", [])]
    if service.get("verifies_tokens"):
        mounts.append({"secret": JWKS_SECRET, "mount": JWKS_MOUNT})
    return mounts


def required_secrets(suite: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every Secret the manifests refer to: {name: {"keys": [...], "used_by": [...], "about": ...}}."""
    out: dict[str, dict[str, Any]] = {}

    def need(name: str, key: str, user: str, about: str) -> None:
        entry = out.setdefault(name, {"keys": [], "used_by": [], "about": about})
        if key not in entry["keys"]:
            entry["keys"].append(key)
        if user not in entry["used_by"]:
            entry["used_by"].append(user)

    for name, service in suite["services"].items():
        for _, secret, key in secret_settings(service):
            about = {"url": "the service's PostgreSQL URL", "client-secret": "its OAuth client's secret"}.get(
                key, "its field-encryption keys")
            need(secret, key, name, about)
        for mount in key_mounts(service):
            declared = suite["secrets"][mount["secret"]]
            for file in declared["files"]:
                need(mount["secret"], file, name, declared["about"])
    return out


# --- the manifests -----------------------------------------------------------------------------

def labels(suite: dict[str, Any], name: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "tefu",
            "app.kubernetes.io/component": component, "app.kubernetes.io/version": str(suite["image_tag"])}


def selector(name: str, component: str = "server") -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}


def metadata(suite: dict[str, Any], name: str, service: str, component: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "namespace": suite["namespace"], "labels": labels(suite, service, component), **extra}


def image(suite: dict[str, Any], service: dict[str, Any]) -> str:
    return f"{suite['image_registry']}/{service['name']}:{suite['image_tag']}"


def config_map(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": metadata(suite, f"{service['name']}-config", service["name"], "server"),
            "data": plain_settings(suite, service)}


def pod_spec(suite: dict[str, Any], service: dict[str, Any], *, command: list[str] | None, probes: bool) -> Doc:
    """The pod of the service, or of its migration Job (same image, settings and key files; the
    Job without the service's own OAuth client)."""
    migration = not probes
    name = service["name"]
    volumes: list[Doc] = [{"name": "tmp", "emptyDir": {"sizeLimit": service["tmp_size"]}}]
    mounts: list[Doc] = [{"name": "tmp", "mountPath": TMP_MOUNT}]
    for mount in key_mounts(service):
        volume = mount["secret"].removeprefix("tefu-")
        volumes.append({"name": volume, "secret": {"secretName": mount["secret"], "defaultMode": 0o440}})
        mounts.append({"name": volume, "mountPath": mount["mount"], "readOnly": True})
    container: Doc = {
        "name": name,
        "image": image(suite, service),
        "imagePullPolicy": suite["image_pull_policy"],
    }
    if command:
        container["command"] = command
    container["envFrom"] = [{"configMapRef": {"name": f"{name}-config"}}]
    overrides = migration_settings(service) if migration else {}
    container["env"] = [{"name": variable, "value": value} for variable, value in overrides.items()] + [
        {"name": variable, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for variable, secret, key in secret_settings(service)
        if not (migration and variable.endswith("AUTH__CLIENT_SECRET"))]
    if probes:
        container["ports"] = [{"name": "http", "containerPort": service["port"], "protocol": "TCP"}]
        http = {"path": "/healthz", "port": "http"}
        container["startupProbe"] = {"httpGet": http, "periodSeconds": 2, "failureThreshold": 60}
        container["livenessProbe"] = {"httpGet": http, "periodSeconds": 10, "timeoutSeconds": 3, "failureThreshold": 3}
        container["readinessProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}, "periodSeconds": 5,
                                       "timeoutSeconds": 3, "failureThreshold": 3}
        # Leave the Service's endpoints before the process is asked to stop.
        container["lifecycle"] = {"preStop": {"sleep": {"seconds": 5}}}
    container["resources"] = copy.deepcopy(service["resources"])
    container["securityContext"] = {
        "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    container["volumeMounts"] = mounts
    return {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": volumes,
    }


def migration_job(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    name = service["name"]
    tag = re.sub(r"[^a-z0-9-]+", "-", str(suite["image_tag"]).lower()).strip("-")
    spec = pod_spec(suite, service, command=["alembic", "-c", service["alembic_ini"], "upgrade", "head"],
                    probes=False)
    spec["restartPolicy"] = "Never"
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        # One Job a release: a new image tag is a new Job, re-applying the same one changes nothing.
        "metadata": metadata(suite, f"{name}-migrate-{tag}"[:63].rstrip("-"), name, "migration"),
        "spec": {"backoffLimit": 4, "activeDeadlineSeconds": 1800, "ttlSecondsAfterFinished": 7 * 24 * 3600,
                 "template": {"metadata": {"labels": labels(suite, name, "migration")}, "spec": spec}},
    }


def deployment(suite: dict[str, Any], service: dict[str, Any], config: Doc) -> Doc:
    name = service["name"]
    checksum = hashlib.sha256(json.dumps(config["data"], sort_keys=True).encode()).hexdigest()
    spec = pod_spec(suite, service, command=None, probes=True)
    spec["terminationGracePeriodSeconds"] = 30
    spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
                                          "whenUnsatisfiable": "ScheduleAnyway",
                                          "labelSelector": {"matchLabels": selector(name)}}]
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": metadata(suite, name, name, "server"),
        # No replicas here: the HorizontalPodAutoscaler owns the count (kubectl apply leaves it alone).
        "spec": {
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(name)},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "template": {
                # A changed ConfigMap rolls the pods.
                "metadata": {"labels": labels(suite, name, "server"), "annotations": {"tefu/config-sha256": checksum}},
                "spec": spec,
            },
        },
    }


def k8s_service(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    name = service["name"]
    return {"apiVersion": "v1", "kind": "Service", "metadata": metadata(suite, name, name, "server"),
            "spec": {"type": "ClusterIP", "selector": selector(name),
                     "ports": [{"name": "http", "port": service["port"], "targetPort": "http", "protocol": "TCP"}]}}


def autoscaler(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    name = service["name"]
    replicas = service["replicas"]
    return {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(suite, name, name, "server"),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "minReplicas": replicas["min"], "maxReplicas": replicas["max"],
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                "type": "Utilization", "averageUtilization": service["cpu_target_percent"]}}}],
            "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300}},
        },
    }


def disruption_budget(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    name = service["name"]
    # With one replica, "at least one available" would block every node drain; allow one out instead.
    budget = {"minAvailable": 1} if service["replicas"]["min"] >= 2 else {"maxUnavailable": 1}
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": metadata(suite, name, name, "server"),
            "spec": {**budget, "selector": {"matchLabels": selector(name)}}}


def callers(suite: dict[str, Any], name: str) -> list[str]:
    return [other for other, service in suite["services"].items() if name in service.get("calls", [])]


def reached_from_ingress(suite: dict[str, Any], service: dict[str, Any]) -> bool:
    return bool(service.get("public") or service.get("browser_paths") or service["name"] in (suite.get("api_hosts") or {}))


def namespace_selector(namespace: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}}


def network_policy(suite: dict[str, Any], service: dict[str, Any]) -> Doc:
    """In: only from the services that call this one (and the ingress controller, Prometheus).
    Out: only to the services it calls, DNS and PostgreSQL. The migration Job's pod is covered too."""
    name = service["name"]
    port = [{"protocol": "TCP", "port": service["port"]}]
    ingress: list[Doc] = []
    sources = [{"podSelector": {"matchLabels": selector(caller)}} for caller in callers(suite, name)]
    if sources:
        ingress.append({"from": sources, "ports": port})
    if reached_from_ingress(suite, service):
        ingress.append({"from": [namespace_selector(suite["ingress"]["controller_namespace"])], "ports": port})
    if suite.get("monitoring_namespace"):
        ingress.append({"from": [namespace_selector(suite["monitoring_namespace"])], "ports": port})
    dns = suite["dns"]
    egress: list[Doc] = [{
        "to": [{**namespace_selector(dns["namespace"]), "podSelector": {"matchLabels": dns["pod_labels"]}}],
        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
    }, {
        "to": [{"ipBlock": {"cidr": cidr}} for cidr in suite["postgres"]["cidrs"]],
        "ports": [{"protocol": "TCP", "port": suite["postgres"]["port"]}],
    }]
    for callee in service.get("calls", []):
        egress.append({"to": [{"podSelector": {"matchLabels": selector(callee)}}],
                       "ports": [{"protocol": "TCP", "port": suite["services"][callee]["port"]}]})
    return {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": metadata(suite, name, name, "server"),
        "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
                 "policyTypes": ["Ingress", "Egress"], "ingress": ingress, "egress": egress},
    }


def default_deny(suite: dict[str, Any]) -> Doc:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "default-deny", "namespace": suite["namespace"], "labels": {"app.kubernetes.io/part-of": "tefu"}},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}


def namespace(suite: dict[str, Any]) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": suite["namespace"], "labels": {
                "app.kubernetes.io/part-of": "tefu",
                # Every pod here runs as the Dockerfiles' user, without privileges: the strictest level holds.
                "pod-security.kubernetes.io/enforce": "restricted"}}}


def backend(suite: dict[str, Any], name: str) -> Doc:
    return {"service": {"name": name, "port": {"number": suite["services"][name]["port"]}}}


def ingress_annotations(suite: dict[str, Any]) -> dict[str, str]:
    # ingress-nginx's names; another controller ignores them. A region's report can take minutes.
    return {"nginx.ingress.kubernetes.io/proxy-body-size": str(suite["ingress"]["max_body_size"]),
            "nginx.ingress.kubernetes.io/proxy-read-timeout": "300",
            "nginx.ingress.kubernetes.io/proxy-send-timeout": "300"}


def console_ingress(suite: dict[str, Any]) -> Doc:
    """People reach the console, and the registry's sign-in pages the console sends them to, on one host."""
    console = next(s for s in suite["services"].values() if s.get("public"))
    paths = [{"path": path, "pathType": "Prefix", "backend": backend(suite, service["name"])}
             for service in suite["services"].values() for path in service.get("browser_paths", [])]
    paths.append({"path": "/", "pathType": "Prefix", "backend": backend(suite, console["name"])})
    host = suite["ingress"]["host"]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": metadata(suite, console["name"], console["name"], "server",
                                 annotations=ingress_annotations(suite)),
            "spec": {"ingressClassName": suite["ingress"]["class_name"],
                     "tls": [{"hosts": [host], "secretName": suite["ingress"]["tls_secret"]}],
                     "rules": [{"host": host, "http": {"paths": paths}}]}}


def api_ingress(suite: dict[str, Any]) -> Doc | None:
    """Machine clients outside the cluster (banks, hospitals' HIS) reach their services directly."""
    hosts = suite.get("api_hosts") or {}
    if not hosts:
        return None
    rules = [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend(suite, name)}]}}
             for name, host in hosts.items()]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": "api", "namespace": suite["namespace"], "labels": {"app.kubernetes.io/part-of": "tefu"},
                         "annotations": ingress_annotations(suite)},
            "spec": {"ingressClassName": suite["ingress"]["class_name"],
                     "tls": [{"hosts": list(hosts.values()), "secretName": suite["ingress"]["tls_secret"]}],
                     "rules": rules}}


def render(suite: dict[str, Any], part: str = "all") -> list[Doc]:
    if part not in PARTS:
        raise SystemExit(f"--part is one of {', '.join(PARTS)}")
    docs: list[Doc] = [namespace(suite), default_deny(suite)]
    for service in suite["services"].values():
        config = config_map(suite, service)
        docs += [config, network_policy(suite, service)]
        if part in ("all", "migrations"):
            docs.append(migration_job(suite, service))
        if part in ("all", "services"):
            docs += [deployment(suite, service, config), k8s_service(suite, service), autoscaler(suite, service),
                     disruption_budget(suite, service)]
    if part in ("all", "services"):
        docs.append(console_ingress(suite))
        api = api_ingress(suite)
        if api:
            docs.append(api)
    return docs


class _Dumper(yaml.SafeDumper):
    """Plain YAML: every value written out where it is, no anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def dump(docs: list[Doc]) -> str:
    return yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False,
                         width=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--overlay", default=DEFAULT_OVERLAY, help=f"one of {', '.join(overlays())} (default {DEFAULT_OVERLAY})")
    parser.add_argument("--part", default="all", choices=PARTS)
    parser.add_argument("--secrets", action="store_true", help="list the Secrets the manifests read, and their keys")
    args = parser.parse_args(argv)
    suite = load(args.overlay or DEFAULT_OVERLAY)
    if args.secrets:
        for name, secret in required_secrets(suite).items():
            print(f"{name}\t{','.join(secret['keys'])}\t{','.join(secret['used_by'])}\t{secret['about']}")
        return 0
    sys.stdout.write(dump(render(suite, args.part)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
