# The two commands of the README:  make run  and  make test.
# Everything they need is installed on first use, in .venv.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
export FLASK_APP := wsgi.py

.PHONY: run test test-sqlite test-postgres lint format browser servers clean translations

$(VENV)/.run-deps: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.test-deps: $(VENV)/.run-deps pyproject.toml
	$(PY) -m pip install -q -e '.[test]'
	touch $@

## run: set up everything on a fresh machine, then serve the app and the job consumer
run: $(VENV)/.run-deps
	$(FLASK) db upgrade
	$(FLASK) demo
	$(FLASK) serve

## servers: Debian's chromium for the browser tests (never a downloaded browser) and
## nginx-light (secure_link) for the tests that run the shipped nginx config
servers:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx-light"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    if command -v service >/dev/null; then service nginx stop >/dev/null 2>&1 || true; fi; \
	  else echo "missing:$$missing (sudo apt-get install$$missing); those tests will be skipped"; fi; \
	fi

browser: servers

## node deps of the browser tests and benchmarks (axe-core, pdfjs-dist); never a browser
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

## test: the whole suite on SQLite, then its database part on PostgreSQL when TEST_DATABASE_URL is set
test: $(VENV)/.test-deps node_modules/.installed servers lint test-sqlite test-postgres

test-sqlite: $(VENV)/.test-deps node_modules/.installed
	env -u TEST_DATABASE_URL $(PY) -m pytest

test-postgres: $(VENV)/.test-deps
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
	  echo "== database tests again on $$TEST_DATABASE_URL"; \
	  $(PY) -m pytest -m db; \
	else echo "TEST_DATABASE_URL is not set: PostgreSQL run skipped"; fi

lint: $(VENV)/.test-deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.test-deps
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## translations: re-extract the French msgids, merge them into each .po, compile the .mo files
## (translate the new empty msgstr in magazine_app/translations/*/LC_MESSAGES/messages.po, then run it again)
TRANSLATIONS := magazine_app/translations
translations: $(VENV)/.run-deps
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext --sort-by-file \
	  --ignore-dirs ".* ._ node_modules uploads instance benchmarks" \
	  --project "Challenge e-magazine" --copyright-holder Challenge \
	  --msgid-bugs-address contact@newpublicity.ma -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
	  --no-fuzzy-matching --ignore-obsolete
	$(VENV)/bin/pybabel compile -d $(TRANSLATIONS) --statistics

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
