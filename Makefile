# The two commands: `make run` (the service on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint typecheck train bench-classifier clean

$(VENV)/.runtime: requirements.txt scripts/bootstrap-venv.sh
	bash scripts/bootstrap-venv.sh "$(PYTHON)" "$(VENV)"
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

## run: set up .venv, migrate the database and run web + worker + beat + embedded Redis
run: $(VENV)/.runtime
	$(PY) -m moderation init-db
	$(PY) -m moderation dev --port $(PORT)

## test: lint and type-check, then the whole suite against SQLite and a PostgreSQL server it starts
test: $(VENV)/.dev
	bash scripts/ensure-test-services.sh
	$(PY) -m ruff check .
	$(PY) -m mypy
	MODERATION_TEST_POSTGRES=required $(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

typecheck: $(VENV)/.dev
	$(PY) -m mypy

## train: retrain the classifier from ../shared/data (writes models/ and the model card)
train: $(VENV)/.dev
	$(PY) -m moderation train --data ../shared/data

bench-classifier: $(VENV)/.dev
	$(PY) benchmarks/classifier.py

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
