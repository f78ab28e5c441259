# `make run` starts the whole suite; `make test` runs every test. Both set themselves up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SCALE ?=
export PATH := $(abspath $(BIN)):$(PATH)
export PYTHONWARNINGS ?= ignore::DeprecationWarning

.PHONY: run test lint format migrate bench clean

$(BIN)/activate: requirements.txt constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	touch $(BIN)/activate

run: $(BIN)/activate
	@$(BIN)/python -m infra.preflight
	@$(BIN)/python -m infra.migrations
	@SCALE='$(SCALE)' $(BIN)/python -m infra.launcher

migrate: $(BIN)/activate
	$(BIN)/python -m infra.migrations

test: lint $(BIN)/activate
	$(BIN)/pytest

lint: $(BIN)/activate
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/activate
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(BIN)/activate
	@status=0; \
	$(BIN)/python bench/rpc_vs_gateway.py || status=$$?; \
	$(BIN)/python bench/import_contacts.py || status=$$?; \
	exit $$status

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
