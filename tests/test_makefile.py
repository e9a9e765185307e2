"The Makefile's variables never reach a shell unchecked, and its deletions stay inside the project's reports/ (issue 12, items 1 and 13)."
import pytest
from conftest import run_make

def errors(res) -> list[str]: return [l for l in res.stderr.splitlines() if l.strip()]

def test_clean_runs_with_a_space_in_the_path_deletes_nothing(tmp_path, project):
    precious = tmp_path/"precious"
    (precious/"table").mkdir(parents=True); (precious/"keep.txt").write_text("mine")
    for extra in ([], ["FORCE=1"]):
        res = run_make(project, "clean-runs", f"RUNS_DIR={tmp_path}/precious my runs", *extra)
        assert res.returncode != 0 and len(errors(res)) == 1 and "no spaces" in res.stderr, res.stderr
        assert (precious/"keep.txt").exists() and (precious/"table").is_dir()

def test_clean_runs_outside_reports_needs_force(tmp_path, project):
    runs = tmp_path/"elsewhere"
    (runs/"hpo/x").mkdir(parents=True); (runs/"notes.txt").write_text("mine")
    res = run_make(project, "clean-runs", f"RUNS_DIR={runs}")
    assert res.returncode != 0 and len(errors(res)) == 1 and "outside this project's reports/" in res.stderr and "FORCE=1" in res.stderr
    assert (runs/"hpo/x").is_dir()
    (project/"reports/runs/cpu/hpo/x").mkdir(parents=True)
    (project/"reports/out").symlink_to(tmp_path)   # a link under reports/ that leads outside counts as outside
    assert run_make(project, "clean-runs", "RUNS_DIR=reports/out/elsewhere").returncode != 0 and (runs/"hpo/x").is_dir()
    assert run_make(project, "clean-runs").returncode == 0 and not (project/"reports/runs/cpu/hpo").exists()
    res = run_make(project, "clean-runs", f"RUNS_DIR={runs}", "FORCE=1")
    assert res.returncode == 0, res.stderr
    assert not (runs/"hpo").exists() and (runs/"notes.txt").exists()

def test_a_command_in_profile_does_not_run_even_in_a_dry_run(tmp_path, project):
    marker = tmp_path/"p"
    for value in (f"smoke$$(touch {marker})", f"smoke$(touch {marker})", f"$(shell touch {marker})", f"smoke`touch {marker}`"):
        res = run_make(project, "-n", "runs", f"PROFILE={value}")
        assert res.returncode != 0 and len(errors(res)) == 1 and "PROFILE=" in res.stderr, res.stderr
        assert not marker.exists(), value

def test_unknown_profile_is_named_with_the_choices(project):
    res = run_make(project, "-n", "runs", "PROFILE=laptop")
    assert res.returncode != 0 and errors(res) and "choose one of smoke cpu full" in errors(res)[0]

@pytest.mark.parametrize("var, value", [
    ("THREADS", "1;touch {m}"), ("THREADS", "many"), ("THREADS", "0"), ("THREADS", "-1"),
    ("WORKERS", "2 -p out_dir /elsewhere"), ("WORKERS", "2;touch {m}"), ("WORKERS", "02"),
    ("SCHEDULER", "tcp://h:1;touch {m}"), ("SCHEDULER", "tcp://10.0.0.5"), ("SCHEDULER", "http://10.0.0.5:8786"),
    ("SCHEDULER", "tcp://h:8786 -p out_dir /elsewhere"),
    ("RUNS_DIR", "{d}/runs;touch {m}"), ("RUNS_DIR", "{d}/$$(touch {m})"), ("REPORT_DIR", "{d}/a b"), ("FORCE", "yes"),
])
def test_each_variable_is_checked_before_any_shell(tmp_path, project, var, value):
    marker = tmp_path/"m"
    res = run_make(project, "-n", "runs", "PROFILE=smoke", f"RUNS_DIR={tmp_path}/runs",
                   f"{var}={value.format(m=marker, d=tmp_path)}")
    assert res.returncode != 0 and len(errors(res)) == 1 and f"{var}=" in res.stderr and "give" in res.stderr, res.stderr
    assert not marker.exists() and "papermill" not in res.stdout

def test_good_values_reach_the_commands_quoted(tmp_path, project):
    res = run_make(project, "-n", "runs", "PROFILE=smoke", f"RUNS_DIR={tmp_path}/runs", "THREADS=2", "WORKERS=3",
                   "SCHEDULER=tls://sched.example.org:8786")
    assert res.returncode == 0, res.stderr
    hpo = [l for l in res.stdout.splitlines() if "papermill" in l and "/hpo/" in l]
    assert hpo and all("-p threads '2'" in l and "-p n_workers '3' -p scheduler_address 'tls://sched.example.org:8786'" in l for l in hpo)
    assert all(f"'{tmp_path}/runs/" in l for l in hpo)
