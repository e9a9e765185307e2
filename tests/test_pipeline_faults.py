"The study pipeline under faults: a killed make resumes, bad parameters and bad files stop with one clear line, nothing is unpickled."
import ast, json, os, re, shutil, signal, subprocess, sys, time, uuid, warnings
from pathlib import Path
import pandas as pd
import psutil
import pytest
from conftest import ROOT, project_env, run_make

BIN = Path(sys.executable).parent

# ---- a killed `make smoke` ----------------------------------------------------------------------------------------

def _processes_with(marker: str) -> list[psutil.Process]:
    "Live processes whose environment holds `marker` (every process a command started with it inherits it)."
    found = []
    for p in psutil.process_iter():
        try:
            if p.environ().get("BNNSTUDY_TEST_MARKER") == marker and p.status() != psutil.STATUS_ZOMBIE: found.append(p)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess): pass
    return found

def _kill_everything(make: subprocess.Popen, marker: str):
    "SIGKILL make's process group, then the kernels (papermill starts them in a session of their own), each by pid."
    try: os.killpg(make.pid, signal.SIGKILL)   # make, sub-makes, shells, papermill
    except ProcessLookupError: pass
    make.wait()
    for _ in range(100):
        left = _processes_with(marker)
        if not left: return
        for p in left:
            try: p.kill()
            except psutil.NoSuchProcess: pass
        time.sleep(0.1)
    raise AssertionError(f"processes of the killed make still alive: {left}")

def _tables(report: Path) -> dict[str, pd.DataFrame]:
    """The report's CSV tables without their wall-clock columns. Every column whose name holds "seconds" is a measured
    time (training, surrogate and total seconds, and their medians to target): it differs between any two runs of the
    same study, killed or not. Everything else (values, best configurations, ranks, runs to target, calibration,
    epochs) is a deterministic function of the seeds and must be equal."""
    out = {}
    for f in sorted((report/"tables").glob("*.csv")):
        df = pd.read_csv(f)
        out[f.name] = df[[c for c in df.columns if "seconds" not in c]]
    return out

def test_killed_smoke_redoes_only_unfinished_runs_and_reports_the_same(tmp_path, smoke_study):
    assert smoke_study.make.returncode == 0, smoke_study.make.stderr
    from bnnstudy.runs import run_specs, load_results
    proj, runs, report = smoke_study.project, tmp_path/"runs", tmp_path/"report"
    args = ["smoke", f"RUNS_DIR={runs}", f"REPORT_DIR={report}"]
    expected = {s.result_path(runs): s.relpath for s in run_specs("smoke")}
    marker = uuid.uuid4().hex
    with open(tmp_path/"killed.log", "w") as log:
        make = subprocess.Popen(["make", "--no-print-directory", *args], cwd=proj, stdout=log, stderr=subprocess.STDOUT,
                                env=project_env(proj, BNNSTUDY_TEST_MARKER=marker), start_new_session=True)
        try:   # kill once some runs are complete and another is under way (its folder started, no result yet), best
            concurrent = None   # one that has begun its trial store; failing that, once four runs are complete
            while make.poll() is None:
                done = [p for p in expected if p.exists()]
                busy = [p for p in expected if not p.exists() and (p.parent/"run.log").exists()]
                if busy and concurrent is None:   # a second make on the same runs folder is turned away
                    concurrent = run_make(proj, *args)
                storing = [p for p in busy if (p.parent/"trials.sqlite").exists()]
                if 2 <= len(done) < len(expected) and busy and (storing or len(done) >= 4): break
                time.sleep(0.05)
            assert make.poll() is None, "make finished before it could be killed: " + (tmp_path/"killed.log").read_text()
        finally: _kill_everything(make, marker)
    assert concurrent.returncode != 0 and "another make reproduce is running in" in concurrent.stderr, concurrent.stderr
    assert "run " not in concurrent.stdout
    complete = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in expected if p.exists()}
    unfinished = {expected[p] for p in expected if p not in complete}
    half_written = [rel for rel in unfinished if (runs/rel).is_dir()]
    print(f"killed with {len(complete)} of {len(expected)} runs complete; half-written:",
          {rel: sorted(f.name for f in (runs/rel).iterdir()) for rel in half_written})
    from bnnstudy.hpo import load_study
    for rel in half_written:
        if (runs/rel/"trials.sqlite").is_file():
            try: print(rel, "stored", load_study(runs/rel/"trials.sqlite"))
            except Exception as e: print(rel, "stored nothing readable yet:", type(e).__name__, e)   # killed while creating it
    assert 2 <= len(complete) < len(expected) and half_written

    again = run_make(proj, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    redone = {l.removeprefix("run ") for l in again.stdout.splitlines() if l.startswith("run ")}
    assert redone == unfinished, f"redid {sorted(redone)}, but the unfinished runs were {sorted(unfinished)}"
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in complete} == complete, "a complete run was touched"
    assert sorted(Path(r["path"]) for r in load_results(runs)) == sorted(expected)
    ours, theirs = _tables(report), _tables(smoke_study.report)
    assert list(ours) == list(theirs) and len(ours) >= 9
    for name in ours: pd.testing.assert_frame_equal(ours[name], theirs[name], check_exact=True, obj=name)

# ---- a killed HPO run resumes from its trial store --------------------------------------------------------------

@pytest.mark.parametrize("workers", [None, 1])
def test_hpo_run_resumes_its_trial_store(tmp_path, smoke_study, workers):
    """An HPO run killed after two told trials and one in flight: run again (in its kernel, or on a one-worker Dask
    cluster through the notebook's `n_workers`), it keeps those, redoes the one in flight, ends as an uninterrupted run."""
    from bnnstudy.hpo import load_study
    from bnnstudy.runs import read_result
    from bnnstudy.store import StoreRecoveredWarning
    proj, out = smoke_study.project, tmp_path/"runs/hpo/wine_quality/random/seed0"
    out.mkdir(parents=True)
    store = out/"trials.sqlite"
    seed_store = (f"from bnnstudy.experiment import HPOObjective, live_search, use_threads\n"
                  f"use_threads(None, 'smoke')\n"
                  f"opt = live_search(HPOObjective('wine_quality', 'smoke'), 'random', 0, 2, storage={str(store)!r})\n"
                  f"opt.ask()   # asked, never told: the trial in flight when the run was killed\n")
    subprocess.run([sys.executable, "-c", seed_store], cwd=proj, env=project_env(proj), check=True, capture_output=True)
    before = load_study(store)
    told = {t.id: t for t in before.trials if t.told}
    in_flight = [t for t in before.trials if not t.told]
    assert len(told) == 2 and len(in_flight) == 1
    subprocess.run([BIN/"papermill", "nbs/50_hpo_experiment.ipynb", str(out/"run.ipynb"), "-k", "python3", "--no-progress-bar",
                    "-p", "dataset", "wine_quality", "-p", "method", "random", "-p", "seed", "0", "-p", "profile", "smoke",
                    "-p", "out_dir", str(out), *(["-p", "n_workers", str(workers)] if workers else [])],
                   cwd=proj, env=project_env(proj), check=True, capture_output=True)
    with warnings.catch_warnings():   # the finished run closed its store: reopening it recovers nothing
        warnings.simplefilter("error", StoreRecoveredWarning)
        after = {t.id: t for t in load_study(store).trials}
    for i, t in told.items():   # kept as they were, not trained again
        assert (after[i].params, after[i].value, after[i].started_at, after[i].finished_at) == (t.params, t.value, t.started_at, t.finished_at)
    assert after[in_flight[0].id].told and after[in_flight[0].id].params == in_flight[0].params
    result = read_result(out/"result.json")
    assert len(result["trials"]) == 6 and len(after) == 6 and result["params"]["n_workers"] == workers
    uninterrupted = read_result(smoke_study.runs/"hpo/wine_quality/random/seed0/result.json")
    assert [(t["params"], t["value"]) for t in result["trials"]] == [(t["params"], t["value"]) for t in uninterrupted["trials"]]
    assert result["best"] == uninterrupted["best"]

# ---- bad input: one clear line ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, message", [
    (["runs", "PROFILE=laptop"], "PROFILE=laptop is not a profile: choose one of smoke cpu full"),
    (["runs", "PROFILE=smoke", "RUNS_DIR=reports/runs/../../elsewhere"], "RUNS_DIR=reports/runs/../../elsewhere contains '..'"),
    (["smoke", "REPORT_DIR=../outside"], "REPORT_DIR=../outside contains '..'"),
    (["report", "RUNS_DIR="], "RUNS_DIR is empty"),
])
def test_make_rejects_bad_profile_and_folders_in_one_line(project, args, message):
    res = run_make(project, *args)
    assert res.returncode != 0
    errors = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(errors) == 1 and message in errors[0], res.stderr
    assert not (project/"reports").exists(), "something was written before the check"

@pytest.mark.parametrize("notebook, params, message", [
    ("50_hpo_experiment", dict(dataset="wine_quality", method="../x"), "method must be a plain name"),
    ("51_lr_experiment", dict(dataset="imdb", controller="adaptive"), "unknown controller 'adaptive'"),
    ("52_replay_experiment", dict(dataset="wine", method="tpe"), "unknown dataset 'wine'"),
])
def test_experiment_notebooks_check_parameters_before_writing(tmp_path, project, notebook, params, message):
    "Papermill with a bad name: the run fails with the check's message, and its out_dir stays unwritten."
    out = tmp_path/"runs"/"somewhere"
    cmd = [BIN/"papermill", f"nbs/{notebook}.ipynb", str(tmp_path/"run.ipynb"), "-k", "python3", "--no-progress-bar", "-p", "out_dir", str(out)]
    for k, v in params.items(): cmd += ["-p", k, v]
    res = subprocess.run(cmd, cwd=project, env=project_env(project), capture_output=True, text=True)
    assert res.returncode != 0 and message in res.stderr, res.stderr[-3000:]
    assert not out.exists()

def test_hpo_notebook_writes_only_into_its_own_run_folder(tmp_path, project):
    other = tmp_path/"runs/hpo/wine_quality/bnn/seed0"   # another run's folder
    res = subprocess.run([BIN/"papermill", "nbs/50_hpo_experiment.ipynb", str(tmp_path/"run.ipynb"), "-k", "python3", "--no-progress-bar",
                          "-p", "method", "random", "-p", "out_dir", str(other)],
                         cwd=project, env=project_env(project), capture_output=True, text=True)
    assert res.returncode != 0 and "is not this run's folder; give <runs_dir>/hpo/wine_quality/random/seed0" in res.stderr
    assert not other.exists()

def test_report_rejects_climbing_and_missing_runs_dir(tmp_path, project):
    (tmp_path/"runs").mkdir()
    for runs_dir, message in [(f"{tmp_path}/runs/../runs", "contains '..'"), (str(tmp_path/"nothing"), "is not a folder")]:
        res = subprocess.run([BIN/"papermill", "nbs/90_report.ipynb", str(tmp_path/"report.ipynb"), "-k", "python3", "--no-progress-bar",
                              "-p", "runs_dir", runs_dir, "-p", "out_dir", str(tmp_path/"out")],
                             cwd=project, env=project_env(project), capture_output=True, text=True)
        assert res.returncode != 0 and message in res.stderr, res.stderr[-3000:]
        assert not (tmp_path/"out").exists()

def test_report_stops_at_a_result_from_another_version(tmp_path, smoke_study):
    "A result file this version cannot read: make report fails naming the report log, and the log names the file and the fix."
    runs = tmp_path/"runs"
    shutil.copytree(smoke_study.runs, runs)
    bad = sorted(runs.glob("lr/imdb/fixed*/seed0/result.json"))[0]   # the fixed-rate arm (its name carries the start rate)
    bad.write_text(json.dumps(json.loads(bad.read_text()) | dict(format="bnnstudy-result/0")))
    res = run_make(smoke_study.project, "report", f"RUNS_DIR={runs}", f"REPORT_DIR={tmp_path/'report'}")
    assert res.returncode != 0 and "FAILED report: see" in res.stderr and "report.log" in res.stderr, res.stderr
    log = (tmp_path/"report/report.log").read_text()
    assert f"{bad} has result format 'bnnstudy-result/0' (another bnnstudy version)" in log and "make clean-runs" in log
    assert not (tmp_path/"report/report.html").exists()

@pytest.mark.parametrize("text, message", [('{"format": "bnnstudy-resu', "is not valid JSON"), ("[]", "no 'format' field"),
                                           (json.dumps({"format": "bnnstudy-result/1"}), "lacks ['study'")])
def test_load_results_names_a_damaged_file(tmp_path, text, message):
    from bnnstudy.runs import load_results
    bad = tmp_path/"hpo/wine_quality/random/seed0/result.json"
    bad.parent.mkdir(parents=True); bad.write_text(text)
    with pytest.raises(ValueError, match=re.escape(str(bad)) + ".*" + re.escape(message) + ".*delete that run folder"):
        load_results(tmp_path)

# ---- the Makefile's study knobs ---------------------------------------------------------------------------------

def test_workers_and_scheduler_reach_only_the_live_hpo_runs(tmp_path, project):
    res = run_make(project, "-n", "runs", "PROFILE=smoke", f"RUNS_DIR={tmp_path}", "WORKERS=3", "SCHEDULER=tcp://10.0.0.5:8786")
    assert res.returncode == 0, res.stderr
    calls = [l for l in res.stdout.splitlines() if "papermill" in l]
    knobs = "-p n_workers '3' -p scheduler_address 'tcp://10.0.0.5:8786'"
    assert len(calls) == 7 and {("/hpo/" in c) for c in calls if knobs in c} == {True}
    assert sum(knobs in c for c in calls) == 2
    plain = run_make(project, "-n", "runs", "PROFILE=smoke", f"RUNS_DIR={tmp_path}")
    assert "n_workers" not in plain.stdout and "scheduler_address" not in plain.stdout

def test_clean_runs_and_clean_remove_only_run_outputs(project):
    runs = project/"reports/runs/smoke"
    for d in ("hpo/x/random/seed0", "lr/imdb/fixed/seed0"): (runs/d).mkdir(parents=True)
    (runs/".src-50_hpo_experiment.sha256").write_text("x")
    (runs/"notes.txt").write_text("mine")
    (project/"reports/smoke/tables").mkdir(parents=True)
    (project/"reports/tables").mkdir(parents=True); (project/"reports/tables/hpo_summary.csv").write_text("a\n")
    assert run_make(project, "clean-runs", "PROFILE=smoke").returncode == 0
    assert sorted(p.name for p in runs.iterdir()) == ["notes.txt"]
    assert run_make(project, "clean").returncode == 0
    assert not (project/"reports/runs").exists() and not (project/"reports/smoke").exists()
    assert (project/"reports/tables/hpo_summary.csv").exists()

# ---- a live search on Dask workers ------------------------------------------------------------------------------

def test_live_search_on_dask_continues_the_stored_study(tmp_path):
    from bnnstudy.experiment import HPOObjective, live_search, use_threads
    use_threads(1, "smoke")
    objective, store = HPOObjective("wine_quality", "smoke"), tmp_path/"trials.sqlite"
    first = live_search(objective, "random", 0, 2, storage=store).history
    opt = live_search(objective, "random", 0, 4, storage=store, n_workers=1)
    assert len(opt.history) == 4 and opt.history.value.iloc[:2].tolist() == first.value.tolist()
    assert opt.history.value.notna().all(), opt.history

# ---- nothing is unpickled ---------------------------------------------------------------------------------------

_PICKLERS = {"pickle", "cPickle", "_pickle", "dill", "cloudpickle", "joblib", "shelve"}

def forbidden_loads(source: str) -> list[str]:
    "Calls in `source` that may unpickle: pickle/dill/joblib/shelve loads, torch.load without weights_only=True, allow_pickle=True, read_pickle."
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _PICKLERS:
            found += [f"from {node.module} import {a.name}" for a in node.names if a.name in ("load", "loads", "open", "Unpickler")]
        if not isinstance(node, ast.Call): continue
        f, kw = node.func, {k.arg: k.value for k in node.keywords}
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        line = f"line {node.lineno}: {ast.unparse(node)[:80]}"
        if owner in _PICKLERS and name in ("load", "loads", "open", "Unpickler"): found.append(line)
        elif name == "read_pickle": found.append(line)
        elif name == "load" and owner == "torch" and not (isinstance(kw.get("weights_only"), ast.Constant) and kw["weights_only"].value is True):
            found.append(line)
        elif isinstance(kw.get("allow_pickle"), ast.Constant) and kw["allow_pickle"].value is not False: found.append(line)
    return found

def _code_cells(nb: Path) -> str:
    cells = json.loads(nb.read_text())["cells"]
    lines = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return "\n".join(l if not l.lstrip().startswith(("%", "!")) else "" for l in "\n".join(lines).splitlines())

@pytest.mark.parametrize("bad", ["import pickle\npickle.load(open('x', 'rb'))", "import pickle as p\nx = pickle.loads(b'')",
                                 "torch.load('m.pt')", "torch.load('m.pt', weights_only=False)", "np.load('a.npy', allow_pickle=True)",
                                 "pd.read_pickle('x.pkl')", "from joblib import load", "df = joblib.load('m.joblib')"])
def test_the_scan_finds_unpickling(bad):
    assert forbidden_loads(bad), bad

def test_nothing_is_loaded_with_pickle():
    files = sorted((ROOT/"bnnstudy").rglob("*.py"))
    found = {str(f.relative_to(ROOT)): forbidden_loads(f.read_text()) for f in files}
    found |= {str(nb.relative_to(ROOT)): forbidden_loads(_code_cells(nb)) for nb in sorted((ROOT/"nbs").glob("*.ipynb"))}
    assert len(files) > 10 and "torch.load(path, weights_only=True, mmap=True)" in (ROOT/"bnnstudy/data.py").read_text()
    assert not {k: v for k, v in found.items() if v}
