# One task runner for the whole lifecycle: install, build, serve, test, bench.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB := db/quotekb.db
HOST ?= 127.0.0.1
PORT ?= 8001

.PHONY: install build serve test lint bench bench-scale lock schema clean

install: $(STAMP)

# The venv is rebuilt only when the lock file or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	# create the virtual environment with the interpreter found on PATH
	$(PYTHON) -m venv $(VENV)
	# exact pinned versions from the lock file, then the package itself without resolving again
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

build: install
	# build db/quotekb.db from corpus/ (atomic: a failed build keeps the old file)
	$(BIN)/quotekb build

serve: install
	# rebuilds when the database is missing or older than the corpus, then serves read-only
	$(BIN)/quotekb serve --host $(HOST) --port $(PORT)

test: install
	# the whole suite against the real Sudachi dictionary, real SQLite files and Datasette
	$(BIN)/pytest -q

lint: install
	# ruff: pyflakes, pycodestyle, import order, bugbear and pyupgrade rules (pyproject.toml)
	$(BIN)/ruff check quotekb tests scripts

bench: install
	# benchmarks print a table and write it into README.md
	$(BIN)/python scripts/bench.py

bench-scale: install
	# 1,000 and 10,000 synthetic articles into SQLite and PostgreSQL (a throwaway cluster
	# unless QUOTEKB_BENCH_POSTGRES_URL is set); py-spy on PATH adds a profile
	$(BIN)/python scripts/bench.py --scale

schema: install
	# regenerate db/schema.sql from the SQLAlchemy models
	$(BIN)/quotekb schema > db/schema.sql

lock:
	# refresh pins: resolve from pyproject in a scratch venv, freeze everything but ourselves
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e '.[test,dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) db/*.db
