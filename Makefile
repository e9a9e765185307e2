# bnnstudy — every entry point a user or CI needs. `make help` lists them.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
PROFILE ?= cpu
# Offline copies of the datasets (see ../shared/data/README.md); without it the Hub is used.
ifneq ($(wildcard ../shared/data),)
export BNNSTUDY_DATA_DIR ?= $(realpath ../shared/data)
endif

.PHONY: help install export test smoke reproduce report lab clean \
        bench-train bench-quality bench-hpo bench-lr bench-parallel

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

$(STAMP): requirements.txt constraints.txt pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies (only when missing or out of date)

export: $(STAMP)  ## regenerate bnnstudy/ from nbs/ and strip notebook outputs
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

test: $(STAMP)  ## run every notebook as a test (nbdev_test), then pytest
	$(BIN)/nbdev_test --n_workers 2
	$(BIN)/pytest

bench-train: $(STAMP)  ## engine throughput vs a bare PyTorch loop (ratio >= 0.9 expected)
	$(PY) -m bnnstudy.benchmarks.train

bench-quality: $(STAMP)  ## each seed model at default hyperparameters on the full data (long on CPU)
	$(PY) -m bnnstudy.benchmarks.quality

bench-hpo: $(STAMP)  ## HPO methods on standard test functions: regret, evaluations-to-target, seconds per ask
	$(PY) -m bnnstudy.benchmarks.hpo

bench-lr: $(STAMP)  ## learning-rate controllers on CPU-sized CIFAR-10 and IMDB subsets, 3 seeds
	$(PY) -m bnnstudy.benchmarks.lr

reproduce: $(STAMP)  ## the study (PROFILE=cpu by default); for now one model per dataset with its metrics
	$(PY) -m bnnstudy.benchmarks.quality --profile $(PROFILE)

lab: $(STAMP)  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab nbs

clean:  ## remove caches and run outputs (keeps .venv and the committed report tables/figures)
	rm -rf reports/runs .cache _proc _docs .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -exec rm -rf {} +
