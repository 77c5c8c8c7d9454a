# The commands README names. Everything runs through uv from the committed lock.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
export UV_PYTHON_DOWNLOADS := never
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1

.PHONY: setup browser demo test lint dev bench bench-curve run clean

# --compile-bytecode: Python files are compiled once at install, so every process the
# pipeline starts (dbt, the bounded workbook reader, the sample portal) starts without
# compiling its imports again (where PYTHONDONTWRITEBYTECODE is set, it would each time).
setup:  ## install uv (from the package registry) and the locked environment
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	@$(UV) sync --frozen --quiet --compile-bytecode

demo: setup  ## run the whole pipeline on the bundled sample sources, print the scorecard
	@$(UV) run --frozen --no-sync cchc demo

run: setup  ## run the pipeline once against the sources configured in the environment / .env
	$(UV) run --frozen --no-sync cchc run

browser:  ## headless Chromium and LibreOffice Calc (with Times New Roman's metric twin) from Debian's packages, for the page and print tests
	@{ command -v chromium && command -v soffice && fc-list | grep -q "Liberation Serif"; } >/dev/null 2>&1 || \
	  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium libreoffice-calc fonts-liberation2 >/dev/null; } \
	  || { echo "make browser: could not install chromium, libreoffice-calc and fonts-liberation2 (apt-get as root)"; exit 1; }

lint: setup  ## ruff (lint and format) on the Python, SQLFluff on the dbt SQL
	$(UV) run --frozen --no-sync ruff check .
	$(UV) run --frozen --no-sync ruff format --check .
	$(UV) run --frozen --no-sync sqlfluff lint dbt_project/models dbt_project/tests --processes 2

test: setup browser lint  ## lint, then the test suite (what CI runs)
	$(UV) run --frozen --no-sync pytest

dev: setup  ## the Dagster UI on the sample sources (sample portal on :8765, sample exports under data/sample_exports)
	@mkdir -p data/dagster_home && cp orchestration/dagster.yaml data/dagster_home/dagster.yaml
	$(UV) run --frozen --no-sync python -m sandbox.exports data/sample_exports
	@set -a && source sandbox/demo.env && set +a && \
	  ($(UV) run --frozen --no-sync cchc portal --port 8765 & echo $$! > data/portal.pid) && \
	  trap 'kill $$(cat data/portal.pid)' EXIT && \
	  DAGSTER_HOME=$$PWD/data/dagster_home $(UV) run --frozen --no-sync dagster dev -w workspace.yaml

bench: setup  ## benchmark: 50,000 and 1,000,000 dossiers end to end; 5 and 20 million school-collection rows; 500 forms
	$(UV) run --frozen --no-sync python -m bench.bench

bench-curve: setup  ## the growth curve (10 k to 3 M dossiers, 1 M to 50 M collection rows, full and daily runs; the daily run at 1 M dossiers + 20 M rows) -> docs/performance.md
	$(UV) run --frozen --no-sync python -m bench.bench --curve

clean:
	rm -rf data dbt_project/target dbt_project/logs .pytest_cache
