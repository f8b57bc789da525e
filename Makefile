# Async Social Analytics. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
ENV ?= default
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := functions:.
TOOLS := .tools
SAM := env -u PYTHONPATH $(TOOLS)/sam/bin/sam
CFN_LINT := env -u PYTHONPATH $(TOOLS)/sam/bin/cfn-lint
CHECKOV := env -u PYTHONPATH $(TOOLS)/checkov/bin/checkov

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# ------------------------------------------------------------------ setup (each step only when its inputs changed)
$(VENV)/.installed: requirements-dev.txt layers/dependencies/requirements.txt
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

# Template tools, kept out of .venv: two venvs because aws-sam-cli and checkov pin conflicting boto3 versions.
$(TOOLS)/.installed: requirements-tools.txt
	@test -x $(TOOLS)/sam/bin/python || $(PY) -m venv $(TOOLS)/sam
	@test -x $(TOOLS)/checkov/bin/python || $(PY) -m venv $(TOOLS)/checkov
	$(TOOLS)/sam/bin/pip install --quiet --disable-pip-version-check $$(grep -E '^(aws-sam-cli|cfn-lint)==' $<) & sam=$$!; \
	$(TOOLS)/checkov/bin/pip install --quiet --disable-pip-version-check $$(grep -E '^checkov==' $<); checkov=$$?; \
	wait $$sam && test $$checkov -eq 0
	@touch $@

frontend/vendor/.built: frontend/package.json frontend/package-lock.json frontend/scripts/build.mjs
	npm ci --prefix frontend --no-audit --no-fund --loglevel=error
	node frontend/scripts/build.mjs
	@touch $@

chromium: ## install Debian's Chromium for the browser tests when it is missing
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

install: $(VENV)/.installed frontend/vendor/.built ## the virtualenv, pinned packages and the dashboard's npm packages

# ------------------------------------------------------------------ the two commands
run: install ## run the whole platform locally on http://127.0.0.1:$${PORT:-8000}/
	$(PYTHON) -m local_stack

# Three pytest runs, the first two on both cores (pytest-xdist; a test module stays on one worker, so module-scoped
# stacks start once): everything but the browser, then the browser tests (Playwright's loop holds each worker's main
# thread, so nothing else may follow them in that process), then the IAM audit, which reads the AWS calls all the
# others recorded in test-artifacts/aws-calls.jsonl (AWS_CALL_LOG_APPEND: only this target clears it, once).
XDIST := -n $${TEST_WORKERS:-2} --dist loadfile
test: install chromium check-template ## every test: template checks, lint, unit, component, integration, browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p test-artifacts && rm -f test-artifacts/aws-calls.jsonl
	AWS_CALL_LOG_APPEND=1 $(BIN)/pytest -q $(XDIST) -m "not slow and not iam_audit and not browser" \
		tests/unit tests/component tests/integration tests/reliability
	AWS_CALL_LOG_APPEND=1 $(BIN)/pytest -q $(XDIST) -m "not slow and not iam_audit" tests/browser
	AWS_CALL_LOG_APPEND=1 $(BIN)/pytest -q -m iam_audit tests/unit/test_iam_policies.py

# ------------------------------------------------------------------ more
unit: $(VENV)/.installed ## the fast inner loop (under a minute; no stack, no moto server, no browser): lint + unit tests
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q $(XDIST) tests/unit -m "not slow and not iam_audit"

score: $(VENV)/.installed ## score JSON Lines {"id","text"} from stdin with the worker's analysis
	@$(PYTHON) -m social_analytics.scoring.cli

format: $(VENV)/.installed ## auto-fix style
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

bench: $(VENV)/.installed ## the performance figures in one table (docs/PERFORMANCE.md)
	$(PYTHON) -m bench.run

reliability: $(VENV)/.installed ## load, faults and bad input against the local stack, ending with a table (docs/RELIABILITY.md)
	$(BIN)/pytest -q tests/reliability -m "slow or not slow"

# ------------------------------------------------------------------ AWS (docs/DEPLOY.md)
check-template: $(TOOLS)/.installed ## sam validate --lint, cfn-lint, checkov (0 failed) and sam build (no container)
	$(SAM) validate --lint --region us-east-1
	$(CFN_LINT) template.yaml
	$(CHECKOV) -f template.yaml --framework cloudformation --quiet --compact --skip-download
	$(SAM) build --build-dir .aws-sam/check-build --cache-dir .aws-sam/check-cache --cached

deploy: $(TOOLS)/.installed $(VENV)/.installed ## sam build + sam deploy (ENV=default is dev, ENV=prod), then publish the dashboard
	$(SAM) build --config-env $(ENV)
	$(SAM) deploy --config-env $(ENV)
	$(PYTHON) scripts/publish_frontend.py --config-env $(ENV)

destroy: $(TOOLS)/.installed $(VENV)/.installed ## empty the stack's buckets (every version), then sam delete (ENV=...)
	$(PYTHON) scripts/publish_frontend.py --config-env $(ENV) --empty-buckets
	$(SAM) delete --config-env $(ENV) --no-prompts

reset: ## delete the local stack's data (tables, queued jobs, imports, admin token) in $${LOCAL_DATA_DIR:-.local-data}
	@dir="$${LOCAL_DATA_DIR:-.local-data}"; \
	if [ ! -e "$$dir" ]; then echo "nothing to reset: $$dir does not exist"; \
	elif [ -L "$$dir" ] || [ ! -f "$$dir/.async-social-analytics-local-data" ]; then \
		echo "refusing to delete $$dir: it is not a data folder the local stack created (no marker file)" >&2; exit 1; \
	else rm -rf "$$dir" && echo "deleted $$dir"; fi

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .ruff_cache test-artifacts frontend/vendor

.PHONY: help install chromium run test unit score format reset clean check-template deploy destroy bench reliability
