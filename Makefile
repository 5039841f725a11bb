# The two commands: `make run` (the service on embedded defaults) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PYTEST_ARGS ?=
# test processes (pytest-xdist); whole files stay together so module fixtures run once
TEST_WORKERS ?= auto

.PHONY: run test lint typecheck train train-tier2 train-kannada bench-classifier clean

$(VENV)/.runtime: requirements.txt scripts/bootstrap-venv.sh
	bash scripts/bootstrap-venv.sh "$(PYTHON)" "$(VENV)"
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

$(VENV)/.tier2: $(VENV)/.runtime requirements-tier2.txt
	$(PY) -m pip install --disable-pip-version-check -q -r requirements-tier2.txt
	touch $@

# MODERATION_TIER2=latest make run also installs the optional second tier
TIER2_DEPS := $(if $(filter-out off 0 false no,$(MODERATION_TIER2)),$(VENV)/.tier2)

## run: set up .venv, migrate the database and run web + worker + beat + embedded Redis
run: $(VENV)/.runtime $(TIER2_DEPS)
	$(PY) -m moderation init-db
	$(PY) -m moderation dev --port $(PORT)

## test: lint, type-check and check the import layers, then the whole suite against SQLite and a PostgreSQL server it starts
test: $(VENV)/.dev $(VENV)/.tier2
	bash scripts/ensure-test-services.sh
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(VENV)/bin/lint-imports
	MODERATION_TEST_POSTGRES=required MODERATION_TEST_TIER2=required MODERATION_TEST_BROWSER=required $(PY) -m pytest -n $(TEST_WORKERS) --maxprocesses 4 --dist loadfile $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(PY) -m ruff check .

typecheck: $(VENV)/.dev
	$(PY) -m mypy

## train: retrain the classifier from ../shared/data (writes models/ and the model card)
train: $(VENV)/.dev $(VENV)/.tier2
	$(PY) -m moderation train --data ../shared/data

## train-tier2: train the optional second tier on top of models/LATEST
train-tier2: $(VENV)/.dev $(VENV)/.tier2
	$(PY) -m moderation train-tier2 --data ../shared/data

## train-kannada: train the Kannada head (seconds; writes models/KN_LATEST and the card's Kannada section)
train-kannada: $(VENV)/.dev
	$(PY) -m moderation train-kannada --data ../shared/data

bench-classifier: $(VENV)/.dev
	$(PY) benchmarks/classifier.py

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
