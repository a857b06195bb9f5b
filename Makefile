# Two commands matter: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Phones on the venue Wi-Fi must reach the laptop, so listen on every interface by default.
HOST   ?= 0.0.0.0
PORT   ?= 8000
export HOST PORT

.PHONY: run test lint check-decks bundle bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/python -m app

lint: $(VENV)/.installed-test
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	$(BIN)/mypy app

check-decks: $(VENV)/.installed
	$(BIN)/python -m app.deck

test: lint
	$(BIN)/python -m app.deck
	$(BIN)/python -m pytest

# The table page's script and stylesheet bundles, committed in app/static/build/ so that
# `make run` needs only Python. Rebuild after changing the play page's JS or CSS (a test
# fails until you do). Only this needs Node and npm; esbuild is pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

bundle: node_modules/.installed $(VENV)/.installed
	$(BIN)/python -m app.assets

$(VENV)/.installed-bench: pyproject.toml $(VENV)/.installed-test
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $@

# A short run of every benchmark (by hand, never in `make test`); bench/README.md has the
# full-size commands. Servers are spawned on 127.0.0.1 with a throwaway SQLite database.
bench: $(VENV)/.installed-bench
	$(BIN)/python bench/compare.py --tables 10 --rate 50 --duration 10 --warmup 2 --quiet-wait 10 --busy-retries 0
	$(BIN)/python bench/compare.py --ramp --uvloop --tables 10 --start-rate 100 --factor 2 --step-duration 5 --warmup 1 --refine 1 --quiet-wait 10 --busy-retries 0
	$(BIN)/python bench/page_weight.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
