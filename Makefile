# Two commands do everything on a fresh machine:
#   make demo   — emergency cancel against the built-in simulator
#   make test   — lint, type-check and the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# constraints.txt pins every package (`make lock` regenerates it): the same versions on
# every machine, and `pipx`/`uv tool` installs can use it too (see README).
CONSTRAINTS := constraints.txt

.PHONY: demo test lint bench bench-full dist lock iot-model clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bulkjobs demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python -m benchmarks --quick

bench-full: $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[bench]'
	$(BIN)/python -m benchmarks --full

# The wheel and sdist as PyPI would take them (twine check), and the wheel installed
# like a tool in a venv of its own: the command starts and completes.
dist: $(STAMP)
	rm -rf dist .dist-venv
	$(BIN)/python -m build --outdir dist . > /dev/null
	$(BIN)/twine check --strict dist/*
	$(PYTHON) -m venv .dist-venv
	.dist-venv/bin/python -m pip install --quiet -c $(CONSTRAINTS) dist/*.whl
	.dist-venv/bin/bulkjobs --version
	.dist-venv/bin/bulkjobs completion bash | grep -q _shtab_bulkjobs
	rm -rf .dist-venv

# The trimmed IoT service model and endpoint data bulkjobs ships (bulkjobs/_data/): botocore's own data for
# the operations bulkjobs calls, rewritten from the installed botocore. Run it after a
# botocore upgrade; tests/unit/test_iotmodel.py fails until it is.
iot-model: $(STAMP)
	$(BIN)/python -m bulkjobs._iotmodel

# Re-pin constraints.txt: resolve the dependencies afresh in a scratch venv.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet '.[dev,bench]'
	{ echo "# Every package bulkjobs and its tools install, pinned: make uses it, and so can"; \
	  echo "# pipx and uv (see README). Regenerate with make lock after changing dependencies."; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^bulkjobs'; } > $(CONSTRAINTS)
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache dist build .dist-venv .lock-venv
