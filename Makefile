# SmartPhase: `make demo` and `make test` are the whole set-up on a machine with Python 3.11+.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench cases clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m sim.demo

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(STAMP)
	$(PY) -m mypy grid sim bench store ingest edge hq jobs notify transport components pages reports app.py settings.py keys.py cli.py

bench: $(STAMP)
	$(PY) -m bench.balance
	$(PY) -m bench.ingest
	$(PY) -m bench.edge
	$(PY) -m bench.dashboard
	$(PY) -m bench.reports

cases: $(STAMP)
	$(PY) -m sim.cases build $$($(PY) -m sim.cases list) --out var/cases

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
