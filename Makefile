# window-watch: one command to start (make run), one command to test (make test).
# Each sets itself up on a fresh machine: virtual environment, install, migrate.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench bench-nlp bench-wechat lint clean-instance

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## Start the platform on SQLite with the demo district seeded (development mode).
run: $(STAMP)
	WW_ENV=$${WW_ENV:-development} $(BIN)/window-watch db upgrade
	WW_ENV=$${WW_ENV:-development} $(BIN)/window-watch demo
	@echo "打开 http://$(HOST):$(PORT)/ ，用上面的演示账号登录。"
	WW_ENV=$${WW_ENV:-development} $(BIN)/window-watch serve --host $(HOST) --port $(PORT)

## Run the test suite (SQLite by default; PostgreSQL when DATABASE_URL is set).
test: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider

## Benchmarks (speed and quality targets), printing ratios against baselines run alongside.
bench: bench-nlp bench-wechat

bench-nlp: $(STAMP)
	$(BIN)/python benchmarks/nlp.py

bench-wechat: $(STAMP)
	$(BIN)/python benchmarks/wechat.py

lint: $(STAMP)
	$(BIN)/ruff check .
