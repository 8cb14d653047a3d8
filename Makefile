# itpm: two commands a fresh machine needs.
#   make run   installs everything, loads the demo portfolio and serves http://127.0.0.1:8000
#   make test  runs the whole suite on SQLite and on PostgreSQL (plus lint and type checks)
SHELL := /bin/bash
# uv is looked up when a recipe runs (deps may have just installed it with pip).
export PATH := $(HOME)/.local/bin:$(PATH)
UV ?= uv
PG_URL ?= postgres://postgres@127.0.0.1:5432/itpm
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup deps assets pdf browser services lint test-sqlite test-postgres bench proof clean

run: setup
	$(UV) run itpm demo
	$(UV) run itpm serve --host $(HOST) --port $(PORT)

setup: deps assets pdf

# uv comes from PyPI; the lock file pins every Python package.
deps:
	@command -v $(UV) >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen

# Browser assets come from npm packages (package-lock.json), served from node_modules.
assets:
	@if [ ! -d node_modules/htmx.org ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then npm ci --no-audit --no-fund; fi

# PDF status reports (WeasyPrint) need Debian's Pango libraries.
pdf:
	@python3 -c "import ctypes.util as u, sys; sys.exit(0 if u.find_library('pango-1.0') and u.find_library('pangoft2-1.0') else 1)" || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 >/dev/null)

# Browser tests drive Debian's chromium; never a downloaded browser.
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

services:
	@bash .ci/services.sh

lint: deps
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run lint-imports
	$(UV) run mypy itpm
	$(UV) run bandit -r itpm -q --severity-level high
	SEMGREP_ENABLE_VERSION_CHECK=0 $(UV) run semgrep scan --metrics=off --disable-version-check --quiet --error --config .semgrep/itpm.yml itpm

test: setup browser services lint test-sqlite test-postgres

# Two pytest workers (pytest-xdist; each worker has its own test database), one file per
# worker at a time. PYTEST_WORKERS=0 runs in one process.
PYTEST_WORKERS ?= 2
PYTEST = $(UV) run pytest -p no:cacheprovider -q -n $(PYTEST_WORKERS) --dist loadfile

test-sqlite:
	$(PYTEST)

test-postgres:
	DATABASE_URL=$(PG_URL) $(PYTEST)

bench: setup
	$(UV) run python bench/bench_cpm.py
	$(UV) run python bench/bench_montecarlo.py
	$(UV) run python bench/bench_leveling.py --quick

# Figures of issue 10 (docs/reliability.md): permissions, fuzzing, lost updates, idempotency,
# faults, load, scale-out, security. Slow (about an hour on 2 busy cores); every figure is
# printed even when an earlier one fails, and the target fails if any did.
proof: setup services
	@status=0; \
	DATABASE_URL=$(PG_URL) $(UV) run python bench/proof_matrix.py || status=1; \
	$(UV) run python bench/proof_fuzz.py || status=1; \
	$(UV) run python bench/proof_lost_updates.py --cycles 1000 --duplicates 1000 || status=1; \
	$(UV) run python bench/proof_faults.py --runs 100 || status=1; \
	$(UV) run python bench/proof_load.py --seed || status=1; \
	DATABASE_URL=$(PG_URL) $(UV) run pytest -p no:cacheprovider -q tests/reliability/test_scale_out.py || status=1; \
	if [ -f bench/proof_security.py ]; then $(UV) run python bench/proof_security.py || status=1; fi; \
	echo "load average $$(cut -d' ' -f1-3 /proc/loadavg) on $$(nproc) cores"; \
	exit $$status

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
