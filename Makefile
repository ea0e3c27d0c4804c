# Two commands on a fresh machine:  make check EMAIL=user@example.com   and   make test
VENV ?= .venv
PY := $(VENV)/bin/python
EMAIL ?= user@example.com

.PHONY: check test lint bench install

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
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
	$(PY) -m pip install --quiet -e '.[dev,bench]'
	$(PY) -m bench.full_check
	$(PY) -m bench.ack_latency
