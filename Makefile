# Two commands: `make run` (the portal, its Celery worker and beat) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The lock: every package of the tree pinned with its hashes (`make lock` rewrites it from pyproject.toml).
LOCK_BASE := requirements/base.txt
LOCK_DEV := requirements/dev.txt
LOCK_VENV := var/lock-venv
PIP_TOOLS := pip-tools==7.6.2
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/prm_portal
PORT ?= 8000
# Where `make run` listens: only this machine unless you say otherwise (HOST=0.0.0.0 opens it to the network).
HOST ?= 127.0.0.1
# DEMO=0: a blank install (no demo data, PRM off, the first screen creates the first vendor admin).
DEMO ?= 1

.PHONY: messages run test install lock check-services check-chromium lint cluster-check bench-claims bench-inbox \
	bench-dashboard bench-expiry bench-sharing bench-sla clean

$(STAMP): $(LOCK_DEV)
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r $(LOCK_DEV)
	@touch $(STAMP)

install: $(STAMP)

# Re-lock after editing the dependency lists in pyproject.toml: resolves the whole tree for Python 3.11 on Linux and
# writes requirements/base.txt (runtime) and requirements/dev.txt (runtime + test), each with hashes. Versions already
# locked stay unless pyproject asks otherwise; UPGRADE=1 moves every unpinned package to its newest release.
lock:
	@test -x $(LOCK_VENV)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_VENV) && \
	  $(LOCK_VENV)/bin/pip install --quiet $(PIP_TOOLS); }
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	  --strip-extras --no-emit-index-url --no-emit-find-links $(if $(filter 1,$(UPGRADE)),--upgrade) \
	  --output-file $(LOCK_BASE) pyproject.toml
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	  --strip-extras --no-emit-index-url --no-emit-find-links --extra dev --constraint $(LOCK_BASE) \
	  --output-file $(LOCK_DEV) pyproject.toml

run: $(STAMP)
	@HOST="$(HOST)" DEMO="$(DEMO)" bin/run-portal $(PORT)

check-chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests..."; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || { echo "Could not install chromium with apt-get."; exit 1; }; \
	  else \
	    echo "The browser tests need Debian's Chromium at /usr/bin/chromium: sudo apt-get install chromium"; exit 1; \
	  fi; \
	fi

check-services: $(STAMP)
	@DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" $(PY) bin/check-services.py

test: $(STAMP) check-chromium check-services
	DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" DJANGO_ALLOW_ASYNC_UNSAFE=true \
	  $(PY) -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# Two web servers, two workers and two beats on one PostgreSQL database and one Redis db: no claim, expiry or email
# happens twice. Not part of `make test`; prints its figures on its last line.
CLUSTER_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/prm_cluster
CLUSTER_REDIS_URL ?= redis://127.0.0.1:6379/7
cluster-check: $(STAMP) check-services
	CLUSTER_DATABASE_URL="$(CLUSTER_DATABASE_URL)" CLUSTER_REDIS_URL="$(CLUSTER_REDIS_URL)" \
	  $(PY) tests/cluster/cluster_check.py

# Benchmarks: not part of `make test`. Each prints its figures on its last line.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/prm_bench
bench-claims: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_claims.py
bench-inbox: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_inbox.py
bench-dashboard: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_dashboard.py
bench-expiry: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_expiry.py
bench-sharing: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_sharing.py
bench-sla: $(STAMP) check-services
	DATABASE_URL="$(BENCH_DATABASE_URL)" $(PY) tests/bench/bench_sla.py

# Refresh the Czech, Spanish and Polish catalogs after changing strings, then translate and compile them.
messages: $(STAMP)
	$(PY) manage.py makemessages -l cs -l es -l pl --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles
