# Two commands a newcomer needs: `make serve` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8085
PYTEST_ARGS ?=

.PHONY: serve test lint test-deep fuzz load bench clean
LOAD_ARGS ?=

$(VENV)/.serve-deps: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml $(VENV)/.serve-deps
	$(PY) -m pip install -q -e '.[test,load]'
	touch $@

serve: $(VENV)/.serve-deps
	$(VENV)/bin/ims-emulator serve --port $(PORT)

test: $(VENV)/.test-deps
	$(PY) -m ruff check emulator tests contract_tests load conftest.py
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(PY) -m ruff check emulator tests contract_tests load conftest.py

# locust headless against a fresh emulator (2 workers, strict auth): fails on any failed request
load: $(VENV)/.test-deps
	$(PY) -m load.run_load $(LOAD_ARGS)

# benchmarks with targets; writes load/results.md (about 3.5 minutes)
bench: $(VENV)/.test-deps
	$(PY) -m load.run_bench

clean:
	rm -rf $(VENV) .ims-emulator
