# KubeServe: `make run` starts the product with embedded defaults; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test bench load lint uv clean dashboard api-client sandbox

uv:  # uv installs the locked dependencies in seconds; pip brings it when missing
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

$(VENV)/.installed-run: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --compile-bytecode --python 3.11
	@touch $@

$(VENV)/.installed-test: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --compile-bytecode --python 3.11 --extra test
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run dashboard sandbox
	$(VENV)/bin/kubeserve server

sandbox:  # bubblewrap sandboxes user code (Linux); without it the server runs single-user
	@if [ "$$(uname -s)" != Linux ] || command -v bwrap >/dev/null 2>&1; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends bubblewrap \
	  || echo "could not install bubblewrap: KubeServe will run as a single-user install"; \
	else \
	  echo "bubblewrap is not installed (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install bubblewrap):"; \
	  echo "without it KubeServe runs user code unsandboxed and accepts a single user"; \
	fi

# Two pytest-xdist workers: the suite mostly waits on child processes, so two workers keep two
# cores busy. Each worker has its own PostgreSQL, S3 server and warm pool; a module stays on
# one worker (--dist loadscope: module fixtures are not started twice). TEST_WORKERS=0: serial.
TEST_WORKERS ?= 2
test: lint dashboard
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadscope

# The web dashboard (frontend/): built into frontend/out when npm is present, served at `/`.
FRONTEND_SRC := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	frontend/next.config.ts frontend/postcss.config.mjs frontend/tsconfig.json
dashboard:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory frontend/out/index.html; \
	else echo "npm not found: skipping the dashboard build (install Node.js 20+ and npm, then run make dashboard)"; fi

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund

frontend/out/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && NEXT_TELEMETRY_DISABLED=1 npx next build

# Regenerate the typed API client after changing the API (a test fails while it is stale).
api-client: $(VENV)/.installed-run frontend/node_modules/.package-lock.json
	$(VENV)/bin/python frontend/scripts/openapi.py > frontend/openapi.json
	cd frontend && npm run --silent gen:api

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/gateway.py
	$(VENV)/bin/python bench/sandbox.py
	$(VENV)/bin/python bench/observability.py
	$(VENV)/bin/python bench/login_flood.py
	$(VENV)/bin/python bench/v2_binary.py

load: $(VENV)/.installed-test  # Locust ramp against a fresh control plane: autoscaling up and down
	$(VENV)/bin/python bench/loadtest/run.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) .kubeserve .pytest_cache frontend/out frontend/.next
