# Two commands on a fresh machine:  make check EMAIL=user@example.com   and   make test
# Every install is pinned by constraints.txt (all transitive dependencies); `make lock` regenerates it.
VENV ?= .venv
PY := $(VENV)/bin/python
EMAIL ?= user@example.com
PIP_INSTALL := $(PY) -m pip install --quiet -c constraints.txt
# pip-tools, in a venv of its own so that it never shares (or upgrades) the project's packages.
LOCK_VENV ?= $(VENV)/lock-tools
PIP_TOOLS ?= pip-tools==7.6.2
# `make lock` keeps existing pins and adds what is new; `make lock UPGRADE=--upgrade` moves every pin.
UPGRADE ?=

.PHONY: check test lint bench install lock

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PIP_INSTALL) -e '.[dev]'
	touch $@

install: $(VENV)/.installed

check: install
	$(VENV)/bin/mailcheck check $(EMAIL)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

test: install lint
	@command -v redis-server >/dev/null || (apt-get update -qq && apt-get install -y -qq redis-server)
	$(VENV)/bin/pytest -q

bench: install
	$(PIP_INSTALL) -e '.[dev,bench]'
	$(PY) -m bench.ack_peers
	$(PY) -m bench.full_check
	$(PY) -m bench.burst
	$(VENV)/bin/python -X importtime -c 'import bot.cli' 2>&1 | tail -1

lock:
	python3 -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip '$(PIP_TOOLS)'
	$(LOCK_VENV)/bin/pip-compile --quiet $(UPGRADE) --extra dev --extra bench --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o constraints.txt pyproject.toml
