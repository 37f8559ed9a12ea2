# The two commands: `make run` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Python 3.12: the first that really is 3.12 (a pyenv shim that is not set to it is skipped).
PYTHON_312 ?= $(shell for p in "$$(command -v python3.12 2>/dev/null)" $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do [ -n "$$p" ] && [ -x "$$p" ] && "$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null && echo "$$p" && break; done)
TOOLS := .local/tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Throw-away secrets for `check --deploy` with production settings (never used to serve).
DEPLOY_CHECK_ENV := DJANGO_SETTINGS_MODULE=marketplace.settings.production \
	DJANGO_SECRET_KEY=deploy-check-0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f \
	DJANGO_ALLOWED_HOSTS=marketplace.example.com

.PHONY: help run test install lint format typecheck migrations-check deploy-check pytest browser fonts services clean

help:
	@echo "make run    set up and run the marketplace with demo data (web, worker, beat)"
	@echo "make test   set up and run every check: lint, migrations, deploy check, test suite"

$(UV):
	@test -n "$(PYTHON_312)" || { echo "Python 3.12 is required (python3.12 on PATH or pyenv 3.12.x)"; exit 1; }
	$(PYTHON_312) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --locked --python $(PYTHON_312)
	@touch $@

install: $(VENV)/.synced

# Debian's chromium for the browser tests (Playwright drives it; `playwright install` cannot run here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "installing Debian's chromium for the browser tests"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi; \
	fi

# Debian's TrueType fonts for the trade documents' PDFs (Noto Sans, Noto Sans Arabic, WenQuanYi Zen Hei).
fonts:
	@if [ ! -f /usr/share/fonts/truetype/noto/NotoSansArabic-Regular.ttf ] || [ ! -f /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then \
		echo "installing Debian's fonts for the trade documents"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-wqy-zenhei >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-core fonts-wqy-zenhei >/dev/null; fi; \
	fi

run: install fonts
	$(PY) -m marketplace.devstack run

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

typecheck: install
	$(VENV)/bin/mypy marketplace $(dir $(wildcard listings/__init__.py orders/__init__.py payments/__init__.py))

migrations-check: install
	eval "$$($(PY) -m marketplace.devstack env --for test)" && export DATABASE_URL REDIS_URL && \
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(MANAGE) makemigrations --check --dry-run

deploy-check: install
	eval "$$($(PY) -m marketplace.devstack env --for test)" && export DATABASE_URL REDIS_URL && \
	$(DEPLOY_CHECK_ENV) $(MANAGE) check --deploy --fail-level WARNING

pytest: install browser fonts
	eval "$$($(PY) -m marketplace.devstack env --for test)" && export DATABASE_URL REDIS_URL && \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint typecheck migrations-check deploy-check pytest

services: install
	@$(PY) -m marketplace.devstack env --for test

clean:
	-$(PY) -m marketplace.devstack stop
	rm -rf $(VENV) $(TOOLS)
