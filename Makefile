# The two commands of the README: `make demo` and `make test`. `make help` lists the others.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install demo serve test lint format scenarios validate bench clean

help:  ## this list
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 12

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,prod]'
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the product with its test tools

demo: install  ## migrate a SQLite database, seed the demo, serve http://127.0.0.1:5000
	$(BIN)/ipt demo --bulk 120

serve: install  ## serve the UI on the configured database
	$(BIN)/ipt serve

test: install  ## lint, then every test (SQLite; PostgreSQL when IPT_TEST_DATABASE_URL is set)
	$(BIN)/ruff check engine web workers ipt tests bench
	$(BIN)/ruff format --check engine web workers ipt tests bench
	$(BIN)/pytest

scenarios: install  ## run the analysts' scenarios
	$(BIN)/ipt scenarios run processes/scenarios

validate: install  ## validate every diagram, DMN table and form
	$(BIN)/ipt processes validate

format: install  ## format the code
	$(BIN)/ruff format engine web workers ipt tests bench
	$(BIN)/ruff check --fix engine web workers ipt tests bench

bench: install  ## task-completion benchmark (see bench/completion.py)
	$(BIN)/python bench/completion.py

clean:  ## remove the environment and the demo database
	rm -rf $(VENV) instance
