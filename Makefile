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

.PHONY: help install export test smoke reproduce report runs report-file lab clean FORCE \
        bench-train bench-quality bench-hpo bench-lr bench-parallel bench-faults

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

# not on pyproject.toml: nbdev_export rewrites it (same content, new mtime) on every export
$(STAMP): requirements.txt constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies (only when missing or out of date)

export: $(STAMP)  ## regenerate bnnstudy/ from nbs/ and strip notebook outputs
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

# One torch/BLAS thread per process: nbdev_test runs two notebooks at once on two cores, and oversubscribed
# threads made small-model steps several times slower here.
test: export OMP_NUM_THREADS = 1
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

bench-parallel: $(STAMP)  ## 20 trials of a 1-second objective on 2 Dask workers vs sequentially (ratio ~0.5 expected)
	$(PY) -m bnnstudy.benchmarks.parallel

bench-faults: $(STAMP)  ## SIGKILL a running study >= 20 times, resume each time: trials lost, duplicated, history equal
	$(PY) -m bnnstudy.benchmarks.faults

# ---- the study: one papermill run per dataset x method x seed, files in and files out -----------------------
# reports/runs/<profile>/<study>/<dataset>/<method>/seed<k>/{run.ipynb, run.log, result.json, ...}; result.json is
# written last and atomically, so a run is complete when it exists. A run is redone when it is missing or when the
# content of its notebook or of the library (bnnstudy/plots.py and _modidx.py aside) changed; a killed run resumes
# from what it stored, unless the sources changed since it started (its folder keeps a copy of the content stamp it
# started under). Content, not mtimes: nbdev_export and nbdev_clean rewrite every file they touch.
RUNS_DIR   ?= reports/runs/$(PROFILE)
REPORT_DIR ?= $(if $(filter smoke,$(PROFILE)),reports/smoke,reports)
THREADS    ?=
# the HPO live searches' trials on a local Dask cluster of WORKERS workers, or on the scheduler at SCHEDULER
# (e.g. tcp://10.0.0.5:8786); neither: one trial at a time, in the run's kernel
WORKERS    ?=
SCHEDULER  ?=
PAPERMILL  := $(BIN)/papermill
LIB_SRC    := $(filter-out bnnstudy/_modidx.py bnnstudy/plots.py,$(wildcard bnnstudy/*.py))
# the study needs the venv, but not a reinstall each time nbdev_export touches pyproject.toml: only when it is missing
NEED_VENV  := $(if $(wildcard $(STAMP)),,$(STAMP))
STUDY_GOALS := reproduce runs report-file
# folders the study deletes and rewrites must be given and must not climb with '..'
check_dir = $(if $(strip $(1)),$(if $(filter ..,$(subst /, ,$(1))),$(error $(2)=$(1) contains '..'; give a path without '..')),$(error $(2) is empty; give a folder))
ifneq ($(filter $(STUDY_GOALS) smoke report clean-runs,$(MAKECMDGOALS)),)
$(call check_dir,$(RUNS_DIR),RUNS_DIR)
$(call check_dir,$(REPORT_DIR),REPORT_DIR)
endif
ifneq ($(filter $(STUDY_GOALS),$(MAKECMDGOALS)),)
# a bad PROFILE or RUNS_DIR stops make with the command's one-line error (a failed $(shell) would read as "no runs")
STUDY_TARGETS := $(shell $(PY) -W ignore -m bnnstudy.runs targets --profile $(PROFILE) --runs_dir $(RUNS_DIR) 2>&1)
ifneq ($(.SHELLSTATUS),0)
$(error $(STUDY_TARGETS))
endif
ifneq ($(filter-out %/result.json,$(STUDY_TARGETS)),)
$(error bnnstudy.runs targets printed more than result files: $(STUDY_TARGETS))
endif
study_runs   = $(filter $(RUNS_DIR)/$(1)/%,$(STUDY_TARGETS))
TABLE_RUNS  := $(call study_runs,table)
HPO_RUNS    := $(call study_runs,hpo)
REPLAY_RUNS := $(call study_runs,replay)
LR_RUNS     := $(call study_runs,lr)
endif
ALL_RUNS     = $(TABLE_RUNS) $(HPO_RUNS) $(REPLAY_RUNS) $(LR_RUNS)
runs_with    = $(foreach r,$(2),$(if $(findstring $(1),$(r)),$(r)))
src_stamp    = $(RUNS_DIR)/.src-$(1).sha256

# a content stamp per notebook: rewritten (new mtime) only when the sha256 of its sources changes
$(call src_stamp,%): SRC_FILES = $(LIB_SRC)
$(call src_stamp,90_report): SRC_FILES = bnnstudy/plots.py bnnstudy/runs.py
$(call src_stamp,%): FORCE
	@mkdir -p $(@D)
	@sha256sum nbs/$*.ipynb $(SRC_FILES) > $@.new; if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi
FORCE:
run_word     = $(word $(1),$(subst /, ,$*))
run_stamp    = $(filter %.sha256,$^)

# $(call papermill,notebook,method parameter name,extra parameters): run the notebook into the target's folder.
# An out-of-date result, or a folder left by a killed run under other sources, starts afresh; a folder left by a
# killed run under these sources resumes (the notebooks pick up their trial store or partial table).
define papermill
	@if [ -f $@ ] || ! cmp -s $(run_stamp) $(@D)/.src.sha256; then rm -rf $(@D); fi
	@mkdir -p $(@D) && cp $(run_stamp) $(@D)/.src.sha256
	@echo "run $*"
	@$(PAPERMILL) $(1) $(@D)/run.ipynb -k python3 --log-output --no-progress-bar \
	    -p dataset $(call run_word,2) -p $(2) $(call run_word,3) -p seed $(patsubst seed%,%,$(call run_word,4)) \
	    -p profile $(PROFILE) -p out_dir $(abspath $(@D)) $(if $(THREADS),-p threads $(THREADS)) $(3) \
	    > $(@D)/run.log 2>&1 \
	  || { echo "FAILED run $*: see $(@D)/run.log (executed notebook: $(@D)/run.ipynb)" >&2; exit 1; }
	@test -f $@ || { echo "FAILED run $*: finished without writing $@; see $(@D)/run.log" >&2; exit 1; }
endef

$(TABLE_RUNS) $(HPO_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,50_hpo_experiment) $(NEED_VENV)
	$(call papermill,nbs/50_hpo_experiment.ipynb,method,$(if $(filter $(HPO_RUNS),$@),\
	    $(if $(WORKERS),-p n_workers $(WORKERS)) $(if $(SCHEDULER),-p scheduler_address $(SCHEDULER))))

$(REPLAY_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,52_replay_experiment) $(TABLE_RUNS) $(NEED_VENV)
	$(call papermill,nbs/52_replay_experiment.ipynb,method,\
	    -p table $(abspath $(dir $(call runs_with,/table/$(call run_word,2)/,$(TABLE_RUNS))))/table.parquet)

# the random trigger lowers the rate as often as the relative-threshold uncertainty run of its dataset and seed did
$(call runs_with,/random_trigger/,$(LR_RUNS)): $(call runs_with,/uncertainty_relative/,$(LR_RUNS))
$(LR_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,51_lr_experiment) $(NEED_VENV)
	$(call papermill,nbs/51_lr_experiment.ipynb,controller,\
	    $(if $(wildcard $(subst /random_trigger/,/uncertainty_relative/,$@)),-p rate_from $(abspath $(subst /random_trigger/,/uncertainty_relative/,$@))))

# the report: figures, tables, report.ipynb and report.html under $(REPORT_DIR), from the result files only;
# report.html, the target, appears last and whole (a killed report is redone)
define report_recipe
	@mkdir -p $(REPORT_DIR)
	@echo "report $(RUNS_DIR) -> $(REPORT_DIR)"
	@$(PAPERMILL) nbs/90_report.ipynb $(REPORT_DIR)/report.ipynb -k python3 --log-output --no-progress-bar \
	    -p runs_dir $(abspath $(RUNS_DIR)) -p out_dir $(abspath $(REPORT_DIR)) > $(REPORT_DIR)/report.log 2>&1 \
	  || { echo "FAILED report: see $(REPORT_DIR)/report.log (executed notebook: $(REPORT_DIR)/report.ipynb)" >&2; exit 1; }
	@$(BIN)/jupyter nbconvert --to html --no-input --log-level WARN $(REPORT_DIR)/report.ipynb --output-dir $(REPORT_DIR) \
	    --output report.partial
	@mv $(REPORT_DIR)/report.partial.html $(REPORT_DIR)/report.html
endef

runs: $(ALL_RUNS)  ## every run of PROFILE that is missing or out of date (make -j N runs them in parallel)

report-file: $(REPORT_DIR)/report.html
$(REPORT_DIR)/report.html: $(ALL_RUNS) $(call src_stamp,90_report) $(NEED_VENV)
	$(report_recipe)

# one reproduce per runs folder at a time (util-linux flock, where there is one): the lock dies with its holder, kill -9 too
LOCK := $(if $(shell command -v flock),flock -n -E 75 $(RUNS_DIR)/.lock)
reproduce: $(NEED_VENV)  ## the study: runs + report (PROFILE=cpu by default; PROFILE=full for a GPU); redoes only what changed
	@mkdir -p $(RUNS_DIR)
	@$(LOCK) $(MAKE) --no-print-directory runs report-file PROFILE=$(PROFILE) || { rc=$$?; [ $$rc != 75 ] || \
	    echo "another make reproduce is running in $(RUNS_DIR); wait for it (or end it) and run this again" >&2; exit $$rc; }
	@echo "study $(PROFILE): results in $(RUNS_DIR), report in $(REPORT_DIR)/report.html"

.PHONY: clean-runs
clean-runs:  ## delete PROFILE's run folders and stamps (RUNS_DIR): the next reproduce redoes every run
	rm -rf $(addprefix $(RUNS_DIR)/,table hpo replay lr) $(wildcard $(RUNS_DIR)/.src-*.sha256)

smoke: $(NEED_VENV)  ## the whole pipeline on tiny slices (PROFILE=smoke; reports/runs/smoke, reports/smoke)
	@$(MAKE) --no-print-directory reproduce PROFILE=smoke

report: $(NEED_VENV)  ## rebuild the report from the results there are (RUNS_DIR, REPORT_DIR; no training)
	$(report_recipe)

lab: $(STAMP)  ## open JupyterLab on the notebooks
	$(BIN)/jupyter lab nbs

clean:  ## remove caches and run outputs (keeps .venv and the committed report tables/figures)
	rm -rf reports/runs reports/smoke .cache _proc _docs .pytest_cache
	find . -name __pycache__ -not -path './.venv/*' -exec rm -rf {} +
