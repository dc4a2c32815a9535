# Tefu: one virtual environment (.venv) with the shared library and the four services installed
# in editable mode with plain pip, at the versions pinned in constraints.txt.
#
#   make run     install, migrate one SQLite database per service under var/, start the suite
#   make test    install and run every test (PostgreSQL by default; DB=sqlite for SQLite; CRYPTO=sm for
#                the SM2/SM3/SM4 algorithms, docs/operations.md#switching-to-the-sm-algorithms)
#   make reencrypt   re-encrypt every service's data for the TEFU_CRYPTO mode and active key (service stopped)
#   make fuzz    install and fuzz every service from its OpenAPI document (schemathesis, fixed seed)
#   make token ROLE=<role> REGION=<code> [HOSPITAL=<code>] [AGENCY=<id>] [SUB=<name>]
#   make user ROLE=<role> REGION=<code> USERNAME=<name> PASSWORD=<pw> [NAME=<display name>] [HOSPITAL=…] [AGENCY=…] [TOTP=1]
#   make screenshots  pictures of the console's main pages in docs/console/ (needs /usr/bin/chromium)
#   make run-replicas [REPLICAS=2]   every service as several processes behind nginx, on PostgreSQL
#   make -s k8s-manifests [OVERLAY=county|province] [PART=all|migrations|services]   Kubernetes manifests on stdout

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= postgresql
CRYPTO ?= $(or $(TEFU_CRYPTO),standard)
PACKAGES := -e libs/common[test] -e services/registry -e services/eligibility -e services/payments -e services/medical-priority -e services/supervision -e services/console
PYPROJECTS := libs/common/pyproject.toml $(wildcard services/*/pyproject.toml) constraints.txt

.PHONY: install keys migrate run test reencrypt fuzz test-sqlite test-postgresql token user smoke screenshots run-replicas k8s-manifests clean

# Installation steps write to stderr so that `make -s token` prints nothing but the token.
$(BIN)/python:
	@echo "creating $(VENV)" >&2
	@$(PYTHON) -m venv $(VENV) >&2

$(VENV)/.installed: $(BIN)/python $(PYPROJECTS)
	@echo "installing the suite into $(VENV)" >&2
	@$(BIN)/python -m pip install --quiet -c constraints.txt pip setuptools >&2
	@$(BIN)/python -m pip install --quiet -c constraints.txt $(PACKAGES) >&2
	@touch $@

install: $(VENV)/.installed

# The token issuer's Ed25519 key (private, used by the registry) and its public JWKS (all services).
var/keys/issuer-jwks.json: | $(VENV)/.installed
	@$(BIN)/tefu-keys generate --dir var/keys >/dev/null

keys: var/keys/issuer-jwks.json

migrate: install keys
	$(BIN)/python scripts/suite.py migrate

run: install keys
	$(BIN)/python scripts/suite.py run

# Every service as REPLICAS processes behind nginx (Debian's package, run as you, under var/nginx/),
# on PostgreSQL: one database per service, shared by its replicas (docs/operations.md#replicas).
REPLICAS ?= 2
run-replicas: install keys
	$(BIN)/python scripts/replicas.py run --replicas "$(REPLICAS)"

test: install
	TEFU_TEST_DB=$(DB) TEFU_CRYPTO=$(CRYPTO) $(BIN)/python -m pytest $(PYTEST_ARGS)

# After a switch of TEFU_CRYPTO or of the active encryption key, with the services stopped: every
# encrypted field and blind index of each service's database, under that service's own settings.
REENCRYPT_SERVICES ?= registry medical-priority eligibility payments supervision console
reencrypt: install
	$(BIN)/python -m tefu_common.reencrypt $(foreach s,$(REENCRYPT_SERVICES),--service $(s))

# Property-based fuzzing of every service's OpenAPI document (tests/fuzz/), with a fixed seed and a
# bounded number of examples: no server error, no undocumented status or content type, no answer
# that breaks its schema. On PostgreSQL; a few minutes.
fuzz: install
	TEFU_TEST_DB=postgresql TEFU_FUZZ=1 $(BIN)/python -m pytest tests/fuzz $(PYTEST_ARGS)

test-postgresql:
	$(MAKE) test DB=postgresql

test-sqlite:
	$(MAKE) test DB=sqlite

# Prints only the token on stdout, so `TOKEN=$$(make -s token ROLE=clerk REGION=370306)` works.
token: install keys
	@$(BIN)/tefu-registry token --role "$(ROLE)" --region "$(REGION)" \
		$(if $(HOSPITAL),--hospital "$(HOSPITAL)") $(if $(AGENCY),--agency "$(AGENCY)") \
		$(if $(SUB),--sub "$(SUB)") $(if $(SCOPE),--scope "$(SCOPE)") $(if $(TTL),--ttl "$(TTL)")

# Creates or updates a person's account in the registry's database (migrated first). The password
# goes through the environment, not the command line, so it is not in the process list.
user: install keys
	@$(BIN)/python -m alembic -c services/registry/alembic.ini upgrade head >/dev/null 2>&1 || \
		$(BIN)/python -m alembic -c services/registry/alembic.ini upgrade head >&2
	@TEFU_USER_PASSWORD="$(PASSWORD)" $(BIN)/tefu-registry user --username "$(USERNAME)" --role "$(ROLE)" \
		--region "$(REGION)" $(if $(NAME),--name "$(NAME)") $(if $(HOSPITAL),--hospital "$(HOSPITAL)") \
		$(if $(AGENCY),--agency "$(AGENCY)") $(if $(TOTP),--totp)

# Starts the suite exactly as `make run` does and checks every service from the outside.
smoke: install keys
	$(BIN)/python scripts/smoke.py

# Pictures of the console's main pages in docs/console/, from a suite started as the tests start it
# (fresh SQLite databases, free ports) and a real browser (Debian's Chromium at /usr/bin/chromium).
screenshots: install
	TEFU_TEST_DB=sqlite $(BIN)/python scripts/screenshots.py

# Every Kubernetes manifest of the suite (docs/kubernetes.md), rendered from deploy/kubernetes/ on
# stdout only, so `make -s k8s-manifests OVERLAY=province | kubectl apply -f -` works.
OVERLAY ?= county
PART ?= all
k8s-manifests: install
	@$(BIN)/python deploy/kubernetes/render.py --overlay "$(OVERLAY)" --part "$(PART)"

clean:
	rm -rf $(VENV) var
