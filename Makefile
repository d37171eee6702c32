# One command to set up and run, one to set up and test. Needs only Python 3.11+ (and make).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## serve the bot (reads .env)
	$(BIN)/python app.py serve

demo: $(STAMP)  ## a simulated quarter against a fake Slack, no workspace needed
	$(BIN)/python app.py demo

test: $(STAMP)  ## every test, on SQLite and on PostgreSQL (127.0.0.1:5432, database test)
	$(BIN)/python -m pytest --durations=10

bench: $(STAMP)  ## benchmarks: numbers printed, nothing asserted
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) *.egg-info
