# ingest-plugin: `make demo` and `make test` work on a fresh clone; everything is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install test demo lint bench clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

test: install
	$(BIN)/python -m pytest

demo: install
	$(BIN)/python -m ingest_plugin.demo

lint: install
	$(BIN)/python -m pip install --quiet 'ruff>=0.6,<1'
	$(BIN)/ruff check ingest_plugin tests

clean:
	rm -rf $(VENV) .demo-s3 .ingest-spool .pytest_cache build *.egg-info
