# OpenTTO — the two commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/opentto
# pytest-xdist processes for the suite (2: the machines have 2 cores; 0 runs it in one process)
TEST_JOBS ?= 2

.PHONY: demo test test-fast install lint test-sqlite test-postgres serve clean

$(BIN)/opentto: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $@

install: $(BIN)/opentto

## make demo: install, migrate the SQLite database, load the bilingual demo, serve on $(PORT);
## the address, the users and the password are the last lines it prints.
demo: install
	$(BIN)/opentto migrate --noinput
	$(BIN)/opentto load_demo
	$(BIN)/opentto serve_demo 127.0.0.1:$(PORT) --noreload

serve: install
	$(BIN)/opentto runserver 127.0.0.1:$(PORT) --noreload

## make test: lint, checks, the whole suite on SQLite, then on PostgreSQL.
test: install lint test-sqlite test-postgres

## make test-fast: while working. SQLite, no browser tests and none marked slow (tests/conftest.py
## lists them), test databases kept between runs in var/test-fast.sqlite3_gw* (pytest --reuse-db:
## after a new migration, `make test-fast PYTEST_ARGS=--create-db`). No lint; `make test` runs all.
test-fast: install
	@mkdir -p var
	env -u DATABASE_URL OPENTTO_TEST_DB_FILE="$(CURDIR)/var/test-fast.sqlite3" \
	  $(BIN)/pytest -p no:cacheprovider --reuse-db -n $(TEST_JOBS) -m "not browser and not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check opentto tests bench
	$(BIN)/ruff format --check opentto tests bench
	$(BIN)/djlint opentto/templates opentto/*/templates --lint
	$(BIN)/mypy opentto
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=opentto.settings.test $(BIN)/opentto check --fail-level WARNING
	DJANGO_SETTINGS_MODULE=opentto.settings.test $(BIN)/opentto makemigrations --check --dry-run

test-sqlite: install
	@bash scripts/ensure-chromium
	env -u DATABASE_URL $(BIN)/pytest -p no:cacheprovider -n $(TEST_JOBS)

test-postgres: install
	@if $(BIN)/python scripts/pg_ready.py "$(PG_TEST_URL)"; then \
	  DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -p no:cacheprovider -n $(TEST_JOBS) -m "not one_database"; \
	else \
	  echo "PostgreSQL at $(PG_TEST_URL) does not answer: the PostgreSQL run is SKIPPED (CI requires it)."; \
	  test -z "$$CI"; \
	fi

clean:
	rm -rf var/test-media var/test-index test-artifacts
