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

.PHONY: help install export test lint test-fast docs readme nbs-execute smoke reproduce report runs report-file lab clean FORCE \
        bench-train bench-quality bench-hpo bench-lr bench-parallel bench-faults suite

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 18

# not on pyproject.toml: nbdev_export rewrites it (same content, new mtime) on every export
$(STAMP): requirements.txt constraints.txt
	python3 -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -r requirements.txt
	touch $@

install: $(STAMP)  ## create .venv with the pinned dependencies (only when missing or out of date)

export: $(STAMP)  ## regenerate bnnstudy/ from nbs/ and strip notebook outputs
	$(BIN)/nbdev_export
	$(BIN)/nbdev_clean

# One torch/BLAS thread per process: nbdev_test runs two notebooks at once on two cores, and oversubscribed
# threads made small-model steps several times slower here.
test: export OMP_NUM_THREADS = 1
test: $(STAMP) lint  ## the lint, every notebook as a test (nbdev_test), then pytest
	$(BIN)/nbdev_test --n_workers 2
	@# pytest runs one test at a time: the end-to-end make runs (pipeline, ~10 min) go in a second process on the other
	@# core; the docs build and the kill-and-resume tests join the rest, so the two take about as long (make test's wall)
	$(BIN)/pytest -p no:cacheprovider -m "pipeline" & heavy=$$!; \
	$(BIN)/pytest -m "not pipeline" || rc=$$?; \
	wait $$heavy || rc=$${rc:-1}; exit $${rc:-0}

lint: $(STAMP)  ## ruff over the package, the tests and the notebooks (rules in ruff.toml)
	$(BIN)/ruff check bnnstudy tests nbs .ci

# the everyday loop, as the lint plus two processes side by side (one per core): the cheap library notebooks (FAST_NBS:
# core, space, store, optimizers, runner, the hpo compat module and the test functions: seconds each, no training) and
# the tests not marked pipeline, faults or slow (tests/conftest.py: the measured slow ones, the Dask cluster), which
# exercise every other library module; its 15 slowest tests are printed, its wall and CPU time and the load go to
# dev_loop.md (written when tests fail too, with the result; cores from getconf: nproc obeys OMP_NUM_THREADS=1)
FAST_NBS := ^(00_core|10_space|13_store|14_optimizers|15_runner|17a_hpo_compat|19_testfns)\.ipynb$$
test-fast: export OMP_NUM_THREADS = 1
test-fast: $(STAMP) lint  ## the quick loop (< 2 min): cheap library notebooks + pytest -m "not pipeline and not faults and not slow"
	@load=$$(cut -d' ' -f1-3 /proc/loadavg); start=$$(date +%s); \
	$(BIN)/nbdev_test --n_workers 1 --file_re '$(FAST_NBS)' & nbs=$$!; \
	$(BIN)/pytest -m "not pipeline and not faults and not slow" --durations=15 || rc=$$?; \
	wait $$nbs || rc=$${rc:-1}; \
	secs=$$(( $$(date +%s) - start )); cpu=$$(awk -v hz=$$(getconf CLK_TCK) '{printf "%.0f", ($$14 + $$15 + $$16 + $$17)/hz}' /proc/$$$$/stat); \
	result=$$([ $${rc:-0} = 0 ] && echo passed || echo "failed (exit $$rc)"); \
	printf '# make test-fast\n\n`make test-fast` (after the lint: the cheap library notebooks beside pytest -m "not pipeline and not faults and not slow") took %s s (%s CPU seconds), %s, on %s CPU cores (%s UTC; load average before it %s).\n' \
	    "$$secs" "$$cpu" "$$result" "$$(getconf _NPROCESSORS_ONLN)" "$$(date -u '+%Y-%m-%d %H:%M')" "$$load" > reports/tables/dev_loop.md; \
	echo "make test-fast: $$secs s ($$cpu CPU s), $$result (written to reports/tables/dev_loop.md)"; exit $${rc:-0}

# the docs site under _docs/ (README as index.html, one page per notebook) from the notebooks as committed, and
# README.md from nbs/index.ipynb (see .ci/site.py: Quarto, which nbdev_docs needs, cannot be installed from PyPI here)
docs: $(STAMP)  ## build the docs site into _docs/ from the notebooks (index.html is the README)
	$(PY) .ci/site.py site _docs

readme: $(STAMP)  ## write README.md from nbs/index.ipynb (its code cells' outputs included)
	$(PY) .ci/site.py readme README.md

# execute the library's notebooks in place (outputs kept for readers), then strip execution noise with nbdev_clean
NB_EXEC := $(sort $(wildcard nbs/[0-3]*.ipynb)) nbs/index.ipynb
nbs-execute: export OMP_NUM_THREADS = 1
nbs-execute: $(STAMP)  ## run notebooks 0x-3x and index in place, keeping outputs (then nbdev_clean them)
	@for nb in $(NB_EXEC); do echo "execute $$nb"; \
	    $(BIN)/jupyter nbconvert --to notebook --execute --inplace --log-level WARN "$$nb" && $(BIN)/nbdev_clean --fname "$$nb" || { echo "FAILED $$nb" >&2; exit 1; }; done

bench-train: $(STAMP)  ## engine throughput vs a bare PyTorch loop (ratio >= 0.9 expected)
	$(PY) -m bnnstudy.benchmarks.train

bench-quality: $(STAMP)  ## each seed model at default hyperparameters on the full data (long on CPU; resumes reports/tables/bench_quality.csv)
	$(PY) -m bnnstudy.benchmarks.quality

bench-hpo: $(STAMP)  ## HPO methods on the tabular suite + synthetic functions, 20 seeds (resumes reports/tables/bench_hpo.csv)
	OMP_NUM_THREADS=1 $(PY) -m bnnstudy.benchmarks.hpo --resume --workers 2

suite: $(STAMP)  ## build the tabular HPO suite's missing tables (reports/tables/suite, ~25 min on one core)
	OMP_NUM_THREADS=1 $(PY) -m bnnstudy.benchmarks.suite

bench-lr: $(STAMP)  ## learning-rate controllers on CPU-sized CIFAR-10 and IMDB subsets, 3 seeds
	$(PY) -m bnnstudy.benchmarks.lr

bench-parallel: $(STAMP)  ## 20 trials of a 1-second objective on 2 Dask workers vs sequentially (ratio ~0.5 expected)
	$(PY) -m bnnstudy.benchmarks.parallel

bench-faults: $(STAMP)  ## SIGKILL a running study >= 20 times, resume each time: trials lost, duplicated, history equal
	$(PY) -m bnnstudy.benchmarks.faults

# ---- the study: one papermill run per dataset x method x seed, files in and files out -----------------------
# reports/runs/<profile>/<study>/<dataset>/<method>/seed<k>/{run.ipynb, run.log, result.json, ...}; result.json is
# written last and atomically, so a run is complete when it exists. A run is redone when it is missing or when the
# content of its notebook or of the library (bnnstudy/report.py and _modidx.py aside) changed; a killed run resumes
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
LIB_SRC    := $(filter-out bnnstudy/_modidx.py bnnstudy/report.py,$(wildcard bnnstudy/*.py))
# the study needs the venv, but not a reinstall each time nbdev_export touches pyproject.toml: only when it is missing
NEED_VENV  := $(if $(wildcard $(STAMP)),,$(STAMP))
STUDY_GOALS := reproduce runs report-file
# ---- every variable a user may set is checked before it reaches a shell: $(shell) runs even under make -n, and
# recipes splice values into command lines. The value as given (unexpanded) may not hold a '$'; the expanded value is
# one word of the allowed characters (so no spaces, quotes, ';', '|', '&', '`' or '$'), and paths are quoted anyway.
NAME_CHARS := a b c d e f g h i j k l m n o p q r s t u v w x y z A B C D E F G H I J K L M N O P Q R S T U V W X Y Z \
              0 1 2 3 4 5 6 7 8 9 _ -
DIGITS     := 0 1 2 3 4 5 6 7 8 9
PATH_CHARS := $(NAME_CHARS) . / + @ :
# what is left of $(1) once every character listed in $(2) is removed: empty when $(1) uses only those characters
strip_chars = $(if $(2),$(call strip_chars,$(subst $(firstword $(2)),,$(1)),$(wordlist 2,$(words $(2)),$(2))),$(1))
# a '$' in the value a user gave (command line or environment), before make expands it
given_dollar = $(if $(or $(findstring command line,$(origin $(1))),$(findstring environment,$(origin $(1)))),$(findstring $$,$(value $(1))))
# $(call check_var,NAME,allowed characters,what NAME must be): one line and stop when the value of NAME breaks the rule
check_var = $(if $(or $(call given_dollar,$(1)),$(filter-out 1,$(words $($(1)))),$(call strip_chars,$($(1)),$(2))),\
    $(error $(1)='$(value $(1))' is not valid: give $(3)))
check_count = $(if $(value $(1)),$(call check_var,$(1),$(DIGITS),a positive whole number like 2)$(if $(filter 0%,$($(1))),\
    $(error $(1)='$($(1))' is not valid: give a positive whole number like 2, without leading zeros)))
# folders the study deletes and rewrites: given, plain (no spaces or shell characters; make cannot handle spaces in
# target names), and not climbing with '..'
check_dir = $(if $(strip $($(1))),,$(error $(1) is empty; give a folder))$(call check_var,$(1),$(PATH_CHARS),a folder path of letters$(comma) digits and _ - . / + @ : only (no spaces; use a symlink without them))$(if \
    $(filter ..,$(subst /, ,$($(1)))),$(error $(1)=$($(1)) contains '..'; give a path without '..'))
comma := ,
$(call check_var,PROFILE,$(NAME_CHARS),a profile name: smoke$(comma) cpu or full)
$(call check_count,THREADS)
$(call check_count,WORKERS)
# DATASETS=digits,wine_quality: the HPO studies on these (built-in or registered) datasets; names and commas only
ifneq ($(value DATASETS),)
$(call check_var,DATASETS,$(NAME_CHARS) $(comma),dataset names separated by commas$(comma) like digits$(comma)wine_quality)
endif
ifneq ($(value SCHEDULER),)
$(call check_var,SCHEDULER,$(PATH_CHARS),a scheduler address like tcp://10.0.0.5:8786 or tls://host:8786)
ifeq ($(filter tcp://% tls://%,$(SCHEDULER)),)
$(error SCHEDULER='$(SCHEDULER)' is not valid: give a scheduler address like tcp://10.0.0.5:8786 or tls://host:8786)
endif
ifneq ($(or $(call strip_chars,$(lastword $(subst :, ,$(SCHEDULER))),$(DIGITS)),$(if $(word 3,$(subst :, ,$(SCHEDULER))),,no)),)
$(error SCHEDULER='$(SCHEDULER)' has no port: give a scheduler address like tcp://10.0.0.5:8786 or tls://host:8786)
endif
endif
ifneq ($(filter-out 1,$(value FORCE)),)
$(error FORCE='$(value FORCE)' is not valid: give FORCE=1 or leave it out)
endif
ifneq ($(filter $(STUDY_GOALS) smoke report clean-runs,$(MAKECMDGOALS)),)
$(call check_dir,RUNS_DIR)
$(call check_dir,REPORT_DIR)
# the profile names from the package (no user input in this command), where the venv is there to ask
ifneq ($(wildcard $(PY)),)
PROFILES := $(shell $(PY) -W ignore -c 'from bnnstudy.runs import PROFILES; print(*PROFILES)' 2>/dev/null)
ifneq ($(PROFILES),)
ifeq ($(filter $(PROFILES),$(PROFILE)),)
$(error PROFILE=$(PROFILE) is not a profile: choose one of $(PROFILES))
endif
endif
endif
endif
# clean-runs deletes folders: only under this project's reports/ unless FORCE=1 (symlinks resolved)
ifneq ($(filter clean-runs,$(MAKECMDGOALS)),)
ifneq ($(FORCE),1)
ifeq ($(filter $(or $(realpath reports),$(abspath reports))/%,$(or $(realpath $(RUNS_DIR)),$(abspath $(RUNS_DIR)))),)
$(error RUNS_DIR=$(RUNS_DIR) is outside this project's reports/ folder; clean-runs deletes run folders only there: pass FORCE=1 to delete them anyway)
endif
endif
endif
ifneq ($(filter $(STUDY_GOALS),$(MAKECMDGOALS)),)
# a bad PROFILE or RUNS_DIR stops make with the command's one-line error (a failed $(shell) would read as "no runs")
STUDY_TARGETS := $(shell $(PY) -W ignore -m bnnstudy.runs targets --profile $(PROFILE) --runs_dir $(RUNS_DIR) $(if $(DATASETS),--datasets '$(DATASETS)') 2>&1)
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
$(call src_stamp,90_report): SRC_FILES = bnnstudy/report.py bnnstudy/runs.py bnnstudy/lr.py bnnstudy/metrics.py
$(call src_stamp,%): FORCE
	@mkdir -p '$(@D)'
	@sha256sum 'nbs/$*.ipynb' $(foreach f,$(SRC_FILES),'$(f)') > '$@.new'; if cmp -s '$@.new' '$@'; then rm '$@.new'; else mv '$@.new' '$@'; fi
FORCE:
run_word     = $(word $(1),$(subst /, ,$*))
run_stamp    = $(filter %.sha256,$^)

# $(call papermill,notebook,method parameter name,extra parameters): run the notebook into the target's folder.
# An out-of-date result, or a folder left by a killed run under other sources, starts afresh; a folder left by a
# killed run under these sources resumes (the notebooks pick up their trial store or partial table).
define papermill
	@if [ -f '$@' ] || ! cmp -s '$(run_stamp)' '$(@D)/.src.sha256'; then rm -rf -- '$(@D)'; fi
	@mkdir -p '$(@D)' && cp '$(run_stamp)' '$(@D)/.src.sha256'
	@echo 'run $*'
	@'$(PAPERMILL)' '$(1)' '$(@D)/run.ipynb' -k python3 --log-output --no-progress-bar \
	    -p dataset '$(call run_word,2)' -p $(2) '$(call run_word,3)' -p seed '$(patsubst seed%,%,$(call run_word,4))' \
	    -p profile '$(PROFILE)' -p out_dir '$(abspath $(@D))' $(if $(THREADS),-p threads '$(THREADS)') $(3) \
	    > '$(@D)/run.log' 2>&1 \
	  || { echo 'FAILED run $*: see $(@D)/run.log (executed notebook: $(@D)/run.ipynb)' >&2; exit 1; }
	@test -f '$@' || { echo 'FAILED run $*: finished without writing $@; see $(@D)/run.log' >&2; exit 1; }
	@'$(PY)' -W ignore -m bnnstudy.runs progress --profile '$(PROFILE)' --runs_dir '$(RUNS_DIR)' --run '$*' $(if $(DATASETS),--datasets '$(DATASETS)') || true
endef

$(TABLE_RUNS) $(HPO_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,50_hpo_experiment) $(NEED_VENV)
	$(call papermill,nbs/50_hpo_experiment.ipynb,method,$(if $(filter $(HPO_RUNS),$@),\
	    $(if $(WORKERS),-p n_workers '$(WORKERS)') $(if $(SCHEDULER),-p scheduler_address '$(SCHEDULER)')))

$(REPLAY_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,52_replay_experiment) $(TABLE_RUNS) $(NEED_VENV)
	$(call papermill,nbs/52_replay_experiment.ipynb,method,\
	    -p table '$(abspath $(dir $(call runs_with,/table/$(call run_word,2)/,$(TABLE_RUNS))))/table.parquet')

# a table run copies the committed design table of its dataset (bnnstudy.runs.design_table) when it matches the
# profile: a rebuilt or grown table (make tables) redoes the table run, and with it the replays
table_dataset = $(firstword $(subst /, ,$(patsubst $(RUNS_DIR)/table/%,%,$(1))))
$(foreach r,$(TABLE_RUNS),$(eval $(r): $(wildcard reports/tables/design/$(call table_dataset,$(r)).parquet)))

# a quantile arm (<signal>_q<NN>-lr<rate>) reads its threshold off the fixed-rate arm's run (fixed-lr<rate>) of the
# same dataset and seed: that run first (make -j orders them; without it the notebook would recompute it)
lr_parts     = $(subst /, ,$(patsubst $(RUNS_DIR)/lr/%,%,$(1)))
lr_fixed_run = $(RUNS_DIR)/lr/$(word 1,$(call lr_parts,$(1)))/fixed-lr$(word 2,$(subst -lr, ,$(word 2,$(call lr_parts,$(1)))))/$(word 3,$(call lr_parts,$(1)))/result.json
$(foreach r,$(LR_RUNS),$(if $(findstring _q,$(word 2,$(call lr_parts,$(r)))),$(if $(filter $(call lr_fixed_run,$(r)),$(LR_RUNS)),$(eval $(r): $(call lr_fixed_run,$(r))))))
$(LR_RUNS): $(RUNS_DIR)/%/result.json: $(call src_stamp,51_lr_experiment) $(NEED_VENV)
	$(call papermill,nbs/51_lr_experiment.ipynb,controller)

# the report: figures, tables, report.ipynb and report.html under $(REPORT_DIR), from the result files only;
# report.html, the target, appears last and whole (a killed report is redone)
define report_recipe
	@mkdir -p '$(REPORT_DIR)'
	@echo 'report $(RUNS_DIR) -> $(REPORT_DIR)'
	@'$(PAPERMILL)' nbs/90_report.ipynb '$(REPORT_DIR)/report.ipynb' -k python3 --log-output --no-progress-bar \
	    -p runs_dir '$(abspath $(RUNS_DIR))' -p out_dir '$(abspath $(REPORT_DIR))' > '$(REPORT_DIR)/report.log' 2>&1 \
	  || { echo 'FAILED report: see $(REPORT_DIR)/report.log (executed notebook: $(REPORT_DIR)/report.ipynb)' >&2; exit 1; }
	@'$(BIN)/jupyter' nbconvert --to html --no-input --log-level WARN '$(REPORT_DIR)/report.ipynb' --output-dir '$(REPORT_DIR)' \
	    --output report.partial
	@mv '$(REPORT_DIR)/report.partial.html' '$(REPORT_DIR)/report.html'
endef

runs: $(ALL_RUNS)  ## every run of PROFILE that is missing or out of date (make -j N runs them in parallel)

report-file: $(REPORT_DIR)/report.html
$(REPORT_DIR)/report.html: $(ALL_RUNS) $(call src_stamp,90_report) $(NEED_VENV)
	$(report_recipe)

# one reproduce per runs folder at a time (util-linux flock, where there is one): the lock dies with its holder, kill -9 too
LOCK := $(if $(shell command -v flock),flock -n -E 75 '$(RUNS_DIR)/.lock')
reproduce: $(NEED_VENV)  ## the study: runs + report (PROFILE=cpu by default; PROFILE=full for a GPU); redoes only what changed
	@mkdir -p '$(RUNS_DIR)' && touch '$(RUNS_DIR)/.started'
	@$(LOCK) $(MAKE) --no-print-directory runs report-file 'PROFILE=$(PROFILE)' || { rc=$$?; [ $$rc != 75 ] || \
	    echo 'another make reproduce is running in $(RUNS_DIR); wait for it (or end it) and run this again' >&2; exit $$rc; }
	@echo 'study $(PROFILE): results in $(RUNS_DIR), report in $(REPORT_DIR)/report.html'

.PHONY: clean-runs
clean-runs:  ## delete PROFILE's run folders and stamps (RUNS_DIR): the next reproduce redoes every run
	rm -rf -- $(foreach d,table hpo replay lr,'$(RUNS_DIR)/$(d)') $(foreach f,$(wildcard $(RUNS_DIR)/.src-*.sha256),'$(f)')

smoke: $(NEED_VENV)  ## the whole pipeline on tiny slices (PROFILE=smoke; reports/runs/smoke, reports/smoke)
	@$(MAKE) --no-print-directory reproduce PROFILE=smoke

report: $(NEED_VENV)  ## rebuild the report from the results there are (RUNS_DIR, REPORT_DIR; no training)
	$(report_recipe)

# headless: no browser, local connections only, --allow-root only when run as root; the URL (with its token) is printed
lab: $(STAMP)  ## open JupyterLab on the notebooks (prints the URL to open; Ctrl-C stops it)
	@echo "JupyterLab on nbs/: open the http://127.0.0.1:... URL printed below (Ctrl-C stops the server)"
	$(BIN)/jupyter lab nbs --no-browser --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root)

clean:  ## remove caches and run outputs (keeps .venv and the committed report tables/figures)
	rm -rf -- 'reports/runs' 'reports/smoke' '.cache' '_proc' '_docs' '.pytest_cache'
	find . -name __pycache__ -not -path './.venv/*' -exec rm -rf {} +

# ---- the seeded design tables the replays search (bnnstudy.tables, nbs/33_tables.ipynb): the profile's `tables`
# entry, every configuration trained with every training seed, per-epoch curves kept. Resumable: rows already in
# TABLES_DIR/<dataset>.parquet are kept and the table is rewritten atomically every few rows, so a killed or stopped
# build loses at most those rows; commit the folder as it grows. The committed tables are the cpu profile's
# (reports/tables/design, which `make reproduce` replays); another profile builds into its own folder.
# TABLE_SECONDS=N starts no row after N seconds (one session of a build that takes hours); THREADS as above (default:
# the profile's); DATASETS=imdb,mnist: only those tables.
TABLES_DIR    ?= reports/tables/design$(if $(filter-out cpu,$(PROFILE)),-$(PROFILE))
TABLE_SECONDS ?=
ifneq ($(filter tables,$(MAKECMDGOALS)),)
$(call check_dir,TABLES_DIR)
$(call check_count,TABLE_SECONDS)
endif
.PHONY: tables
tables: $(NEED_VENV)  ## build/resume the seeded design tables (hours: TABLE_SECONDS=, DATASETS=; reports/tables/design)
	$(PY) -m bnnstudy.tables build --profile '$(PROFILE)' --folder '$(TABLES_DIR)' $(if $(THREADS),--threads '$(THREADS)') \
	    $(if $(DATASETS),--datasets '$(DATASETS)') $(if $(TABLE_SECONDS),--max_seconds '$(TABLE_SECONDS)')
	@mkdir -p '$(TABLES_DIR)'
	$(PY) -m bnnstudy.tables estimate --profile '$(PROFILE)' --folder '$(TABLES_DIR)' > '$(TABLES_DIR)/estimate.md.new'
	@mv '$(TABLES_DIR)/estimate.md.new' '$(TABLES_DIR)/estimate.md' && echo 'estimate written to $(TABLES_DIR)/estimate.md'

.PHONY: bench-data
bench-data: $(STAMP)  ## load times of the five datasets: first load, from the disk cache, memoised (about a minute)
	$(PY) -c 'from bnnstudy.benchmarks.train import time_loads; time_loads()'

# evidence for the house-style issue, printed by a command: code cells per notebook, the longest, those over 45 lines,
# `#| hide` cells, the measured time of `make lint`, exported names and @patch methods without a docstring
.PHONY: house
house: $(STAMP)  ## count notebook cells (> 45 lines, #| hide), time make lint, list undocumented names (reports/tables/house.md)
	$(PY) .ci/house.py reports/tables/house.md

.PHONY: bench-ask
bench-ask: $(STAMP)  ## seconds per warm refit + log-EI ask per surrogate and observations (reports/tables/bench_ask.{csv,md})
	OMP_NUM_THREADS=1 $(PY) -m bnnstudy.benchmarks.ask
