# nucsec — two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: demo test check bench install lock clean browser messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Re-install whenever the project metadata or the pinned versions change.
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	@# compile the spectrum-fit kernel into numba's cache once, not in every process
	$(BIN)/python -c "from nucsec.forensics.spectra.fitting import warm_up; warm_up()"
	$(BIN)/python -c "from nucsec.forensics.library.match import warm_up; warm_up()"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/nucsec demo

check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test: $(STAMP) check
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# PostgreSQL rows need a server: the bench starts the throw-away one of .ci/postgres.sh
# unless NUCSEC_DATABASE_URL already names one (without either, those rows say so).
bench: $(STAMP)
	@# the web bench's load generator (Debian's wrk); without it those rows say "skipped"
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null 2>&1; } || true
	@if [ -z "$$NUCSEC_DATABASE_URL" ]; then eval "$$(.ci/postgres.sh 2>/dev/null)" || true; fi; \
	$(BIN)/python -m benchmarks $(BENCH)

# The interface's message catalogues: extract every marked string into messages.pot, then
# merge it into each language's messages.po (translate the new/fuzzy entries there).
LOCALE := src/nucsec/web/locale
messages: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --project nucsec --no-wrap --sort-by-file \
	  -o $(LOCALE)/messages.pot src/nucsec/web
	$(BIN)/pybabel -q update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages \
	  --no-wrap --ignore-obsolete

# Regenerate the pinned versions (constraints.txt) from a fresh resolution.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable | grep -v '^nucsec' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
