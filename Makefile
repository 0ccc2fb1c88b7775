# Two commands do all the set-up: `make demo` and `make test`. Each builds the venv it needs.
VENV      ?= .venv
PY        := $(VENV)/bin/python
BIN       := $(VENV)/bin
SCENARIO  ?= rising-to-ceiling
STAMP     := $(VENV)/.installed

.PHONY: dev demo test lint typecheck unit integration contract e2e template security package bench build clean

dev: $(STAMP)

$(STAMP): requirements.txt functions/requirements.txt pyproject.toml
	@test -x $(PY) || "$$(infra/find-python)" -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(PY) -m infra.demo --scenario $(SCENARIO)

test: lint typecheck unit contract integration template security package

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

contract: $(STAMP)
	$(BIN)/pytest -q tests/contract

integration: $(STAMP)
	$(BIN)/pytest -q tests/integration

# Opt-in, against a deployed stack: make e2e AWS_SAM_STACK_NAME=ceilingwatch
e2e: $(STAMP)
	$(BIN)/pytest -q tests/e2e

template: $(STAMP)
	$(BIN)/cfn-lint template.yaml
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam validate --lint --template template.yaml

security: $(STAMP)
	$(BIN)/bandit -q -c pyproject.toml -r functions infra
	BC_SKIP_MAPPING=TRUE $(BIN)/checkov --quiet --compact --skip-download --framework cloudformation --file template.yaml

package: $(STAMP)
	$(PY) -m infra.package

# sam build, then the package pruned to what a run imports and compiled to bytecode: Lambda cannot
# write .pyc into /var/task, so without it every cold start compiles every module (see make bench).
build: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/sam build --template template.yaml
	$(PY) -m infra.package --prepare .aws-sam/build/CheckFunction

bench: $(STAMP)
	$(PY) -m bench.run

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache build dist
