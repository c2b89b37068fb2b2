# One-command set-up: `make build` builds the example site, `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install build test test-fast lint bench check clean browser

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt -e '.[examples,test]'
	touch $(STAMP)

install: $(STAMP)

browser: node_modules/axe-core/axe.min.js
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

# axe-core (pinned in package.json and package-lock.json) checks every page against WCAG 2 A/AA
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq npm >/dev/null)
	npm ci --no-audit --no-fund --silent
	touch $@

build: install
	$(BIN)/tracekit build examples -o output

check: install
	$(BIN)/tracekit check examples -o output

lint: install
	$(BIN)/ruff check tracekit tests benchmarks
	$(BIN)/ruff format --check tracekit tests benchmarks
	$(BIN)/mypy

# Every test; a test skipped for a missing browser, torch or CPython test source fails instead.
test: install browser lint
	TRACEKIT_REQUIRE_ALL=1 $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider tests
	$(BIN)/tracekit check examples -o output

# The tests that need no browser, no torch run and no slow case: a quick check while editing.
test-fast: install
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider -m "not browser and not torch and not slow" tests

bench: install
	$(BIN)/pip install -q -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/build_bench.py
	$(BIN)/python benchmarks/build_bench.py --gallery
	$(BIN)/python benchmarks/page_height.py
	$(BIN)/python benchmarks/soak.py
	$(BIN)/python benchmarks/faults.py
	$(BIN)/python benchmarks/faults.py --into-examples --builds 25
	$(BIN)/python benchmarks/stdlib_instrument.py
	$(BIN)/python benchmarks/render_scale.py
	$(BIN)/python benchmarks/serve_latency.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts node_modules
