# One task runner for the whole lifecycle: install, build, serve, test, bench.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
DB := db/quotekb.db
HOST ?= 127.0.0.1
PORT ?= 8001

.PHONY: install install-dev build serve test lint bench bench-scale eval lock schema clean

# Two locks: requirements.lock (runtime: what build and serve need) and
# requirements-dev.lock (tests, benchmarks, lint on top of it). Serving installs the
# runtime one only: fewer packages on a fresh machine, and none of the test extras
# (frictionless pulls typer and rich, with which Datasette renders every error slowly).
install: $(STAMP)
install-dev: $(DEV_STAMP)

# The venv is rebuilt only when a lock file or the project metadata changes.
$(STAMP): requirements.lock pyproject.toml
	# create the virtual environment with the interpreter found on PATH
	$(PYTHON) -m venv $(VENV)
	# exact pinned versions from the lock file, then the package itself without resolving again
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.lock
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $(DEV_STAMP)

build: install
	# build db/quotekb.db from corpus/ (atomic: a failed build keeps the old file)
	$(BIN)/quotekb build

serve: install
	# rebuilds when the database's build hashes differ from the corpus and code, then serves read-only
	$(BIN)/quotekb serve --host $(HOST) --port $(PORT)

test: install-dev
	# the whole suite against the real Sudachi dictionary, real SQLite files and Datasette
	$(BIN)/pytest -q

lint: install-dev
	# ruff: pyflakes, pycodestyle, import order, bugbear and pyupgrade rules (pyproject.toml)
	$(BIN)/ruff check quotekb tests scripts

bench: install-dev
	# benchmarks print a table and write it into README.md
	$(BIN)/python scripts/bench.py

bench-scale: install-dev
	# 1,000 and 10,000 synthetic articles into SQLite and PostgreSQL (a throwaway cluster
	# unless QUOTEKB_BENCH_POSTGRES_URL is set); py-spy on PATH adds a profile
	$(BIN)/python scripts/bench.py --scale

eval: install-dev
	# precision and recall of every knowledge layer against the hand gold in tests/gold/
	$(BIN)/python scripts/evaluate.py
	# the same with the adjudications of tests/gold/README.md applied (tests/gold/adjudications.jsonl)
	$(BIN)/python scripts/evaluate.py --adjudicated
	# quote precision/recall and speaker accuracy on the news gold (tests/fixtures/real/news), into README.md
	$(BIN)/python scripts/evaluate_quotes.py --readme

schema: install
	# regenerate db/schema.sql from the SQLAlchemy models
	$(BIN)/quotekb schema > db/schema.sql

lock:
	# refresh pins: resolve from pyproject in a scratch venv, runtime first, then the
	# extras; the dev lock holds what the extras add, on top of the runtime lock
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -e .
	{ echo '# Runtime pins (build, serve, export): make install installs exactly these. Refresh with make lock.'; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock
	.lock-venv/bin/pip install --quiet -e '.[test,dev]'
	{ echo '# Test and development pins on top of the runtime ones: make test installs these. Refresh with make lock.'; \
	  echo '-r requirements.lock'; \
	  .lock-venv/bin/pip freeze --exclude-editable | grep -v '^-e' | grep -vxFf requirements.lock; } > requirements-dev.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) db/*.db
