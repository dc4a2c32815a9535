"""The container set-up (docker-compose.yml, the Dockerfiles, the database init script) agrees
with the code: ports, environment variable names, databases, migrations and app factories are
checked against the services' settings classes and modules, not against copies of them here.

The files are parsed directly, so Docker is not needed: neither an engine nor
`docker compose config` (which is run only as an extra check when the CLI plugin exists).
"""

from __future__ import annotations

import importlib
import json
import re
import shlex
import shutil
import subprocess
import typing
from functools import cache
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml
from pydantic import BaseModel
from sqlalchemy.engine import make_url

from tefu_common.auth.keys import write_key_files
from tefu_common.settings import ServiceSettings
from tefu_console.settings import ConsoleSettings
from tefu_eligibility.settings import EligibilitySettings
from tefu_medical_priority.settings import MedicalPrioritySettings
from tefu_payments.settings import PaymentsSettings
from tefu_registry.oauth.router import router as issuer_router
from tefu_registry.settings import RegistrySettings
from tefu_supervision.settings import SupervisionSettings

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yml"
INIT_SCRIPT = ROOT / "deploy/postgres/init-databases.sh"

# A service's compose name and its directory under services/ are its settings' service_name.
SETTINGS: list[type[ServiceSettings]] = [RegistrySettings, EligibilitySettings, PaymentsSettings, MedicalPrioritySettings,
                                         SupervisionSettings, ConsoleSettings]
by_service = pytest.mark.parametrize("settings_cls", SETTINGS, ids=[s.service_name for s in SETTINGS])


# ---- helpers ------------------------------------------------------------------------------------


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def service(name: str) -> dict:
    services = compose()["services"]
    assert name in services, f"docker-compose.yml has no service {name!r}"
    return services[name]


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(name: str) -> dict[str, str]:
    deps = service(name).get("depends_on") or {}
    if isinstance(deps, list):
        return {dep: "service_started" for dep in deps}
    return {dep: (spec or {}).get("condition", "service_started") for dep, spec in deps.items()}


def command(name: str) -> list[str]:
    cmd = service(name)["command"]
    return shlex.split(cmd) if isinstance(cmd, str) else list(cmd)


def migrate_job(settings_cls: type[ServiceSettings]) -> str:
    return f"{settings_cls.service_name}-migrate"


def service_dir(settings_cls: type[ServiceSettings]) -> Path:
    return ROOT / "services" / settings_cls.service_name


def port(settings_cls: type[ServiceSettings]) -> int:
    return settings_cls.model_fields["port"].default


def prefix(settings_cls: type[ServiceSettings]) -> str:
    return settings_cls.model_config["env_prefix"]


def dockerfile_of(name: str) -> Path:
    build = service(name)["build"]
    context = ROOT / (build.get("context", ".") if isinstance(build, dict) else build)
    return (context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")).resolve()


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    result, pending = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    return result


def instruction_args(dockerfile: Path, keyword: str) -> list[str]:
    return [args for kw, args in instructions(dockerfile) if kw == keyword]


def dockerfile_cmd(dockerfile: Path) -> list[str]:
    cmds = instruction_args(dockerfile, "CMD")
    assert cmds, f"{dockerfile} has no CMD"
    return json.loads(cmds[-1])  # exec form


def uvicorn_factory(dockerfile: Path) -> str:
    cmd = dockerfile_cmd(dockerfile)
    assert cmd[0] == "uvicorn" and "--factory" in cmd, f"{dockerfile} CMD does not run a uvicorn factory: {cmd}"
    return next(arg for arg in cmd[1:] if ":" in arg and not arg.startswith("-"))


def option(args: list[str], name: str) -> str:
    assert name in args, f"{name} missing from {args}"
    return args[args.index(name) + 1]


def created_databases() -> set[str]:
    match = re.search(r"for\s+\w+\s+in\s+([^;\n]+)", INIT_SCRIPT.read_text())
    assert match, f"{INIT_SCRIPT} has no `for database in ...` loop"
    return set(match.group(1).split())


def nested_model(settings_cls: type[ServiceSettings], field: str) -> type[BaseModel] | None:
    annotation = settings_cls.model_fields[field].annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def unknown_variable(settings_cls: type[ServiceSettings], variable: str) -> str | None:
    """Why ``variable`` names no settings field (None when it does)."""
    if not variable.startswith(prefix(settings_cls)):
        return f"{variable} lacks the prefix {prefix(settings_cls)}"
    top, _, sub = variable.removeprefix(prefix(settings_cls)).lower().partition("__")
    if top not in settings_cls.model_fields:
        return f"{variable}: {settings_cls.__name__} has no field {top!r}"
    if sub:
        model = nested_model(settings_cls, top)
        if model is None:
            return f"{variable}: {settings_cls.__name__}.{top} is not a nested model"
        if sub not in model.model_fields:
            return f"{variable}: {model.__name__} has no field {sub!r}"
    return None


# ---- the compose file ------------------------------------------------------------------------


@by_service
def test_compose_has_the_service_and_its_migration_job(settings_cls):
    assert settings_cls.service_name in compose()["services"]
    assert migrate_job(settings_cls) in compose()["services"]


@by_service
def test_service_and_migration_job_build_the_service_dockerfile(settings_cls):
    for name in (settings_cls.service_name, migrate_job(settings_cls)):
        dockerfile = dockerfile_of(name)
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"
        assert dockerfile.parent == service_dir(settings_cls)
    assert service(settings_cls.service_name).get("image") == service(migrate_job(settings_cls)).get("image")


@by_service
def test_dockerfile_exposes_and_serves_the_settings_port(settings_cls):
    dockerfile = dockerfile_of(settings_cls.service_name)
    exposed = {int(p.split("/")[0]) for args in instruction_args(dockerfile, "EXPOSE") for p in args.split()}
    assert exposed == {port(settings_cls)}
    cmd = dockerfile_cmd(dockerfile)
    assert int(option(cmd, "--port")) == port(settings_cls)
    assert option(cmd, "--host") == "0.0.0.0"


@by_service
def test_dockerfile_healthcheck_probes_healthz_on_the_settings_port(settings_cls):
    dockerfile = dockerfile_of(settings_cls.service_name)
    (healthcheck,) = instruction_args(dockerfile, "HEALTHCHECK")
    assert f"http://127.0.0.1:{port(settings_cls)}/healthz" in healthcheck


@by_service
def test_dockerfile_runs_as_a_non_root_user(settings_cls):
    users = instruction_args(dockerfile_of(settings_cls.service_name), "USER")
    assert users, "no USER instruction: the container would run as root"
    assert users[-1].split(":")[0] not in {"root", "0"}


@by_service
def test_dockerfile_copies_only_the_shared_library_and_its_service(settings_cls):
    allowed = {"libs/common", f"services/{settings_cls.service_name}"}
    for args in instruction_args(dockerfile_of(settings_cls.service_name), "COPY"):
        sources = [arg.rstrip("/") for arg in args.split() if not arg.startswith("--")][:-1]
        assert set(sources) <= allowed, f"COPY {args}"


@by_service
def test_dockerfile_installs_the_service_editable_next_to_its_migrations(settings_cls):
    # The app finds its migrations relative to its source tree, so the tree must stay in place.
    main = importlib.import_module(uvicorn_factory(dockerfile_of(settings_cls.service_name)).split(":")[0])
    assert main.MIGRATIONS == service_dir(settings_cls) / "migrations"
    assert main.MIGRATIONS.is_dir()
    runs = " ".join(instruction_args(dockerfile_of(settings_cls.service_name), "RUN"))
    assert re.search(rf"pip install [^&]*-e \S*services/{re.escape(settings_cls.service_name)}\b", runs), runs


@by_service
def test_dockerfile_factory_is_importable_and_callable(settings_cls):
    module_name, _, attribute = uvicorn_factory(dockerfile_of(settings_cls.service_name)).partition(":")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))
    # The factory belongs to the same package as the settings class.
    assert module_name.split(".")[0] == settings_cls.__module__.split(".")[0]


@by_service
def test_published_port_matches_the_settings_port(settings_cls):
    published = []
    for entry in service(settings_cls.service_name).get("ports", []):
        if isinstance(entry, dict):
            published.append((int(entry["published"]), int(entry["target"])))
        else:
            *_, host, container = str(entry).split("/")[0].split(":")
            published.append((int(host), int(container)))
    assert published == [(port(settings_cls), port(settings_cls))]


@by_service
def test_environment_names_real_settings_fields(settings_cls):
    for name in (settings_cls.service_name, migrate_job(settings_cls)):
        problems = [p for var in environment(name) if (p := unknown_variable(settings_cls, var))]
        assert not problems, f"{name}: " + "; ".join(problems)


@by_service
def test_environment_is_accepted_by_the_settings_class(settings_cls, monkeypatch):
    for variable, value in environment(settings_cls.service_name).items():
        monkeypatch.setenv(variable, value)
    settings = settings_cls()
    assert settings.port == port(settings_cls)
    assert settings.host == "0.0.0.0"


@by_service
def test_database_url_names_a_database_the_init_script_creates(settings_cls):
    postgres = environment("postgres")
    for name in (settings_cls.service_name, migrate_job(settings_cls)):
        url = make_url(environment(name)[f"{prefix(settings_cls)}DATABASE_URL"])
        assert url.get_backend_name() == "postgresql"
        assert url.host in compose()["services"]
        assert (url.username, url.password) == (postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"])
        assert url.database in created_databases()


@by_service
def test_service_waits_for_its_migration_job(settings_cls):
    assert depends_on(settings_cls.service_name).get(migrate_job(settings_cls)) == "service_completed_successfully"


@by_service
def test_migration_job_waits_for_healthy_postgres(settings_cls):
    assert depends_on(migrate_job(settings_cls)).get("postgres") == "service_healthy"


@by_service
def test_migration_job_runs_alembic_with_the_service_alembic_ini(settings_cls):
    cmd = command(migrate_job(settings_cls))
    assert cmd[0] == "alembic" and cmd[-2:] == ["upgrade", "head"]
    alembic_ini = ROOT / option(cmd, "-c")
    assert alembic_ini.is_file()
    assert alembic_ini.parent == service_dir(settings_cls)


@by_service
def test_service_has_a_healthcheck_on_healthz(settings_cls):
    healthcheck = service(settings_cls.service_name).get("healthcheck")
    assert healthcheck and not healthcheck.get("disable")
    assert f"http://127.0.0.1:{port(settings_cls)}/healthz" in " ".join(healthcheck["test"])
    assert service(settings_cls.service_name).get("restart") == "unless-stopped"


@by_service
def test_token_verification_points_at_the_issuer(settings_cls):
    """The issuer reads its own key files; the others fetch its JWKS and revocations over HTTP."""
    if settings_cls in (RegistrySettings, ConsoleSettings):
        return  # the issuer has its own key files; the console verifies no tokens (the services do)
    env = environment(settings_cls.service_name)
    issuer_paths = {route.path for route in issuer_router.routes}
    for field in ("AUTH__JWKS_URL", "AUTH__REVOCATIONS_URL"):
        url = urlparse(env[prefix(settings_cls) + field])
        assert url.hostname == RegistrySettings.service_name
        assert url.port == port(RegistrySettings)
        assert url.path in issuer_paths
    assert depends_on(settings_cls.service_name).get(RegistrySettings.service_name) == "service_healthy"


# ---- postgres and the issuer keys ------------------------------------------------------------


def test_postgres_runs_the_init_script_and_has_a_healthcheck():
    postgres = service("postgres")
    mounts = [str(volume).split(":") for volume in postgres["volumes"]]
    init_scripts = {(ROOT / host).resolve() for host, target, *_ in mounts if target.startswith("/docker-entrypoint-initdb.d/")}
    assert init_scripts == {INIT_SCRIPT.resolve()}
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_init_script_is_strict_bash():
    script = INIT_SCRIPT.read_text()
    assert script.startswith("#!/usr/bin/env bash")
    assert "set -euo pipefail" in script
    psql_calls = [line for line in script.splitlines() if re.search(r"\bpsql\s", line)]
    assert psql_calls and all("ON_ERROR_STOP=1" in line for line in psql_calls), psql_calls


def test_registry_key_files_come_from_the_keys_job(tmp_path):
    keys_job = command("keys")
    assert keys_job[:2] == ["tefu-keys", "generate"]
    keys_dir = option(keys_job, "--dir")
    assert dockerfile_of("keys") == dockerfile_of(RegistrySettings.service_name)
    assert f"issuer-keys:{keys_dir}" in service("keys")["volumes"]
    assert f"issuer-keys:{keys_dir}:ro" in service(RegistrySettings.service_name)["volumes"]
    assert depends_on(RegistrySettings.service_name).get("keys") == "service_completed_successfully"

    write_key_files(tmp_path)  # the files `tefu-keys generate` writes
    env, registry_prefix = environment(RegistrySettings.service_name), prefix(RegistrySettings)
    for variable in ("SIGNING_KEY_FILE", "AUTH__JWKS_FILE"):
        path = Path(env[registry_prefix + variable])
        assert path.parent == Path(keys_dir)
        assert (tmp_path / path.name).is_file(), f"{registry_prefix}{variable}={path} is not a file tefu-keys writes"


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _docker_compose_available(), reason="docker compose is not installed; not required")
def test_docker_compose_config_accepts_the_file():
    # Only when the CLI plugin is present: it validates the file without a running engine.
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE_FILE), "config", "--quiet"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
