# The two commands: `make run` starts the platform, `make test` runs every test. Both call `make setup`.
# Any supported Python (3.11-3.13) found on PATH, the oldest first since the lock is tested on it; PYTHON=... overrides.
SUPPORTED_PYTHONS := python3.11 python3.12 python3.13 python3
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,$(SUPPORTED_PYTHONS),$(shell command -v $(p) >/dev/null 2>&1 && \
  $(p) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null && echo $(p))))
endif
VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.installed
# The packages Lambda handlers may import (requirements-sandbox.in): one folder per distribution, read-only in the sandbox.
SANDBOX_LOCK := requirements-sandbox.lock
WHEELHOUSE := var/sandbox-packages
WHEELHOUSE_STAMP := $(WHEELHOUSE)/manifest.json
HOST ?= 127.0.0.1
PORT ?= 8000
# requirements.lock pins every package (with hashes) that the suite passed with; pyproject.toml keeps the ranges.
LOCK := requirements.lock
UV_LOCK := requirements-uv.lock
LOCK_INPUTS := pyproject.toml requirements-uv.in
# A universal lock: one file for every platform and for every Python that pyproject.toml allows.
COMPILE_FLAGS := --universal --python-version 3.11 --generate-hashes --quiet
LOCK_FLAGS := --extra dev $(COMPILE_FLAGS)
SYNC := $(UV) pip sync --quiet --python $(PY) --require-hashes
INSTALL_PROJECT := $(UV) pip install --quiet --python $(PY) --no-deps -e .

.PHONY: setup run dev test lint bench mutate lock upgrade clean

$(STAMP): pyproject.toml $(LOCK) $(UV_LOCK)
	@test -n "$(PYTHON)" || { echo "make: Python 3.11, 3.12 or 3.13 is required (none found on PATH; set PYTHON=...)"; exit 1; }
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(UV_LOCK)
	$(SYNC) $(LOCK)
	$(INSTALL_PROJECT)
	@touch $(STAMP)

$(WHEELHOUSE_STAMP): $(SANDBOX_LOCK) $(STAMP) tools/wheelhouse.py
	$(PY) -m tools.wheelhouse build $(SANDBOX_LOCK) $(WHEELHOUSE)

## setup: create .venv and install exactly requirements.lock, and the sandbox's wheelhouse (idempotent; reinstalls only when a lock changed)
setup: $(STAMP) $(WHEELHOUSE_STAMP)

# Content and demo accounts, before either server starts ($(1) is the settings module).
define prepare
	DJANGO_SETTINGS_MODULE=$(1) $(PY) manage.py migrate --noinput --verbosity 0
	DJANGO_SETTINGS_MODULE=$(1) $(PY) manage.py import_course
	DJANGO_SETTINGS_MODULE=$(1) $(PY) manage.py import_labs
	DJANGO_SETTINGS_MODULE=$(1) $(PY) manage.py seed_demo
endef

## run: serve a class: migrate, import, demo users, collectstatic, then gunicorn (DEBUG off) + a Celery worker
## on HOST:PORT (HOST=0.0.0.0 for students on the same network)
run: setup
	$(call prepare,config.settings.classroom)
	DJANGO_SETTINGS_MODULE=config.settings.classroom $(PY) manage.py collectstatic --noinput --verbosity 0
	DJANGO_SETTINGS_MODULE=config.settings.classroom $(PY) -m config.launch --mode serve --host $(HOST) --port $(PORT)

## dev: for development: the same, with DEBUG on and Django's auto-reloading server
dev: setup
	$(call prepare,config.settings.local)
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) -m config.launch --mode dev --host $(HOST) --port $(PORT)

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

## mutate: grade mutants of every lab's solution and print the table of killed/survived (takes minutes)
mutate: setup
	$(PY) bench/bench_mutation.py

## lock: re-resolve the locks after editing pyproject.toml, keeping every pin that still fits
lock: setup
	$(UV) pip compile $(LOCK_INPUTS) $(LOCK_FLAGS) --custom-compile-command "make lock" -o $(LOCK)
	$(UV) pip compile requirements-uv.in $(COMPILE_FLAGS) --custom-compile-command "make lock" -o $(UV_LOCK)
	$(UV) pip compile requirements-sandbox.in -c $(LOCK) $(COMPILE_FLAGS) --custom-compile-command "make lock" -o $(SANDBOX_LOCK)
	$(MAKE) setup

## upgrade: newest versions pyproject.toml allows, judged by the whole suite; the lock changes only if it passes
upgrade: setup
	$(UV) pip compile $(LOCK_INPUTS) $(LOCK_FLAGS) --upgrade --custom-compile-command "make lock" -o $(LOCK).new
	$(PY) -m tools.lockfile diff $(LOCK) $(LOCK).new
	$(SYNC) $(LOCK).new && $(INSTALL_PROJECT)
	@if LOCK_FILE=$(LOCK).new $(PY) tests/run.py; then \
	  mv $(LOCK).new $(LOCK) && touch $(STAMP) && \
	  echo "make upgrade: the suite passed; $(LOCK) now pins the versions above. Commit it."; \
	else \
	  echo "make upgrade: the suite FAILED on the new versions; $(LOCK) is unchanged (candidate kept as $(LOCK).new)."; \
	  echo "make upgrade: reinstalling the locked versions."; \
	  $(SYNC) $(LOCK) && $(INSTALL_PROJECT); exit 1; \
	fi

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .ruff_cache $(LOCK).new
