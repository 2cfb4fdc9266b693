# window-watch: one command to start (make run), one command to test (make test).
# Each sets itself up on a fresh machine: virtual environment, install, migrate.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test drills bench bench-nlp bench-nlp-agreement bench-wechat bench-surge bench-desk bench-pdf lint lint-imports clean-instance lock lock-upgrade

# Every package, the build backend included, comes from requirements.lock, checked against its
# hashes; then the project itself, editable, with nothing more (no build isolation: setuptools is
# the locked one).
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

## Regenerate requirements.lock from pyproject.toml after changing a dependency: keeps every
## pin that still fits and resolves only what changed (lock-upgrade moves every pin to the
## newest version inside the bounds). pip-tools runs in its own venv, never in .venv.
LOCK_VENV := .venv-lock
PIP_COMPILE = $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev \
	--strip-extras --build-deps-for editable --no-emit-index-url --no-emit-find-links \
	-o requirements.lock
$(LOCK_VENV)/bin/pip-compile:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q 'pip-tools>=7.4,<8'

lock: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) pyproject.toml

lock-upgrade: $(LOCK_VENV)/bin/pip-compile
	$(PIP_COMPILE) --upgrade pyproject.toml

## Start the platform on SQLite with the demo district seeded (development mode): the web
## server (gunicorn) and the scheduler process (NLP analysis, WeChat outbox) side by side.
DEV_ENV := WW_ENV=$${WW_ENV:-development} WW_WECHAT_TOKEN=$${WW_WECHAT_TOKEN:-demo-token} \
	WW_PUBLIC_BASE_URL=$${WW_PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}
run: $(STAMP)
	$(DEV_ENV) $(BIN)/window-watch db upgrade
	$(DEV_ENV) $(BIN)/window-watch demo
	$(DEV_ENV) $(BIN)/window-watch nlp analyze-pending --all
	@echo "打开 http://$(HOST):$(PORT)/ ，用上面的演示账号登录；群众评价页：http://$(HOST):$(PORT)/f/CD-SW-001"
	$(DEV_ENV) sh -c '$(BIN)/window-watch scheduler & sched=$$!; \
	  trap "kill $$sched 2>/dev/null" EXIT INT TERM; \
	  $(BIN)/window-watch serve --host $(HOST) --port $(PORT)'

## Run the test suite (SQLite by default; PostgreSQL when DATABASE_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

## The fault drills (RELIABILITY.md, "Faults"): a gunicorn worker killed, SQLite's disk full,
## WeChat's API down then slow, the scheduler killed mid-job; on PostgreSQL (DATABASE_URL) with
## WW_TEST_PG_CLUSTER="<version> <name>" (a cluster of your own, never a shared one) also the
## server restarted during a surge. They are part of `make test` too.
drills: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/faults

## Benchmarks (speed and quality targets), printing ratios against baselines run alongside.
bench: bench-nlp bench-wechat bench-surge

bench-nlp: $(STAMP)
	$(BIN)/python benchmarks/nlp.py

## Two human labellings of blind5 against each other (what topic macro-F1 is reachable).
bench-nlp-agreement: $(STAMP)
	$(BIN)/python benchmarks/nlp_agreement.py

bench-wechat: $(STAMP)
	$(BIN)/python benchmarks/wechat.py

bench-surge: $(STAMP)
	$(BIN)/python benchmarks/surge.py

## The agency's desk at a million feedback rows (FEEDBACK=20000 for a quick run; DATABASE_URL
## selects PostgreSQL, a scratch database).
FEEDBACK ?= 1000000
bench-desk: $(STAMP)
	$(BIN)/python benchmarks/desk.py --feedback $(FEEDBACK)

## What printing 第 N 页 共 M 页 costs: each report PDF built twice, against one build of the
## same story in the same run (DATABASE_URL selects PostgreSQL, a scratch database).
bench-pdf: $(STAMP)
	$(BIN)/python benchmarks/pdf_pages.py

lint: $(STAMP)
	$(BIN)/ruff check .

## The package layers (contracts in pyproject.toml, [tool.importlinter]).
lint-imports: $(STAMP)
	$(BIN)/lint-imports
