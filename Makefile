# KubeServe: `make run` starts the product with embedded defaults; `make test` runs everything.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
VENV := .venv
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test bench load lint uv clean

uv:  # uv installs the locked dependencies in seconds; pip brings it when missing
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv

$(VENV)/.installed-run: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --compile-bytecode --python 3.11
	@touch $@

$(VENV)/.installed-test: pyproject.toml uv.lock | uv
	$(UV) sync --frozen --compile-bytecode --python 3.11 --extra test
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(VENV)/bin/kubeserve server

test: lint
	$(VENV)/bin/pytest

bench: $(VENV)/.installed-test
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/gateway.py
	$(VENV)/bin/python bench/observability.py

load: $(VENV)/.installed-test  # Locust ramp against a fresh control plane: autoscaling up and down
	$(VENV)/bin/python bench/loadtest/run.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

clean:
	rm -rf $(VENV) .kubeserve .pytest_cache
