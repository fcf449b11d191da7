# `make demo` and `make test` each set up everything they need on a fresh machine, then run.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.tracegrad-installed

.PHONY: demo test bench setup system-deps clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test,parity,demo]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	scripts/system-deps.sh demo
	$(PY) -m demos.tour

test: $(STAMP)
	scripts/system-deps.sh test
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[bench]'
	$(PY) benchmarks/speed.py
	$(PY) benchmarks/bench_value.py
	$(PY) benchmarks/bench_tensor.py

clean:
	rm -rf $(VENV) out .pytest_cache
