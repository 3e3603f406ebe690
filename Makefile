# Developer entry points; the logic lives in tools/*.sh (see README.md).
# Settings are read from the environment or the command line, e.g. `make test TEST_PATH=...`:
#   ODOO_PYTHON  interpreter that can `import odoo` (Odoo 18.0); default python3, else .venv,
#                else (outside CI) Odoo is installed into .venv from ODOO_SOURCE
#   ODOO_SOURCE  Odoo 18.0 source tree, archive or URL for that install (make bootstrap-check too)
#   DEMO_DB, HTTP_PORT                 make demo
#   TEST_PATH, PYTEST_ARGS, KEEP_DB, DEMO_CHECK, FRESH   make test
#   BENCH_ARGS                         make bench
#   LOAD_DB, LOAD_USERS, LOAD_TIME, LOAD_WAIT, LOAD_ARGS   make load-test
# The interpreter for lint: the one named, else the repository's .venv when it has Odoo.
LINT_PYTHON := $(or $(ODOO_PYTHON),$(if $(wildcard .venv/bin/python),.venv/bin/python,python3))

.PHONY: help demo test bench lint clean bootstrap-check wheel-check workers-check load-test

help:
	@echo "make demo   fresh database with demo data, served on http://localhost:$${HTTP_PORT:-8069} (admin/admin)"
	@echo "make test   install checks + the whole test suite on throwaway databases"
	@echo "make bench  run bench/retention_bench.py (BENCH_ARGS=...)"
	@echo "make lint   pre-commit on all files (ruff, pylint-odoo, prettier XML)"
	@echo "make clean  drop leftover test/template databases, logs and caches"
	@echo "make bootstrap-check  install Odoo from ODOO_SOURCE into a fresh venv, then the module"
	@echo "make wheel-check  build the wheel (whool), install it in a venv, install the module from it"
	@echo "make workers-check  prefork Odoo (2 workers, 2 cron threads) runs every job at once: no duplicate"
	@echo "make load-test  LOAD_DB=...: 20 Locust users on a prefork Odoo while every job runs (LOAD_TIME=180)"

demo:
	@bash tools/demo.sh

test:
	@bash tools/test.sh

bench:
	@bash tools/bench.sh

lint:
	@$(LINT_PYTHON) -m pre_commit --version >/dev/null 2>&1 || { \
	  echo "pre-commit is not installed: $(LINT_PYTHON) -m pip install -r requirements-test.txt"; exit 1; }
	$(LINT_PYTHON) -m pre_commit run --all-files --show-diff-on-failure

clean:
	@bash tools/clean.sh

bootstrap-check:
	@bash tools/bootstrap_check.sh

wheel-check:
	@bash tools/wheel_check.sh

workers-check:
	@bash tools/workers_check.sh

load-test:
	@bash tools/load_test.sh
