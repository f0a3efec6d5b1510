# The README's two commands: `make run` and `make test`. Everything they need is set up here.
PYTHON ?= python3.11
VENV ?= .venv
PORT ?= 8000
BIN := $(VENV)/bin
PY := $(BIN)/python

# `make run` serves plain HTTP on loopback without debug: secure-only cookies and the SSL
# redirect are turned off for it alone. Its e-mails (invitations, password resets) are printed
# in its log, unless EMAIL_URL says otherwise (`make run EMAIL_URL=smtp://…`).
EMAIL_URL ?= console:
RUN_ENV = DJANGO_SECRET_KEY="$$(cat var/secret_key)" DJANGO_SECURE_SSL_REDIRECT=false \
	DJANGO_SECURE_COOKIES=false DJANGO_HSTS_SECONDS=0 EMAIL_URL="$(EMAIL_URL)"
# The test suite needs a key too; it is not a secret.
PYTEST_WORKERS ?= auto
TEST_ENV = DJANGO_SECRET_KEY="$${DJANGO_SECRET_KEY:-tests-only-not-a-secret}"

.PHONY: run dev test quality messages requirements clean

# requirements*.txt pin every package with its hashes: pip installs nothing else.
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements.txt requirements-dev.txt
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@

# Compile requirements*.in into requirements*.txt with hashes, keeping the current pins.
# `make requirements PIP_COMPILE_ARGS=--upgrade` moves everything to the latest releases,
# `PIP_COMPILE_ARGS="--upgrade-package django"` one package.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make requirements" $(BIN)/pip-compile --quiet \
	--generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
	$(PIP_COMPILE_ARGS)
requirements: $(VENV)/.installed-dev
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

var/secret_key:
	mkdir -p var
	$(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > $@
	chmod 600 $@

run: $(VENV)/.installed var/secret_key
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_ctg
	$(RUN_ENV) $(PY) manage.py seed_demo --force
	$(RUN_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "CTG Portal on http://127.0.0.1:$(PORT)/ (demo accounts: see README.md)"
	$(RUN_ENV) $(BIN)/gunicorn ctg_portal.wsgi --bind 127.0.0.1:$(PORT) --workers 2 \
		--access-logfile - --forwarded-allow-ips 127.0.0.1 \
		--logger-class ctg_portal.gunicorn_logging.RedactingLogger

dev: $(VENV)/.installed-dev
	DJANGO_DEBUG=true $(PY) manage.py migrate --noinput
	DJANGO_DEBUG=true $(PY) manage.py seed_ctg
	DJANGO_DEBUG=true $(PY) manage.py seed_demo
	DJANGO_DEBUG=true $(PY) manage.py runserver 127.0.0.1:$(PORT)

# PYTEST_ARGS passes options through, e.g. `make test PYTEST_ARGS="-k funding -x"`.
# The suite runs on every core (pytest-xdist: one test database per worker);
# `make test PYTEST_WORKERS=0` runs it in one process.
# The browser tests run whenever Chromium and Java are here; the Nu HTML checker comes from the
# npm registry (`npm ci`, run here when npm is present). What is skipped is said in one line.
test: $(VENV)/.installed-dev
	@if command -v npm >/dev/null 2>&1 && [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then \
		npm ci --no-audit --no-fund --loglevel=error; fi
	$(TEST_ENV) $(BIN)/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

quality: $(VENV)/.installed-dev
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(TEST_ENV) $(BIN)/mypy
	$(BIN)/lint-imports
	$(TEST_ENV) $(PY) manage.py makemigrations --check --dry-run
	$(TEST_ENV) $(PY) manage.py check_catalogue

# Refresh the French catalogue after changing strings (needs GNU gettext).
messages: $(VENV)/.installed-dev
	$(TEST_ENV) $(PY) manage.py makemessages --locale fr --no-location --no-obsolete \
		--ignore .venv --ignore staticfiles --ignore var --ignore tests --ignore bench
	$(TEST_ENV) $(PY) manage.py check_catalogue --compile

clean:
	rm -rf $(VENV) staticfiles
