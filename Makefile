# The two commands: `make run` (install and start everything) and `make test`
# (install and run every test). Both need only Python 3.11+; npm is used when
# present for the front-end libraries (see README).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-domain lint format deps test-deps chromium messages clean-data

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Maillon needs Python 3.11 or newer" or 0)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	$(PY) -m calendar_project.frontend

# The local Bluesky PDS for the adapter tests (Node 22 and @atproto/pds from npm).
BLUESKY_PEER := tests/peers/bluesky/node_modules/.package-lock.json
$(BLUESKY_PEER): tests/peers/bluesky/package.json tests/peers/bluesky/package-lock.json tests/peers/bluesky/install.py | $(STAMP)
	$(PY) tests/peers/bluesky/install.py

# A real OAuth 2 authorization server for the account-connection tests (panva's
# oidc-provider from npm, run by the venv's Node).
OIDC_PEER := tests/peers/oidc/node_modules/.package-lock.json
$(OIDC_PEER): tests/peers/oidc/package.json tests/peers/oidc/package-lock.json | $(STAMP)
	cd tests/peers/oidc && ../../../$(VENV)/bin/npm ci --no-audit --no-fund --loglevel=error

# The French catalogue, compiled in pure Python (Babel): no gettext needed to run.
MO := locale/fr/LC_MESSAGES/django.mo
$(MO): locale/fr/LC_MESSAGES/django.po | $(STAMP)
	$(PY) -m calendar_project.messages

deps: $(STAMP) node_modules/.package-lock.json $(MO)

# After changing strings: gather them into the catalogue, translate, then `make deps`.
messages: deps
	$(PY) manage.py makemessages -l fr $(MESSAGES_IGNORE)
MESSAGES_IGNORE := -i ".venv/*" -i "node_modules/*" -i "tests/*" -i "data/*" -i "bench/*" -i "docs/*"

# Debian's Chromium for the browser tests (Playwright cannot download its own here),
# gettext for the test that checks the French catalogue covers every string, and ffmpeg
# (ffprobe reads uploaded videos; the tests make their videos with ffmpeg).
chromium:
	@{ command -v chromium && command -v xgettext && command -v ffprobe && command -v ffmpeg; } >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium gettext ffmpeg; \
	  else echo "The tests need Debian's chromium, gettext and ffmpeg: sudo apt-get install chromium gettext ffmpeg"; exit 1; fi; }

# What the tests need on top: the network stand-ins that come from npm, and a browser.
test-deps: deps $(BLUESKY_PEER) $(OIDC_PEER) chromium

run: deps
	@command -v ffprobe >/dev/null 2>&1 || echo "Note: ffprobe is missing, so video uploads will be refused; install it with: sudo apt-get install ffmpeg"
	$(PY) -m calendar_project.devrun

# The suite runs in TEST_PROCESSES processes (pytest-xdist), each with its own test
# database and Redis database (tests/settings.py); TEST_PROCESSES=0 runs it in one.
TEST_PROCESSES ?= 2

test: test-deps
	$(PY) -m calendar_project.testrun -n $(TEST_PROCESSES) $(PYTEST_ARGS)

# The domain and workflow tests alone (CI runs them on SQLite as well).
test-domain: deps
	$(PY) -m calendar_project.testrun -m domain $(PYTEST_ARGS)

lint: deps
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo

format: deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean-data:
	rm -rf data
