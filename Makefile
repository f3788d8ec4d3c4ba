# Developer entry points. `make test` is the one test command; CI (.ci/run) calls exactly this.
#   make test                 run the suite on SQLite (the embedded default)
#   make test DB=postgres     run it on the PostgreSQL at 127.0.0.1:5432
#   make test VENV=.venv-floor PRETIX_VERSION=2026.3.0   run it against the oldest supported pretix
VENV ?= .venv
PYTHON ?= python3
PRETIX_VERSION ?= 2026.8.0
DB ?= sqlite
PYTEST_ARGS ?=
PG_NAME ?= pretix_hubspot
PG_ENV = PRETIX_DATABASE_BACKEND=postgresql PRETIX_DATABASE_NAME=$(PG_NAME) PRETIX_DATABASE_USER=postgres \
         PRETIX_DATABASE_HOST=127.0.0.1 PRETIX_DATABASE_PORT=5432
ifeq ($(DB),postgres)
DB_ENV = $(PG_ENV)
else ifeq ($(DB),sqlite)
DB_ENV = PRETIX_DATABASE_BACKEND=sqlite3
else
$(error DB must be sqlite or postgres)
endif

.PHONY: all venv axe test localecompile localegen localecheck check-style check-migrations sandbox hubspot-app soak

all: localecompile

$(VENV)/.installed-$(PRETIX_VERSION): pyproject.toml
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q "pretix==$(PRETIX_VERSION)" -e ".[test]"
	touch $@

venv: $(VENV)/.installed-$(PRETIX_VERSION)

# The page tests check accessibility with axe-core, installed from npm into tools/axe (pinned in its package-lock.json).
AXE = tools/axe/node_modules/axe-core/axe.min.js

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	npm ci --prefix tools/axe --no-audit --no-fund --loglevel=error
	touch $@

axe: $(AXE)

# PRETIX_CONFIG_FILE=/dev/null: a pretix.cfg in the working directory or /etc must not pick the test database.
test: venv localecompile axe
	PRETIX_CONFIG_FILE=/dev/null $(DB_ENV) $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

localecompile:
	set -e; for po in pretix_hubspot/locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po"; done

# Extraction runs inside the package directory, so tests/, tools/ and the virtual environment are never scanned.
# The plugin's JavaScript takes its texts from the templates, so there is no djangojs catalogue.
MAKEMESSAGES = PRETIX_CONFIG_FILE=/dev/null DATA_DIR=$$(mktemp -d) $(abspath $(VENV))/bin/python -m pretix makemessages \
	--add-location file --no-obsolete -l de -l de_Informal

localegen: venv
	cd pretix_hubspot && $(MAKEMESSAGES)

# Fails when a string of the plugin has no German translation (or only a fuzzy one) in de or de_Informal, without
# touching the catalogues: the extraction runs on a copy of the package.
localecheck: venv
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; cp -r pretix_hubspot "$$tmp/"; \
	(cd "$$tmp/pretix_hubspot" && $(MAKEMESSAGES) >/dev/null); \
	for po in "$$tmp"/pretix_hubspot/locale/*/LC_MESSAGES/django.po; do \
		msgfmt --check --statistics -o /dev/null "$$po"; \
		missing=$$(msgattrib --no-wrap --untranslated "$$po"; msgattrib --no-wrap --only-fuzzy "$$po"); \
		if [ -n "$$missing" ]; then echo "$${po#$$tmp/} lacks translations:"; echo "$$missing" | LC_ALL=C grep -a '^msgid "[^"]'; exit 1; fi; \
	done

# The plugin, its tests, the HubSpot sandbox, the pretix side the tests and tools share, and the tools.
STYLE_PATHS = pretix_hubspot tests hubspot_sandbox testbed tools
check-style: venv
	$(VENV)/bin/flake8 $(STYLE_PATHS)
	$(VENV)/bin/isort --check-only --diff $(STYLE_PATHS)

# The HubSpot developer-platform project in hubspot-app/, written from the plugin's scope list (pretix_hubspot/hubspot_api/scopes.py);
# tests/test_hubspot_app.py fails while the committed copy differs. Needs no pretix installation.
hubspot-app:
	$(PYTHON) -m pretix_hubspot.hubspot_api.app_project hubspot-app

check-migrations: venv
	PYTHON=$(VENV)/bin/python tools/makemigrations.sh --check --dry-run

# The whole job end to end: the HubSpot sandbox, a pretix on SQLite in demo-data/ with demo orders, the real OAuth
# connect, starter mappings, one periodic run; keeps running until Ctrl-C. DEMO_ARGS=--no-wait stops after the summary.
.PHONY: demo
DEMO_ARGS ?=
demo: venv localecompile
	$(VENV)/bin/python -m tools.demo $(DEMO_ARGS)

# The HubSpot sandbox on its own (hubspot_sandbox/README.md): prints its URL and app credentials, runs until Ctrl-C.
SANDBOX_PORT ?= 8765
sandbox: venv
	$(VENV)/bin/python -m hubspot_sandbox --port $(SANDBOX_PORT)

# Sync engine benchmark against the local HubSpot sandbox: 1,000 orders, first export and re-sync, batched and
# unbatched. BENCHMARK_ORDERS=N changes the size, BENCHMARK_COMPARE=0 skips the unbatched run; DB=postgres works too.
.PHONY: benchmark
benchmark: venv localecompile
	PRETIX_CONFIG_FILE=/dev/null $(DB_ENV) $(VENV)/bin/python tools/benchmark.py

# Soak test at production shape on PostgreSQL: two events sharing one HubSpot account, two Celery workers on Redis,
# injected 5xx, timeouts, lost answers, 429 bursts, a token expiry and an uninstall + reconnect; checks and prints
# that every order arrived exactly once. SOAK_ORDERS=N changes the size (CI runs 300).
SOAK_ORDERS ?= 2000
soak: venv localecompile
	PRETIX_CONFIG_FILE=/dev/null $(PG_ENV) SOAK_ORDERS=$(SOAK_ORDERS) $(VENV)/bin/python tools/soak.py

# Marketing event benchmark: 1,000 paid orders with attendees, registrations and check-ins, requests per participant;
# with DB=postgres also the delay between a check-in and its attendance with a Celery worker.
.PHONY: benchmark-marketing-events
benchmark-marketing-events: venv localecompile
	PRETIX_CONFIG_FILE=/dev/null $(DB_ENV) $(VENV)/bin/python tools/benchmark_marketing_events.py
