# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: serve test lint typecheck pytest bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: $(STAMP)  ## serve the shipped Alken data at http://$(HOST):$(PORT)
	$(BIN)/wabp serve --host $(HOST) --port $(PORT)

test: lint typecheck pytest  ## ruff, mypy and pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest -q

bench: $(STAMP)  ## benchmarks; read ../shared/data when present
	$(BIN)/python bench/lookup.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
