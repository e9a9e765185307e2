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

# Markers for `make test-fast` (registered in pyproject.toml): by file, by fixture and by measured duration. SLOW lists
# the tests that took 3 s or more in one `OMP_NUM_THREADS=1 nice -n 10 pytest -m "not pipeline and not faults and not slow"
# --durations=60` on the shared 2-core machine while other work kept it busy (load 6-12, 2026-11-30; about a third of
# that when idle), plus those over 10 s in the earlier run: subprocesses (fresh interpreters, make, papermill), model
# fits, the Dask cluster. `make test` runs them all; `make test-fast` prints its 15 slowest so the list can be kept up.
SLOW = {
    "test_store.py::test_two_processes_ask_and_tell_into_one_store",                    # 246 s (bnn), 107 s (random) (earlier run)
    "test_store.py::test_torn_wal_write_is_discarded_with_a_warning",                   # 94 s, 52 s (earlier run)
    "test_store.py::test_a_forked_child_leaves_the_parents_store_alone",                # 90 s (earlier run)
    "test_store.py::test_store_survives_a_killed_writer",                               # 64 s (earlier run)
    "test_store.py::test_unclean_shutdown_is_recovered_with_one_warning",               # 47 s (earlier run)
    "test_parallel.py::test_script_without_main_guard_is_told_what_to_do",              # 89 s (earlier run)
    "test_parallel.py::test_dying_worker_fails_its_trial_and_the_study_goes_on",        # 52 s (earlier run)
    "test_parallel.py::test_import_is_light",                                           # 41 s (earlier run)
    "test_parallel.py::test_through_minimize_n_workers",                                # 29 s (earlier run)
    "test_parallel.py::test_slow_trial_does_not_block_the_others",                      # 25 s (earlier run)
    "test_parallel.py::test_interrupt_closes_the_cluster_and_the_study_resumes",        # 19 s (earlier run)
    "test_parallel.py::test_workers_use_one_thread_for_torch",                          # 11 s (earlier run)
    "test_train.py::test_augmented_image_training_is_bit_identical",                    # 24 s (set-up) (earlier run)
    "test_train.py::test_single_logit_binary_model_trains_with_bce",                    # 24 s (set-up) (earlier run)
    "test_surrogate.py::test_predictions_are_in_target_units_and_fit_the_data",         # 17 s (bll) (earlier run)
    "test_surrogate.py::test_warm_started_sequences_are_reproducible",                  # 17 s (bll) (earlier run)
    "test_surrogate.py::test_same_seed_same_data_identical_predictions",                # 17 s (bll) (earlier run)
    "test_data.py::test_offline_without_local_files_is_one_line_naming_hub_and_data_dir",  # 13 s (earlier run)
    "test_own_data.py::test_a_plugin_model_is_found_by_a_papermill_kernel",             # 90 s
    "test_hpo.py::test_tpe_adds_a_told_trial_in_constant_time",                         # 70 s
    "test_parallel.py::test_security_true_runs_the_trials_on_a_tls_cluster_others_cannot_join",  # 43 s
    "test_parallel.py::test_failing_objectives_are_failed_trials",                      # 31 s, 16 s (setup)
    "test_own_data.py::test_make_takes_registered_datasets",                            # 30 s
    "test_own_data.py::test_a_registration_is_seen_by_another_process_and_the_hpo_study",  # 29 s
    "test_store.py::test_resume_gives_the_same_study_as_one_run",                       # 21 s [gp], 6 s [bnn]
    "test_layers.py::test_each_module_imports_in_a_fresh_interpreter",                  # 4-18 s each (acquisition 18 s)
    "test_sync.py::test_module_matches_notebooks",                                      # 16 s
    "test_makefile.py::test_clean_runs_outside_reports_needs_force",                    # 16 s
    "test_metrics.py::test_import_does_not_load_torch",                                 # 15 s
    "test_layers.py::test_layers_without_torch_stay_without_torch",                     # 13 s
    "test_makefile.py::test_good_values_reach_the_commands_quoted",                     # 13 s
    "test_surrogate.py::test_space_and_acquisition_do_not_import_torch",                # 13 s
    "test_make_lab.py::test_lab_starts_headless_and_prints_its_url",                    # 12 s
    "test_space.py::test_import_does_not_load_torch",                                   # 10 s
    "test_optuna.py::test_to_optuna_opens_a_native_study_in_optuna_visualization",      # 10 s
    "test_train.py::test_augment_runs_on_training_batches_only",                        # 9 s
    "test_data.py::test_local_files_need_no_hub",                                       # 8 s
    "test_lr.py::test_uncertainty_lr_resumes_exactly",                                  # 8 s [<lambda>-median0]
    "test_parallel.py::test_bnn_optimizer_with_pending_trials",                         # 8 s
    "test_optuna.py::test_pruned_configurations_are_never_proposed_again",              # 7 s
    "test_layers.py::test_every_registered_surrogate_satisfies_the_protocol",           # 7 s
    "test_runs_progress.py::test_progress_command_line",                                # 7 s
    "test_runs_progress.py::test_estimate_command_names_its_calibration_source",        # 7 s
    "test_makefile.py::test_unknown_profile_is_named_with_the_choices",                 # 6 s
    "test_hpo.py::test_model_methods_keep_going_with_failures",                         # 5 s [gp]
    "test_optuna.py::test_bnn_sampler_minimises_a_small_function",                      # 5 s
    "test_suite.py::test_build_resumes_from_its_chunks",                                # 5 s
    "test_metrics.py::test_temperature_is_the_nll_minimum",                             # 5 s
    "test_layers.py::test_test_functions_are_defined_once",                             # 5 s
    "test_parallel.py::test_security_is_refused_where_it_cannot_apply",                 # 4 s (teardown)
    "test_optuna.py::test_running_trials_are_pending_and_the_optimizer_is_kept",        # 4 s
    "test_hpo.py::test_import_hpo_does_not_import_torch",                               # 4 s
    "test_hpo.py::test_minimize_without_workers_does_not_import_dask",                  # 4 s
    "test_report.py::test_report_figures_render_with_their_alt_text",                   # 4 s
    "test_store.py::test_a_torn_copy_is_refused_never_a_new_empty_study",               # 4 s
    "test_sync.py::test_notebooks_are_clean",                                           # 4 s
    "test_store.py::test_empty_or_foreign_sqlite_files_are_one_line_errors",            # 4 s [<lambda>-without tables]
    "test_metrics.py::test_reliability_diagram_draws_one_bar_per_filled_bin",           # 4 s
    "test_layers.py::test_ordinal_spaces_run_in_every_method",                          # 4 s [bnn]
    "test_optuna.py::test_seeded_studies_are_identical_and_startup_is_random",          # 4 s
    "test_train.py::test_early_stopping_restores_the_best_weights",                     # 3 s
    "test_train.py::test_same_seed_is_bit_identical_and_another_seed_differs",          # 3 s
    "test_hpo.py::test_each_method_runs_in_minimize",                                   # 3 s [gp]
    "test_optuna.py::test_maximise_direction_is_respected",                             # 3 s
    "test_bench_default.py::test_huge_finite_losses_do_not_poison_the_surrogate",       # 3 s [gp]
    # the first `make test-fast` with the list above (load ~7): its slowest
    "test_tables.py::test_resume_after_kill_keeps_the_rows_done",                         # 66 s
    "test_sync.py::test_clean_keeps_outputs_and_drops_execution_noise",                   # 6 s
    "test_bench_hpo.py::test_main_resumes_and_writes_the_markdown",                       # 6 s
    "test_progress.py::test_progress_to_a_file_writes_a_few_plain_lines",                 # 4 s (00_core's notebook runs in the loop)
    "test_progress.py::test_progress_can_be_switched_off",                                # 3 s
    "test_lr.py::test_every_controller_resumes_exactly",                                  # 3 s [bold_driver]
    "test_optuna.py::test_sampler_benchmark_writes_its_tables",                           # 3 s
    # the second (load ~6): its slowest
    "test_tables.py::test_a_crash_mid_write_leaves_the_previous_table",                   # 199 s
    "test_lr.py::test_state_dict_loaded_before_fit_binds_later",                          # 13 s
    "test_layers.py::test_the_graph_sees_imports_inside_functions",                       # 7 s
    "test_surrogate.py::test_refit_on_a_new_dimension_starts_afresh",                     # 5 s
    "test_lr.py::test_lr_study_run_reports_what_the_study_needs",                         # 5 s
    "test_bench_train.py::test_time_loads_is_a_benchmark_not_a_library_function",         # 5 s (a benchmark)
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
        # a local Dask cluster takes ~15 s to start on a busy machine (test_parallel's `cluster` fixture)
        if "cluster" in getattr(item, "fixturenames", ()): item.add_marker(pytest.mark.slow)

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
