# prospecting — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COVERAGE_FLOOR ?= 90

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(STAMP) ## Create .venv and install the package with its dev tools

run: $(STAMP) ## Serve platform.api on :3060 (SQLite in ./data, dev network key, demo network)
	$(BIN)/prospecting serve

test: lint ## lint, then the whole pytest suite (SQLite and PostgreSQL) with a coverage floor
	$(BIN)/pytest -n auto --cov=prospecting --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

lint: $(STAMP) ## ruff (lint + format check), the layer contract (import-linter) and mypy
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/lint-imports
	$(BIN)/mypy

bench: $(STAMP) ## Every performance figure beside its floor or peer, one table (docs/performance.md)
	$(BIN)/python bench/run.py

clean: ## Remove the venv, caches and local data
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache .hypothesis

.PHONY: help install run test lint bench clean
