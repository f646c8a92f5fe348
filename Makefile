# Everyday commands. `make run` starts everything on the embedded defaults (SQLite, a
# filesystem Celery broker); `make test` runs the suite. See README.md.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python 3.11 (Django 5.2 LTS, pinned packages); plain python3 where it is the 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# Touched after a successful install: pip runs again only when its requirements change.
# `make run` needs the runtime packages only (requirements.txt); the tests, lint and
# benchmarks add the dev tools (requirements-dev.txt). `make venv` is the dev install.
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
# requirements.txt alone, nothing else: what production installs (bin/smoke-prod runs on it).
PROD_VENV := .venv-prod
PIP_INSTALL = -m pip install --quiet --disable-pip-version-check
PYTEST_ARGS ?=

.PHONY: help venv venv-runtime venv-prod run test test-fast test-browser lint format bench migrations-check bench-reports

help:
	@echo "make run               start web, Celery worker and beat on http://127.0.0.1:8000/ with demo data (runtime packages only)"
	@echo "make test              run the test suite (SQLite + filesystem broker unless DATABASE_URL/CELERY_BROKER_URL say otherwise)"
	@echo "make test-fast          the inner loop: skips the slow, worker and browser tests (markers in pyproject.toml)"
	@echo "make test-browser      run the browser tests (Playwright + Debian's /usr/bin/chromium; screenshots in artifacts/screenshots/)"
	@echo "make lint              ruff check and ruff format --check"
	@echo "make venv              .venv with the runtime and dev packages (make venv-prod: .venv-prod, requirements.txt alone)"
	@echo "make format            ruff format and ruff check --fix"
	@echo "make migrations-check  fail if a model change lacks a migration"
	@echo "make bench             run the benchmarks in bench/"
	@echo "make bench-votes       the vote endpoint under load (make bench-reads: the public reads)"
	@echo "make soak              the embedded stack under ordinary use for SOAK_MINUTES (20), then checks nothing was lost"

venv: $(DEV_STAMP)
venv-runtime: $(RUNTIME_STAMP)
venv-prod: $(PROD_VENV)/.installed

$(RUNTIME_STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python $(PIP_INSTALL) -r requirements.txt
	@touch $@

$(DEV_STAMP): $(RUNTIME_STAMP) requirements-dev.txt
	$(BIN)/python $(PIP_INSTALL) -r requirements-dev.txt
	@touch $@

$(PROD_VENV)/.installed: requirements.txt
	@test -x $(PROD_VENV)/bin/python || $(PYTHON) -m venv $(PROD_VENV)
	$(PROD_VENV)/bin/python $(PIP_INSTALL) -r requirements.txt
	@touch $@

run: export DJANGO_DEBUG = 1
run: venv-runtime
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	bin/run-dev

# The suite includes the browser tests (about a minute; skipped without /usr/bin/chromium);
# test-browser runs them alone.
test: venv
	$(BIN)/pytest -p no:cacheprovider $(PYTEST_ARGS)

# The inner loop: no seeder, no big imports, no subprocess, worker or browser tests.
test-fast: venv
	$(BIN)/pytest -p no:cacheprovider -m "not slow and not worker and not browser" $(PYTEST_ARGS)

test-browser: venv
	$(BIN)/pytest -p no:cacheprovider -m browser tests/browser $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrations-check: venv
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

bench: venv
	@shopt -s nullglob; files=(bench/bench_*.py); \
	if [ $${#files[@]} -eq 0 ]; then echo "No benchmarks in bench/ yet."; fi; \
	for f in "$${files[@]}"; do echo "== $$f"; DJANGO_DEBUG=1 $(BIN)/python "$$f" || exit 1; done

# A 10,000-row ambassadors XLSX through the
# import resource (preview + confirm) against openpyxl read + bulk_create, in one run.
.PHONY: bench-import
bench-import: venv
	DJANGO_DEBUG=1 $(BIN)/python bench/bench_import.py

# Report (100,000 new users) and leaderboard (1,000,000 votes) against hand-written SQL, on PostgreSQL.
bench-reports: venv
	$(BIN)/python bench/bench_reports.py

# The vote endpoint under load: gunicorn on a throw-away PostgreSQL 15, wrk on
# 127.0.0.1 (installed from Debian if missing), against a bare DRF view and a one-row
# insert, in one run; checks no vote over a limit and none lost. About two minutes.
.PHONY: bench-votes
bench-votes: venv
	$(BIN)/python bench/bench_votes.py

# The public reads under load (API entries, entry, leaderboard, campaign, /s/{code}, the
# site's campaign and entry pages), each from many new visitors: gunicorn on a throw-away
# PostgreSQL 15 with a throw-away Redis as cache, wrk on 127.0.0.1 (Debian's wrk and
# redis-server, installed with apt-get if missing), against a bare DRF view in one run;
# then checks every visitor's visit stored once. About three minutes.
.PHONY: bench-reads
bench-reads: venv
	$(BIN)/python bench/bench_reads.py

# The embedded stack of `make run` (SQLite, filesystem broker, runserver + worker + beat) on
# a throw-away VAR_DIR under ordinary use for SOAK_MINUTES (votes through the API, reports
# and roster imports through the admin), then: nothing lost, nothing crashed.
SOAK_MINUTES ?= 20
.PHONY: soak
soak: venv
	$(BIN)/python bench/soak_embedded.py --minutes $(SOAK_MINUTES)
