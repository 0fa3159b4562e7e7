# ingest-plugin: `make demo` and `make test` work on a fresh clone; everything is installed into .venv.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: install test demo lint bench soak fuzz clean interop

install: $(VENV)/.installed-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per extra: re-installs only when setup.cfg or pyproject.toml change.
$(VENV)/.installed-%: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[$*]'
	touch $@

# ruff and mypy (setup.cfg's [mypy]) first, then the built wheel in a clean virtualenv, then the tests, then Superdesk's
# own parser on our renderings (`make interop`).
test: $(VENV)/.installed-test
	$(BIN)/ruff check ingest_plugin tests
	$(BIN)/mypy --config-file setup.cfg
	bash tests/wheel_check.sh $(BIN)/python
	$(BIN)/python -m pytest
	$(MAKE) interop

demo: $(VENV)/.installed-demo
	$(BIN)/python -m ingest_plugin.testing.demo

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench.run

# 1,000+ articles through every trigger with 30% S3 faults, an outage and webhook attacks (soak/README.md).
soak: $(VENV)/.installed-test
	$(BIN)/python soak/run.py

# The property-based fuzz tests, long and randomized (CI runs a short derandomized pass inside `make test`), then
# the timing fuzzers: every regular expression of the package, and the whole parse on growing inputs, each held to
# linear growth (both always run: reports, exit status 1 when a bound is broken). See docs/hardening.md.
FUZZ_EXAMPLES ?= 20000
fuzz: $(VENV)/.installed-test
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q tests/test_fuzz.py
	$(BIN)/python -m bench.fuzz_patterns; status=$$?; $(BIN)/python -m bench.fuzz_timing && exit $$status

# ruff and mypy come with the test extra.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check ingest_plugin tests
	$(BIN)/mypy --config-file setup.cfg

# Superdesk's own NINJSFeedParser (superdesk-core 2.5.3, unmodified) reads the `superdesk` rendering of every fixture
# (tests/interop/README.md). Its own virtualenv, built once from a lock file with exact versions (a cold install took
# 115 s on the 2-core machine, so `make test` runs it too); rebuilt when the lock file changes.
INTEROP := .venv-interop
$(INTEROP)/.installed: tests/interop/requirements.lock tests/interop/build-constraints.txt
	rm -rf $(INTEROP)
	$(PYTHON) -m venv $(INTEROP)
	$(INTEROP)/bin/python -m pip install --quiet pip==24.0
	$(INTEROP)/bin/python -m pip install --quiet --no-deps superdesk-core==2.5.3
	PIP_CONSTRAINT=$(CURDIR)/tests/interop/build-constraints.txt \
		$(INTEROP)/bin/python -m pip install --quiet --no-deps -r tests/interop/requirements.lock
	touch $@

interop: $(VENV)/.installed-test $(INTEROP)/.installed
	rm -rf .interop
	$(BIN)/python -m tests.interop.make_renderings .interop
	$(INTEROP)/bin/python tests/interop/check_superdesk.py .interop

clean:
	rm -rf $(VENV) $(INTEROP) .interop .demo-s3 .s3data .ingest-spool .pytest_cache build *.egg-info
