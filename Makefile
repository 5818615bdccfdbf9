# Two commands: `make run` (the portal, its Celery worker and beat) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/prm_portal
PORT ?= 8000

.PHONY: messages run test install check-services check-chromium lint bench-claims bench-inbox bench-dashboard bench-expiry bench-sharing clean

$(STAMP): pyproject.toml bin/deps.py
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PYTHON) bin/deps.py dev > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	@bin/run-portal $(PORT)

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

# Refresh the Czech, Spanish and Polish catalogs after changing strings, then translate and compile them.
messages: $(STAMP)
	$(PY) manage.py makemessages -l cs -l es -l pl --ignore=.venv --ignore=tests --ignore=staticfiles --ignore=var --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv

lint: $(STAMP)
	$(VENV)/bin/ruff check .

clean:
	rm -rf $(VENV) var staticfiles
