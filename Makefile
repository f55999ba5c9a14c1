# Soundlink: the commands in the README. Every target installs what it needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov
# sam build needs the Lambda runtime's interpreter (python3.13); pyenv holds it.
PY313 ?= 3.13.0
STAGE ?= dev
export SAM_CLI_TELEMETRY := 0

.PHONY: catalogues checkov help install test test-integration lint build deploy dev bench soak mutation clean web-vendor web-test browser-deps

help:
	@echo "make dev     run Soundlink locally (local cloud, Spotify emulator, dashboard)"
	@echo "make test    install everything and run every test"
	@echo "make lint    ruff, import-linter (layers), cfn-lint, sam validate --lint and checkov"
	@echo "make build   sam build (python3.13, arm64)"
	@echo "make bench   benchmarks: request counts and time ratios"
	@echo "make soak    the full ground-truth run under faults, an hour of Spotify outage, 10,000 tracker requests"
	@echo "make mutation MODULE=attribution/rules.py  mutation testing of one domain module (slow)"
	@echo "make deploy  sam deploy --config-env \$$STAGE, then upload the dashboard"
	@echo "make browser-deps  apt-get install chromium if /usr/bin/chromium is missing (make test runs it)"
	@echo "make catalogues  extract listener-facing messages, update each language's .po, compile the .mo files"
	@echo "make web-vendor  npm ci, then copy Chart.js into web/vendor/ (dev, test and deploy run it)"

$(VENV)/.installed: requirements-dev.txt functions/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# SAM CLI pins its own dependency versions: it lives in a venv of its own.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli==1.170.0
	touch $@

# checkov pins its own dependencies too (requirements-checkov.txt).
$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet -r requirements-checkov.txt
	touch $@

install: $(VENV)/.installed $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed

# Every failing check is either fixed or skipped in the resource's Metadata with a
# reason (README, Security posture): checkov exits non-zero on any other failure.
checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download

# Listener pages speak en, es, pt, fr, de from gettext catalogues. People edit the .po files;
# the compiled .mo files are committed too, so `sam build` copies them as they are (no build
# step at deploy time), and a test fails when a .mo differs from its .po or a message lacks
# a translation.
LOCALE := functions/soundlink/platform/locale
catalogues: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -o $(LOCALE)/soundlink.pot --no-location --sort-output --omit-header \
		functions/soundlink functions/oauth_callback
	$(BIN)/pybabel update -i $(LOCALE)/soundlink.pot -d $(LOCALE) -D soundlink --no-fuzzy-matching \
		--width 100
	$(BIN)/pybabel compile -d $(LOCALE) -D soundlink --statistics

# The dashboard's only third-party code, Chart.js, comes from npm at the version
# package-lock.json pins (integrity-checked by npm ci) and is copied into web/vendor/
# (built, not committed). No bundler: the pages load the UMD file as it is published.
NPM ?= npm
WEB_VENDOR := web/vendor/chart.umd.min.js

web-vendor: $(WEB_VENDOR)

node_modules/.installed: package.json package-lock.json
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@

$(WEB_VENDOR): node_modules/.installed
	mkdir -p web/vendor
	cp node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map web/vendor/
	cp node_modules/chart.js/LICENSE.md web/vendor/chart.js-LICENSE.md
	touch $@

# Unit tests of the dashboard's pure modules and its CSP (node's built-in runner, no packages).
web-test:
	node --test web/test/

# The browser tests (tests/browser) drive Debian's Chromium through Playwright: Playwright's
# own browser download needs the internet. apt-get installs it when it is missing (sudo unless root).
CHROMIUM ?= /usr/bin/chromium

browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
		echo "$(CHROMIUM) is missing: installing Debian's chromium with apt-get"; \
		$$sudo apt-get update -qq && \
		$$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	fi

test: install web-vendor web-test browser-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=functions:. $(BIN)/lint-imports
	SAM_CLI="$(CURDIR)/$(SAM)" CHECKOV="$(CURDIR)/$(CHECKOV)" SAM_PYENV_VERSION=$(PY313) $(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=functions:. $(BIN)/lint-imports
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint
	$(CHECKOV) --file template.yaml --framework cloudformation --compact --quiet --skip-download

build: install
	PYENV_VERSION=$(PY313) $(SAM) build

deploy: build web-vendor
	$(SAM) deploy --config-env $(STAGE)
	$(BIN)/python -m scripts.publish_dashboard --stage $(STAGE)

dev: $(VENV)/.installed web-vendor
	$(BIN)/python -m local

test-integration: $(VENV)/.installed
	$(BIN)/pytest tests/integration

# Every benchmark, then bench/results.json and the README's "Cost and performance" table.
bench: install
	PYTHONPATH=functions $(BIN)/python -m bench.spotify_polling
	PYTHONPATH=functions:. $(BIN)/python -m bench

# The full ground-truth run (faults, SQS misdelivery, an hour of Spotify outage) and the tracker
# load (10,000 requests, concurrency 50, loopback only); prints the README's "Reliability" figures.
soak: $(VENV)/.installed
	PYTHONPATH=functions:. $(BIN)/python -m bench.soak

# Mutation testing (mutmut 3) of one domain module with its test files; slow, so not in `make test`:
#   make mutation MODULE=attribution/rules.py TESTS=tests/unit/test_attribution_rules.py
# On a busy machine: MUTATION_ARGS="--max-children 1" (and --timeout-constant for slow fixtures).
mutation: $(VENV)/.installed
	$(BIN)/python -m scripts.mutation $(MODULE) $(TESTS) $(MUTATION_ARGS)

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache .mutation
