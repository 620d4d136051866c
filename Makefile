# The two commands: `make demo` and `make test`. Both make .venv themselves.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgres lint check install clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11+ needed (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@# axe-core (npm) for the browser tests' accessibility checks (WCAG 2 AA)
	@if command -v npm >/dev/null; then \
		npm install --silent --no-audit --no-fund --prefix $(VENV)/node axe-core@4.14 >/dev/null \
		|| echo "warning: npm could not install axe-core; accessibility checks will skip"; \
	else echo "warning: no npm; accessibility checks will skip"; fi
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/klantstuur demo $(if $(PORT),--port $(PORT),)

# The whole suite on SQLite, and once more on PostgreSQL when DATABASE_URL is set.
test: $(STAMP)
	env -u DATABASE_URL $(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	@if [ -n "$$DATABASE_URL" ]; then \
		echo "== again on PostgreSQL =="; \
		$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS); \
	else echo "(DATABASE_URL not set: PostgreSQL run skipped)"; fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy klantstuur
	$(BIN)/lint-imports
	env -u DATABASE_URL $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) .klantstuur .pytest_cache .mypy_cache .ruff_cache
