# The two commands a new user needs are the first two targets:
#   make demo   run the main job (today: the sandbox with the sample company, queried over HTTP)
#   make test   install everything into .venv and run every check and test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements-dev.txt */pyproject.toml | cksum | cut -d' ' -f1)
PACKAGES := -e ./qbo-client -e ./qbo-sandbox -e ./tap-quickbooks -e ./target-quickbooks

.PHONY: demo test install lint typecheck pytest bench schemas clean

demo: $(STAMP)
	$(BIN)/python tools/demo.py

test: $(STAMP) lint typecheck pytest

install: $(STAMP)

$(STAMP): requirements-dev.txt qbo-client/pyproject.toml qbo-sandbox/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(PACKAGES) -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy qbo-client/src qbo-sandbox/src tap-quickbooks/src target-quickbooks/src

pytest: $(STAMP)
	$(BIN)/python -m pytest -n 2 --durations=15 --hypothesis-seed=0

schemas: $(STAMP)
	$(BIN)/python tools/generate_schemas.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
