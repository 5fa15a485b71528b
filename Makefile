# The two commands: `make run` starts the platform, `make test` runs every test. Both call `make setup`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) is required (set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## setup: create .venv and install the project (idempotent; reinstalls only when pyproject.toml changed)
setup: $(STAMP)

## run: migrate, import the course, create demo users, start web server + Celery worker on :8000
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_course
	$(PY) manage.py import_labs
	$(PY) manage.py seed_demo
	$(PY) -m config.launch --host $(HOST) --port $(PORT)

## lint: ruff
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

## test: lint, then the whole suite (SQLite pass, then PostgreSQL pass for everything that touches the DB)
test: setup lint
	$(PY) tests/run.py

## bench: every benchmark in bench/
bench: setup
	$(PY) bench/run_all.py

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .ruff_cache
