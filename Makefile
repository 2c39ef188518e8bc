# virtcompat — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
WORKERS ?= 2
export FLASK_APP := app

.PHONY: help install run migrate seed test lint typecheck bench bench-stats compose-config clean

help: ## Show this help
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Create .venv and install the pinned dependencies

migrate: install ## Apply the Alembic migrations to DATABASE_URL (default: SQLite in instance/)
	$(BIN)/alembic upgrade head

seed: migrate ## Load/update the catalogue from seed/ (idempotent)
	$(BIN)/flask --app app seed

run: seed ## Set up and serve with gunicorn on 127.0.0.1, port PORT (8000), WORKERS workers (2)
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers $(WORKERS) --access-logfile - app:app

lint: install ## ruff (lint + format check)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install ## mypy --strict on the domain and API packages
	$(BIN)/mypy

test: install ## Lint, type-check and run the tests (PostgreSQL too when TEST_DATABASE_URL is set; required with CI=true)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -q $(PYTEST_ARGS)

bench: install ## wrk benchmarks of every path against a same-run bare Flask baseline (SQLite and PostgreSQL)
	$(BIN)/python bench/wrk.py $(BENCH_ARGS)

bench-stats: install ## Dashboard latency at 10k and 1M probes on PostgreSQL (TEST_DATABASE_URL; prints the 1M/10k ratio)
	$(BIN)/python bench/stats_scale.py $(BENCH_STATS_ARGS)

# Placeholders only where unset: the file requires both secrets, and `config` checks syntax,
# interpolation and references; nothing is started.
compose-config: ## Validate docker-compose.yml (needs docker compose or docker-compose)
	@export POSTGRES_PASSWORD="$${POSTGRES_PASSWORD:-validation-only}" \
	        VIRTCOMPAT_PROBE_SALT="$${VIRTCOMPAT_PROBE_SALT:-validation-only}"; \
	if docker compose version >/dev/null 2>&1; then docker compose config --quiet; \
	elif command -v docker-compose >/dev/null 2>&1; then docker-compose config -q; \
	else echo "compose-config: no docker compose client found" >&2; exit 2; fi
	@echo "docker-compose.yml is valid"

clean: ## Remove caches (keeps .venv and instance/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis
