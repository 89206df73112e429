# prospecting — `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

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

test: $(STAMP) ## ruff, mypy and the whole pytest suite (SQLite and PostgreSQL)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP) ## ruff and mypy only
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

bench: $(STAMP) ## Resolver benchmark (prints records/s and peak memory)
	$(BIN)/python bench/resolver.py

clean: ## Remove the venv, caches and local data
	rm -rf $(VENV) data .mypy_cache .ruff_cache .pytest_cache .hypothesis

.PHONY: help install run test lint bench clean
