"The pipeline tests' shared pieces: a copy of the project to run make in, and one uninterrupted `make smoke` per session."
import os, shutil, subprocess, time
from pathlib import Path
from types import SimpleNamespace
import pytest
from bnnstudy.testfns import FUNCTIONS

ROOT = Path(__file__).resolve().parents[1]

def copy_project(dest: Path) -> Path:
    "A copy of the project (sources, notebooks, Makefile; the venv linked) that edits elsewhere cannot change mid-test."
    dest.mkdir(parents=True)
    for name in ("Makefile", "settings.ini", "pyproject.toml"): shutil.copy(ROOT/name, dest/name)
    for name in ("nbs", "bnnstudy"): shutil.copytree(ROOT/name, dest/name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (dest/".venv").symlink_to(ROOT/".venv")
    return dest

def project_env(project: Path, **extra) -> dict:
    "The environment of a command in `project`: its kernels and commands import the copy's bnnstudy (PYTHONPATH), one thread each."
    return os.environ | {"PYTHONPATH": str(project), "OMP_NUM_THREADS": "1",
                         "BNNSTUDY_DATA_DIR": os.environ.get("BNNSTUDY_DATA_DIR", str(ROOT.parent/"shared"/"data"))} | extra

def run_make(project: Path, *args) -> subprocess.CompletedProcess:
    "Run make in `project` to the end; its output as text."
    return subprocess.run(["make", "--no-print-directory", *args], cwd=project, capture_output=True, text=True, env=project_env(project))

# Markers for `make test-fast` (registered in pyproject.toml): by file, and by measured duration. SLOW lists the tests
# that took over 10 s in `OMP_NUM_THREADS=1 nice -n 10 pytest --durations=40` of the tests outside the pipeline, faults
# and docs files, on this 2-core machine while other work kept it busy (load ~9): roughly 3 s and more when idle.
SLOW = {
    "test_store.py::test_two_processes_ask_and_tell_into_one_store",            # 246 s (bnn), 107 s (random)
    "test_store.py::test_torn_wal_write_is_discarded_with_a_warning",           # 94 s, 52 s
    "test_store.py::test_a_forked_child_leaves_the_parents_store_alone",        # 90 s
    "test_store.py::test_store_survives_a_killed_writer",                       # 64 s
    "test_store.py::test_unclean_shutdown_is_recovered_with_one_warning",       # 47 s
    "test_parallel.py::test_script_without_main_guard_is_told_what_to_do",      # 89 s
    "test_parallel.py::test_dying_worker_fails_its_trial_and_the_study_goes_on",  # 52 s
    "test_parallel.py::test_import_is_light",                                   # 41 s
    "test_parallel.py::test_through_minimize_n_workers",                        # 29 s
    "test_parallel.py::test_slow_trial_does_not_block_the_others",              # 25 s
    "test_parallel.py::test_interrupt_closes_the_cluster_and_the_study_resumes",  # 19 s
    "test_parallel.py::test_workers_use_one_thread_for_torch",                  # 11 s
    "test_train.py::test_augmented_image_training_is_bit_identical",            # 24 s (set-up)
    "test_train.py::test_single_logit_binary_model_trains_with_bce",            # 24 s (set-up)
    "test_surrogate.py::test_predictions_are_in_target_units_and_fit_the_data",  # 17 s (bll)
    "test_surrogate.py::test_warm_started_sequences_are_reproducible",          # 17 s (bll)
    "test_surrogate.py::test_same_seed_same_data_identical_predictions",        # 17 s (bll)
    "test_data.py::test_offline_without_local_files_is_one_line_naming_hub_and_data_dir",  # 13 s
}

def file_markers(name: str) -> tuple:
    "The markers every test of the file `name` gets: the end-to-end make runs, the kill-and-resume runs, the docs build."
    if name.startswith("test_pipeline"): return ("pipeline",)
    # the docs build renders every notebook (minutes on a busy machine): CI runs it, the everyday loop does not
    return {"test_faults.py": ("faults",), "test_docs.py": ("docs", "slow")}.get(name, ())

def pytest_collection_modifyitems(config, items):
    for item in items:
        for mark in file_markers(item.path.name): item.add_marker(getattr(pytest.mark, mark))
        if f"{item.path.name}::{item.originalname}" in SLOW: item.add_marker(pytest.mark.slow)

# The mixed toy of bnnstudy.testfns (defined once there, not per test file): a 4-way categorical `kind`, an integer `n`,
# a float `x`, a log-scale float `lr` and a numeric choice `bs`; smooth, minimum 0 at kind='b', n=21, x=0.7, lr=10**-2.5,
# bs=32. Tests that need "a mixed space and a cheap objective" use these; `MIXED` for module-level helpers.
MIXED = FUNCTIONS["mixed"]

@pytest.fixture
def mixed_space():
    "The mixed toy's SearchSpace (kind, n, x, lr, bs)."
    return MIXED.space

@pytest.fixture
def mixed_toy():
    "The mixed toy objective: a callable params -> float (a `bnnstudy.testfns.TestFunction`, with `.space` and `.optimum`)."
    return MIXED

@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path/"project")

@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory):
    "One uninterrupted `make smoke` into its own runs and report folders, run once and shared by the pipeline tests."
    base = tmp_path_factory.mktemp("smoke")
    proj, runs, report = copy_project(base/"project"), base/"runs", base/"report"
    started = time.monotonic()
    done = run_make(proj, "smoke", f"RUNS_DIR={runs}", f"REPORT_DIR={report}")
    return SimpleNamespace(project=proj, runs=runs, report=report, args=["smoke", f"RUNS_DIR={runs}", f"REPORT_DIR={report}"],
                           make=done, seconds=time.monotonic() - started)
