# Two commands do all the set-up: `make demo` and `make test`. Each builds the venv it needs.
VENV      ?= .venv
PY        := $(VENV)/bin/python
BIN       := $(VENV)/bin
SCENARIO  ?= rising-to-ceiling
STAMP     := $(VENV)/.installed
STACK     ?= ceilingwatch
MONITOR   ?= default
# sam builds the python3.13 runtime with a `python3.13` from PATH: the venv's first, and under
# pyenv (whose shims answer only for the active version) the installed 3.13.
SAM       := PATH="$(abspath $(BIN)):$$PATH" \
	PYENV_VERSION="$${PYENV_VERSION:-$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.13' | tail -1)}" \
	$(BIN)/sam

.PHONY: dev demo local test lint typecheck unit integration contract e2e template security package bench build \
	secrets deploy test-alert logs clean

dev: $(STAMP)

$(STAMP): requirements.txt functions/requirements.txt pyproject.toml
	@test -x $(PY) || "$$(infra/packaging/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m infra.demo.timeline --scenario $(SCENARIO)
	$(PY) -m infra.demo.slack_app --scenario $(SCENARIO)
	$(PY) -m infra.demo.live

# The local stack, the simulator and a Slack catcher until Ctrl-C, with the exports to paste.
local: $(STAMP)
	$(PY) -m infra.local_stack --scenario $(SCENARIO)

test: lint typecheck unit contract integration template security package

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q -p no:cacheprovider tests/architecture

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

contract: $(STAMP)
	$(BIN)/pytest -q tests/contract

integration: $(STAMP)
	@infra/packaging/ensure-chromium
	$(BIN)/pytest -q tests/integration

# Opt-in, against a deployed stack: make e2e AWS_SAM_STACK_NAME=ceilingwatch
e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

template: $(STAMP)
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --template template.yaml

security: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r functions infra
	BC_SKIP_MAPPING=TRUE $(BIN)/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

package: $(STAMP)
	$(PY) -m infra.packaging.package

# sam build, then each function's package pruned to what a run imports and compiled to bytecode:
# Lambda cannot write .pyc into /var/task, so without it every cold start compiles every module
# (see make bench: a click's cold answer takes twice the CPU).
FUNCTIONS := CheckFunction InteractionsFunction UltravoxWebhookFunction FanoutFunction
build: $(STAMP)
	$(SAM) build --template template.yaml
	for function in $(FUNCTIONS); do \
		$(PY) -m infra.packaging.package --prepare .aws-sam/build/$$function || exit 1; done

# These need an AWS account (credentials and a region, e.g. AWS_DEFAULT_REGION).
# The secrets first, so the first run after the deploy finds them: prompts, never echoes.
secrets: $(STAMP)
	$(BIN)/ceilingwatch put-secrets --monitor $(MONITOR)

# Guided the first time (it saves your answers to samconfig.toml), from samconfig.toml after.
deploy: build
	@if grep -q '^parameter_overrides' samconfig.toml; then guided=""; else guided="--guided"; \
		echo "first deploy: sam deploy --guided (your answers are saved to samconfig.toml)"; fi; \
	$(SAM) deploy $$guided $(DEPLOY_FLAGS)

# The deployed function's own test action: a labelled test message through every channel.
test-alert: $(STAMP)
	$(SAM) remote invoke CheckFunction --stack-name $(STACK) \
		--event '{"monitor": "$(MONITOR)", "action": "test"}'

logs: $(STAMP)
	$(SAM) logs --stack-name $(STACK) --name CheckFunction --tail

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache build dist
