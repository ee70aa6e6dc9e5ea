# The two commands of the quick start: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.run-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.run-deps
	$(BIN)/feedhub run

# The Hexo site that tests/test_hexo.py builds the posts with, installed from its lock file.
HEXO := tests/hexo

$(HEXO)/node_modules: $(HEXO)/package-lock.json $(HEXO)/package.json
	npm ci --prefix $(HEXO) --no-audit --no-fund
	touch $@

test: $(VENV)/.test-deps $(HEXO)/node_modules
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) build src/*.egg-info $(HEXO)/node_modules

# The benchmark table of benchmarks/bench.py, against reader in the same run (see its --help).
bench: $(VENV)/.test-deps
	$(BIN)/python -m pip install -q reader sgmllib3k  # reader's vendored feedparser needs sgmllib
	$(BIN)/python benchmarks/bench.py
