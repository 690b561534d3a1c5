# KCR Wiki. `make run` to try it, `make test` to test it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
WORKERS ?= 2
ARGS ?=

# Local development defaults; real deployments set these in the environment.
DEV_ENV := DJANGO_DEBUG=1
SECRET_FILE := var/secret_key

.PHONY: help install run serve test lint format bench soak check-python

help:
	@echo "make run     install, migrate, load the demo pages, serve on http://$(HOST):$(PORT)/"
	@echo "make test    install, then run the whole test suite (ARGS='-k vote' to pick tests)"
	@echo "make serve   gunicorn with DEBUG off ($(WORKERS) workers)"
	@echo "make serve-cached   make serve behind Varnish on http://$(HOST):$(CACHE_PORT)/, purged on every change"
	@echo "make lint    ruff check and format check"
	@echo "make bench   benchmarks, printing a table (PAGES=10000 for the large run)"
	@echo "make soak    10 minutes of load with Redis and PostgreSQL failing midway (SOAK_MINUTES=2 for short)"
	@echo "make audit   Lighthouse scores (accessibility, best practices, SEO), offline"

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "KCR Wiki needs Python 3.11 or newer (found %s). Set PYTHON=python3.11 or newer." % sys.version.split()[0])'

# WeasyPrint (the PDF copies of pages) needs Pango from the system.
PANGO_FIX := sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0
check-pango:
	@$(PYTHON) -c 'import ctypes.util, sys; missing = [name for name in ("pango-1.0", "pangoft2-1.0") if not ctypes.util.find_library(name)]; sys.exit("WeasyPrint needs the Pango library (missing: %s). Install it with: $(PANGO_FIX)" % ", ".join(missing) if missing else 0)'

run test serve serve-cached: check-pango

$(BIN)/python: | check-python
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)
	@$(DEV_ENV) $(BIN)/python manage.py collectstatic --noinput --verbosity 0

run: install
	$(DEV_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEV_ENV) $(BIN)/python manage.py loaddemo
	$(DEV_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

$(SECRET_FILE):
	@mkdir -p var
	@$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

# Production settings (DEBUG off) on plain HTTP at $(HOST):$(PORT). Behind a
# TLS proxy, set DJANGO_HTTPS=1 and a real DJANGO_SECRET_KEY instead.
# More than one app server: run `make serve` on each with the same
# DATABASE_URL (PostgreSQL), REDIS_URL (cache, sessions, view counts) and
# DJANGO_SECRET_KEY (var/secret_key is per machine), behind one proxy, and
# `manage.py flushviews` from cron on one of them. kcr/gunicorn.conf.py holds
# the rest: an access log without addresses, user agents or query strings.
serve: install $(SECRET_FILE)
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat $(SECRET_FILE))}" DJANGO_HTTPS="$${DJANGO_HTTPS:-0}" \
		$(BIN)/python manage.py migrate --noinput
	DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-$$(cat $(SECRET_FILE))}" DJANGO_HTTPS="$${DJANGO_HTTPS:-0}" \
		$(BIN)/gunicorn kcr.wsgi -c kcr/gunicorn.conf.py --workers $(WORKERS) --bind $(HOST):$(PORT)

# `make serve` behind Varnish (Debian's varnish, deploy/varnish/default.vcl)
# on $(HOST):$(CACHE_PORT): the site's address is the proxy's, and the app
# purges it on every change (KCR_PURGE_URLS), so it keeps anonymous pages for
# a day. varnishd runs as this user with its files in var/varnish/ and stops
# with the app (Ctrl-C).
CACHE_PORT ?= 6081
CACHE_URL := http://$(HOST):$(CACHE_PORT)
VARNISHD ?= $(shell command -v varnishd || echo /usr/sbin/varnishd)
.PHONY: serve-cached
serve-cached: install $(SECRET_FILE)
	@[ -x "$(VARNISHD)" ] || { echo "make serve-cached needs Varnish: sudo apt-get install varnish"; exit 1; }
	@mkdir -p var/varnish
	sed -e 's/\.host = "127.0.0.1";/.host = "$(HOST)";/' -e 's/\.port = "8000";/.port = "$(PORT)";/' \
		deploy/varnish/default.vcl > var/varnish/default.vcl
	$(VARNISHD) -F -j none -a $(HOST):$(CACHE_PORT) -f "$(CURDIR)/var/varnish/default.vcl" \
		-n "$(CURDIR)/var/varnish/work" -s malloc,256m -T none & varnish=$$!; \
	trap 'kill $$varnish 2>/dev/null' EXIT INT TERM; \
	KCR_PURGE_URLS="$${KCR_PURGE_URLS:-$(CACHE_URL)}" DJANGO_SITE_URL="$${DJANGO_SITE_URL:-$(CACHE_URL)}" \
		WIKI_TRUSTED_PROXIES="$${WIKI_TRUSTED_PROXIES:-1}" $(MAKE) --no-print-directory serve

test: install
	DJANGO_SECRET_KEY="test-only-not-secret" DJANGO_HTTPS=0 $(BIN)/python -m pytest $(ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

.PHONY: check-pango bench-pdf

# Time to make the PDF of a 10 KB page: cold, then from the cache.
bench-pdf: install check-pango
	DJANGO_SECRET_KEY="bench-only-not-secret" $(BIN)/python bench/pdf_bench.py

# Search latency on 10,000 generated pages (PAGES=... to change) in a separate
# bench database: <name>_bench beside DATABASE_URL's, or var/bench_search.sqlite3.
.PHONY: bench-search
bench-search: install
	DJANGO_SECRET_KEY="bench-only-not-secret" DJANGO_HTTPS=0 $(BIN)/python bench/search_bench.py

# importmediawiki on a generated 10,000-page dump with 10 revisions a page
# (PAGES=... to scale down), into a fresh temporary SQLite database: revisions
# a second and memory at 25/50/75/100%. Not part of make test.
.PHONY: bench-import
bench-import: install
	DJANGO_SECRET_KEY="bench-only-not-secret" DJANGO_HTTPS=0 $(BIN)/python bench/import_bench.py

# Hostile input (huge tables, quadratic markup) against `make serve`'s set-up
# (sync workers, then gthread), timing each request and an ordinary reader
# under load, on a temporary SQLite database.
.PHONY: bench-hostile
bench-hostile: install check-pango
	$(BIN)/python bench/hostile_bench.py

# The benchmark suite: imports a generated corpus (PAGES, default 1000) into a
# database of its own, serves it with gunicorn and prints the figures. Uses
# DATABASE_URL / REDIS_URL when set. Needs Debian's wrk.
.PHONY: bench
bench: install check-pango
	@command -v wrk >/dev/null || { echo "make bench needs wrk: sudo apt-get install wrk"; exit 1; }
	$(BIN)/python bench/run.py

# Resilience under load: its own PostgreSQL cluster and Redis server (temporary,
# on free ports), the benchmark corpus, gunicorn as `make serve` runs it, and
# SOAK_MINUTES (default 10) of readers and two moderators while Redis is killed
# and PostgreSQL restarted. Prints per-minute tables and PASS or FAIL. Runs as
# root (initdb runs as the postgres user).
soak: install check-pango
	$(BIN)/python bench/soak.py

# Lighthouse (accessibility, best practices, SEO) on a page, a redirect, search
# and a year index, offline, against the site as `make serve` runs it with the
# demo pages in its own SQLite file. Lighthouse 12 (13 needs Node 22) goes into
# var/audit/node_modules; reports into var/audit/. Needs node, npm, chromium.
LIGHTHOUSE_MAJOR := 12
LIGHTHOUSE_STAMP := var/audit/.installed-lighthouse-$(LIGHTHOUSE_MAJOR)
.PHONY: audit
$(LIGHTHOUSE_STAMP):
	@command -v npm >/dev/null || { echo "make audit needs Node.js 18+ and npm (apt-get install nodejs npm)"; exit 1; }
	@mkdir -p var/audit
	npm install --prefix var/audit --no-audit --no-fund --loglevel=error lighthouse@$(LIGHTHOUSE_MAJOR)
	rm -f var/audit/.installed-lighthouse-*
	touch $@

audit: install $(LIGHTHOUSE_STAMP)
	$(BIN)/python tools/audit.py
