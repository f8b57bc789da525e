# Async Social Analytics. `make run` and `make test` set up everything they need.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(BIN)/python
ENV ?= default
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := functions:.

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

# ------------------------------------------------------------------ setup (each step only when its inputs changed)
$(VENV)/.installed: requirements-dev.txt layers/dependencies/requirements.txt
	@test -x $(PYTHON) || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
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

test: install chromium ## every test: lint, unit, component, integration, browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# ------------------------------------------------------------------ more
score: $(VENV)/.installed ## score JSON Lines {"id","text"} from stdin with the worker's analysis
	@$(PYTHON) -m social_analytics.service.scoring_cli

format: $(VENV)/.installed ## auto-fix style
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .

clean: ## remove build output and caches
	rm -rf .aws-sam .pytest_cache .ruff_cache test-artifacts frontend/vendor

.PHONY: help install chromium run test score format clean
