# Two commands a newcomer needs: `make serve` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8085
PYTEST_ARGS ?=

.PHONY: serve test lint test-deep fuzz load load-distributed bench clean coverage
LOAD_ARGS ?=
FUZZ_CASES ?= 200

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
	$(PY) -m ruff check ims_emulator tests contract_tests load fuzz conftest.py
	$(PY) -m pytest -n 2 $(PYTEST_ARGS)

lint: $(VENV)/.test-deps
	$(PY) -m ruff check ims_emulator tests contract_tests load fuzz conftest.py

# the reliability checks with many more examples, kills and fuzz cases (IMS_EMULATOR_DEEP=1)
test-deep: $(VENV)/.test-deps
	IMS_EMULATOR_DEEP=1 $(PY) -m pytest -n 2 -p no:warnings tests/test_reliability_model.py \
	  tests/test_reliability_concurrency.py tests/test_reliability_crash.py tests/test_reliability_hostile.py \
	  tests/test_reliability_fuzz.py tests/test_plugin_parallel.py

# schemathesis against the live emulator's OpenAPI document, longer than the bounded run in make test
fuzz: $(VENV)/.test-deps
	IMS_EMULATOR_DEEP=1 IMS_EMULATOR_FUZZ_CASES=$(FUZZ_CASES) $(PY) -m pytest -s -p no:warnings tests/test_reliability_fuzz.py
	$(PY) -m fuzz.schemathesis_cli -n $(FUZZ_CASES)

# locust headless against a fresh emulator (2 workers, strict auth): fails on any failed request
load: $(VENV)/.test-deps
	$(PY) -m load.run_load $(LOAD_ARGS)

# the same with a locust master and two locust worker processes on loopback (30 s; fails on any failed request)
load-distributed: $(VENV)/.test-deps
	$(PY) -m load.run_load --distributed 2 --run-time 30s $(LOAD_ARGS)

# benchmarks with targets; writes load/results.md (about 6 minutes). The bench extra adds moto, the peer
# the poll benchmark compares with (kept out of `make test`'s environment: it is large and only needed here)
bench: $(VENV)/.test-deps
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) -m load.run_bench

# regenerate ims_emulator/coverage/operations.json from the installed SDKs, then COVERAGE.md from the app's routes
coverage: $(VENV)/.test-deps
	$(PY) -m ims_emulator.coverage.generate
	$(VENV)/bin/ims-emulator coverage --format markdown > COVERAGE.md

clean:
	rm -rf $(VENV) .ims-emulator
