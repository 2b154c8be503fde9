# The two commands a new user needs are the first two targets:
#   make demo   run the main job: QuickBooks (the local sandbox, or a real company) into DuckDB with Meltano
#   make test   install everything (.venv, .venv-meltano and the Meltano plugins) and run every check and test
# and, for QuickBooks Desktop:
#   make demo-desktop   the same job on an emulated Desktop company (qbd-bridge and the Web Connector emulator)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt */pyproject.toml | cksum | cut -d' ' -f1)
PACKAGES := -e ./qbo-client -e ./qbo-sandbox -e ./qbd-client -e ./qbd-bridge -e ./qbd-sandbox -e ./tap-quickbooks -e ./target-quickbooks

# Meltano has a virtualenv of its own (its dependencies stay apart from singer-sdk's); `meltano
# install` puts each plugin into its own virtualenv under .meltano. The second stamp changes when
# meltano.yml or a plugin's dependencies do.
MELTANO_VENV ?= .venv-meltano
MELTANO := $(MELTANO_VENV)/bin/meltano
MELTANO_STAMP := $(MELTANO_VENV)/.installed-$(shell cat requirements-meltano.txt | cksum | cut -d' ' -f1)
PLUGIN_FILES := meltano.yml qbo-client/pyproject.toml qbd-client/pyproject.toml qbd-bridge/pyproject.toml tap-quickbooks/pyproject.toml target-quickbooks/pyproject.toml tools/target-duckdb-csv-fix/pyproject.toml
PLUGINS_STAMP := .meltano/.plugins-installed-$(shell cat $(PLUGIN_FILES) | cksum | cut -d' ' -f1)
export MELTANO_CLI_DISABLE_VERSION_CHECK := 1
# The tests run meltano from here (and fail, not skip, when it is missing).
export QBO_MELTANO_BIN := $(abspath $(MELTANO))
# PyAirbyte (the tests run tap-quickbooks-airbyte through it, as a local executable) has a virtualenv
# of its own: it pins SQLAlchemy, duckdb and python-dateutil below what .venv holds.
AIRBYTE_VENV ?= .venv-airbyte
AIRBYTE_STAMP := $(AIRBYTE_VENV)/.installed-$(shell cat requirements-airbyte.txt | cksum | cut -d' ' -f1)
export QBO_AIRBYTE_PYTHON := $(abspath $(AIRBYTE_VENV)/bin/python)

.PHONY: demo demo-desktop test install install-meltano lint typecheck pytest bench schemas docs clean

demo: $(STAMP) $(PLUGINS_STAMP)
	$(BIN)/python tools/demo.py

test: $(STAMP) $(PLUGINS_STAMP) $(AIRBYTE_STAMP) lint typecheck pytest

demo-desktop: $(STAMP) $(PLUGINS_STAMP)
	$(BIN)/python tools/demo_desktop.py

install: $(STAMP) $(PLUGINS_STAMP) $(AIRBYTE_STAMP)

install-meltano: $(PLUGINS_STAMP)

$(STAMP): requirements-dev.txt */pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PACKAGES) -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

$(MELTANO_STAMP): requirements-meltano.txt
	test -x $(MELTANO_VENV)/bin/python || $(PYTHON) -m venv $(MELTANO_VENV)
	$(MELTANO_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(MELTANO_VENV)/bin/python -m pip install --quiet -r requirements-meltano.txt
	rm -f $(MELTANO_VENV)/.installed-*
	touch $@

$(AIRBYTE_STAMP): requirements-airbyte.txt
	test -x $(AIRBYTE_VENV)/bin/python || $(PYTHON) -m venv $(AIRBYTE_VENV)
	$(AIRBYTE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AIRBYTE_VENV)/bin/python -m pip install --quiet -r requirements-airbyte.txt
	rm -f $(AIRBYTE_VENV)/.installed-*
	touch $@

$(PLUGINS_STAMP): $(MELTANO_STAMP) $(PLUGIN_FILES)
	$(MELTANO) install
	rm -f .meltano/.plugins-installed-*
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy qbo-client/src qbo-sandbox/src qbd-client/src qbd-bridge/src qbd-sandbox/src tap-quickbooks/src target-quickbooks/src tools/dagster_quickbooks

pytest: $(STAMP) $(PLUGINS_STAMP) $(AIRBYTE_STAMP)
	$(BIN)/python -m pytest -n 2 --durations=15 --hypothesis-seed=0

schemas: $(STAMP)
	$(BIN)/python tools/generate_schemas.py
	$(BIN)/python tools/generate_qbd_schemas.py

# The settings and object tables in the READMEs and the Meltano Hub files (tests/test_docs.py checks them).
docs: $(STAMP)
	$(BIN)/python tools/generate_docs.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

# .meltano/meltano.db keeps the state of prod runs: only the plugin virtualenvs go.
clean:
	rm -rf $(VENV) $(MELTANO_VENV) $(AIRBYTE_VENV) .meltano/extractors .meltano/loaders .meltano/.plugins-installed-* .pytest_cache .mypy_cache .ruff_cache
