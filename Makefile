# Two commands for a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The test suite runs against the real services; override for another machine.
TEST_ENV := DATABASE_URL=$${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/portal} \
	REDIS_URL=$${TEST_REDIS_URL:-redis://127.0.0.1:6379/14} \
	CELERY_BROKER_URL=$${TEST_BROKER_URL:-redis://127.0.0.1:6379/15} \
	INGEST_BROKER_URL=$${TEST_INGEST_BROKER_URL:-amqp://guest:guest@127.0.0.1:5672//}

.PHONY: run test suite lint bench clean

$(VENV)/.runtime: pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11 or newer is needed")'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $@

# Mail sent outside a request (the demo invitation, workers) links where `make run` serves.
RUN_ENV := DJANGO_DEBUG=true PORTAL_BASE_URL=$${PORTAL_BASE_URL:-http://$(HOST):$(PORT)}

# Beside the server, the demo's Traveling technicians drive toward their sites, posting to
# it (simulate_technicians); the shell stops them when the server stops, however it stops.
SIMULATE_URL := http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

run: $(VENV)/.runtime
	mkdir -p var
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py simulate_technicians --base-url $(SIMULATE_URL) & \
	simulator=$$!; trap 'kill $$simulator 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# First what the suite needs (bin/prereqs.py starts PostgreSQL and Redis when they are
# installed but down, finds a Chromium, or stops at once saying what to install), then the
# slow steps, with that Chromium for the browser tests.
test:
	@chromium="$$($(TEST_ENV) $(PYTHON) bin/prereqs.py)" && \
		$(MAKE) --no-print-directory suite E2E_CHROMIUM="$$chromium"

suite: $(VENV)/.test
	$(TEST_ENV) $(PY) manage.py check
	DATABASE_URL=sqlite:///:memory: $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TEST_ENV) $(PY) -m pytest $(PYTEST_ARGS)

# Load and race measurements under production settings; see bench/README.md.
bench: $(VENV)/.runtime
	mkdir -p var
	$(PY) -m bench.run $(BENCH_ARGS)

lint: $(VENV)/.test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) var/*.sqlite3 .pytest_cache
