# The few commands a newcomer needs. Setup is automatic and idempotent:
# every target that needs the virtualenv or node_modules builds them first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PY312 := $(shell scripts/find-python312)
NEED_PY312 := Python 3.12 is needed (pyproject.toml requires >=3.12, and it is the Lambda runtime)
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

# pytest runs on every core (pytest-xdist), a whole test file per worker (`loadfile`), so a file's
# module-scoped fixtures (a local stack, seeded sandboxes) are built once and its tests run in order.
# Each worker is its own process: moto's in-process state, the local stacks' moto servers and DynamoDB
# Local processes are per worker; every server in the tests binds a free port. PYTEST_WORKERS=0 runs
# in one process. The browser tests (tests/browser) run in the same pass: each browser file has its
# own stack, Playwright driver and Chromium (module-scoped, see tests/browser/conftest.py).
PYTEST_WORKERS ?= auto
PYTEST_PARALLEL := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

.PHONY: help setup demo dev test browser-test browser-setup lint unit-test sam-build openapi requirements \
        clean-local clean sandbox-crm sandbox-inventory check-java bench fuzz

help:
	@echo "make demo   - set up everything, start the local stack and run the product's main job"
	@echo "make test   - set up everything and run every check and test (what CI runs)"
	@echo "make browser-test - only the browser tests (tests/browser, Debian's chromium)"
	@echo "make dev    - run the local stack until Ctrl-C (API on http://127.0.0.1:3000)"
	@echo "make sandbox-crm / sandbox-inventory - run one vendor sandbox standalone"
	@echo "make openapi / requirements - regenerate openapi.json / the layer's requirements.txt"
	@echo "make bench  - print the benchmarks' figures (bench/README.md)"
	@echo "make fuzz   - fuzz every API operation on the local stack, longer than CI (FUZZ_EXAMPLES=$(FUZZ_EXAMPLES))"
	@echo "make clean-local - wipe the local stack's data"

# ------------------------------------------------------------------ setup
$(VENV)/.installed: pyproject.toml
	@if [ ! -x $(PY) ]; then \
	  if [ -z "$(PY312)" ]; then \
	    echo "$(NEED_PY312) and none was found: no python3.12 or python3 3.12 on PATH, none in pyenv." >&2; \
	    echo "Install it (pyenv install 3.12, or your system's python3.12 package) and run make again." >&2; \
	    exit 1; \
	  fi; \
	  $(PY312) -m venv $(VENV); \
	fi
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
	  echo "$(NEED_PY312); $(VENV) runs Python $$($(PY) -c 'import platform; print(platform.python_version())')." >&2; \
	  echo "Remove it (rm -rf $(VENV)) and run make again." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

$(SAM_VENV)/.installed:
	@test -x $(SAM) || python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	@touch $@

check-java:
	@command -v java >/dev/null || { echo "Java (17+) is needed for DynamoDB Local: sudo apt-get install -y openjdk-17-jre-headless"; exit 1; }

setup: $(VENV)/.installed node_modules/.installed check-java

# The browser tests drive Debian's Chromium through Playwright (pinned in the dev extras). Playwright's
# own browser download cannot run here (`playwright install` is never used): Debian's `chromium`
# package is installed with apt when `chromium` is not on PATH (as root, or through sudo).
CHROMIUM_APT_PACKAGE := chromium
browser-setup:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then sudo=; \
	  elif command -v sudo >/dev/null 2>&1; then sudo=sudo; \
	  else echo "The browser tests need Chromium: install the apt package '$(CHROMIUM_APT_PACKAGE)' as root (apt-get install -y $(CHROMIUM_APT_PACKAGE)); there is no sudo here." >&2; exit 1; fi; \
	  echo "Installing the apt package '$(CHROMIUM_APT_PACKAGE)' for the browser tests (about a minute)..."; \
	  { $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(CHROMIUM_APT_PACKAGE); } \
	    >/tmp/crmsync-apt-chromium.log 2>&1 && command -v chromium >/dev/null 2>&1 || { \
	    tail -20 /tmp/crmsync-apt-chromium.log >&2; \
	    echo "Could not install the apt package '$(CHROMIUM_APT_PACKAGE)' that the browser tests need: run 'sudo apt-get install -y $(CHROMIUM_APT_PACKAGE)' and make again." >&2; \
	    exit 1; }; \
	  echo "chromium: $$(chromium --version 2>/dev/null)"; \
	}

# ------------------------------------------------------------------ the two commands
demo: setup
	$(PY) -m local.demo

test: setup browser-setup $(SAM_VENV)/.installed lint
	$(PY) -m pytest -q $(PYTEST_PARALLEL)
	$(MAKE) --no-print-directory sam-build

browser-test: setup browser-setup
	$(PY) -m pytest -q tests/browser

# ------------------------------------------------------------------ pieces
dev: setup
	$(PY) -m local.stack

lint: $(VENV)/.installed $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml
	$(PY) scripts/requirements.py --check
	$(PY) -m ruff check layers functions local tests scripts
	$(VENV)/bin/lint-imports

# After `sam build`: compile the layer and the functions to python3.12 bytecode (a build without it
# compiles the whole layer at every cold start), then check the build.
sam-build: $(SAM_VENV)/.installed
	@if [ -z "$(PY312)" ]; then \
	  echo "sam build skipped: no python3.12 on PATH or in pyenv (the Lambda runtime is python3.12)"; \
	else \
	  PATH="$(dir $(PY312)):$$PATH" $(SAM) build --template template.yaml --build-dir .aws-sam/build >/tmp/crmsync-sam-build.log 2>&1 \
	    && echo "sam build: ok" || { cat /tmp/crmsync-sam-build.log; exit 1; }; \
	  $(PY312) scripts/compile_build.py .aws-sam/build && $(PY) scripts/check_build.py .aws-sam/build; \
	fi

openapi: $(VENV)/.installed
	$(PY) -m crmsync.api.openapi > openapi.json
	$(PY) -m crmsync.api.route_index

requirements: $(VENV)/.installed
	$(PY) scripts/requirements.py

sandbox-crm: $(VENV)/.installed
	$(PY) -m local.sandboxes.crm

sandbox-inventory: $(VENV)/.installed
	$(PY) -m local.sandboxes.inventory

# The schemathesis pass of tests/e2e/test_fuzz_api.py with more examples per operation and a random
# seed (CI runs 5 per operation, always the same; FUZZ_SEED=<n> replays a run).
FUZZ_EXAMPLES ?= 100
fuzz: setup
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PY) -m pytest -q -p no:cacheprovider -o timeout=3600 tests/e2e/test_fuzz_api.py

bench: setup $(SAM_VENV)/.installed
	$(PY) -m bench.cold_start
	$(PY) -m bench.planning_core
	$(PY) -m bench.sync_calls
	$(PY) -m bench.automation_latency
	$(PY) -m bench.webhook_intake
	$(PY) -m bench.scale

clean-local:
	rm -rf .local-data .local

clean: clean-local
	rm -rf $(VENV) $(SAM_VENV) node_modules .aws-sam .pytest_cache
