# leadscore — the two commands are `make demo` and `make test`.
# Needs only python3 (3.11 or 3.12) and make: uv is bootstrapped into .tools/ with pip when missing.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
ifeq ($(shell command -v uv 2>/dev/null),)
UV := .tools/bin/uv
UV_DEP := .tools/bin/uv
else
UV := uv
UV_DEP :=
endif
VENV := .venv
BIN := $(VENV)/bin
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False
export AIRFLOW_HOME ?= $(CURDIR)/.leadscore/airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: setup demo test bench bench-full airflow docs clean help

help:
	@echo "make demo   – run the daily pipeline end to end on the embedded defaults and print a summary"
	@echo "make test   – the whole test suite"
	@echo "make bench  – benchmarks → bench/results/latest.json (bench-full: 1M contacts, hours)"
	@echo "make airflow – Airflow's scheduler, dag-processor and api-server on this home, UI on http://127.0.0.1:8080"
	@echo "make docs   – build GX Data Docs and dbt docs (open offline), print their paths, open them if a browser exists"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(BIN)/leadscore: pyproject.toml uv.lock $(UV_DEP)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

setup: $(BIN)/leadscore

demo: setup
	$(BIN)/leadscore demo

test: setup
	$(BIN)/python -m pytest tests

bench: setup
	$(BIN)/python bench/run.py --scale small

bench-full: setup
	$(BIN)/python bench/run.py --scale full

airflow: setup
	$(BIN)/leadscore airflow serve

docs: setup
	$(BIN)/python -m leadscore.docs

clean:
	rm -rf .leadscore .venv .tools bench/results/*.tmp
