"The study pipeline end to end: papermill templates, make smoke (runs, resume, report), result schema, failures."
import ast, json, re, shutil, subprocess, sys
from pathlib import Path
import pytest
from conftest import run_make

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TEMPLATES = {"50_hpo_experiment": {"dataset", "method", "seed", "profile", "out_dir", "n_workers", "scheduler_address"},
             "51_lr_experiment": {"dataset", "controller", "seed", "profile", "out_dir"},
             "52_replay_experiment": {"dataset", "method", "seed", "profile", "out_dir", "table"},
             "90_report": {"runs_dir", "out_dir"}}
FIGURES = ["hpo_best_so_far_live", "hpo_best_so_far_replay", "hpo_average_rank", "hpo_runs_to_target_live", "hpo_runs_to_target_replay",
           "hpo_time_split", "lr_verdicts_accuracy", "lr_decision_rates", "lr_decisions", "lr_learning_curves", "lr_val_loss",
           "lr_reliability_softmax", "lr_reliability_mc"]
TABLES = ["provenance", "hpo_targets", "hpo_runs_to_target", "hpo_runs_to_target_summary", "hpo_average_rank", "hpo_summary",
          "lr_runs", "lr_summary", "lr_verdicts", "lr_verdict_counts", "lr_verdicts_accuracy", "lr_test_softmax", "lr_test_mc",
          "lr_calibration", "lr_decision_rates", "lr_reliability_softmax", "lr_reliability_mc"]

def _parameters_cell(nb: dict) -> dict:
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(cells) == 1, "exactly one cell must carry the papermill `parameters` tag"
    return cells[0]

@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_parameters_tag_survives_nbdev_clean(tmp_path, name):
    shutil.copy(ROOT/"settings.ini", tmp_path/"settings.ini")
    (tmp_path/"nbs").mkdir()
    nb_path = tmp_path/"nbs"/f"{name}.ipynb"
    shutil.copy(ROOT/"nbs"/f"{name}.ipynb", nb_path)
    subprocess.run([BIN/"nbdev_clean", "--fname", str(nb_path)], cwd=tmp_path, check=True, capture_output=True)
    nb = json.loads(nb_path.read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    src = "".join(_parameters_cell(nb)["source"])
    names = {t.id for node in ast.parse(src).body if isinstance(node, ast.Assign) for t in node.targets}
    assert TEMPLATES[name] <= names, f"{name}: parameters cell lacks {TEMPLATES[name] - names}"

def test_report_path_does_not_import_torch():
    code = "import sys, bnnstudy.runs, bnnstudy.report; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

def test_targets_stay_inside_runs_dir(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bnnstudy.runs", "targets", "--profile", "cpu", "--runs_dir", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout.split()
    assert len(out) == 4 + 4*5 + 4*5 + 2*42*5   # tables, live searches, replays; LR: 2 datasets x 42 arms x 5 seeds
    assert all(Path(p).resolve().is_relative_to(tmp_path.resolve()) and p.endswith("/result.json") for p in out)
    from bnnstudy.runs import RunSpec
    with pytest.raises(ValueError, match="plain name"): RunSpec("lr", "cifar10", "../../etc", 0)
    with pytest.raises(ValueError, match="outside"): RunSpec.from_path(tmp_path.parent/"x"/"result.json", tmp_path)

def _check_result(r: dict, runs_dir: Path):
    from bnnstudy.runs import RESULT_KEYS, get_profile
    assert set(RESULT_KEYS) <= set(r), f"missing {set(RESULT_KEYS) - set(r)}"
    assert r["profile"] == "smoke" and r["status"] == "completed"
    assert "git_sha" in r["metadata"] and r["metadata"]["versions"]["torch"] and r["metadata"]["versions"]["bnnstudy"]
    assert r["data"]["fingerprint"]
    p = get_profile("smoke")
    if r["study"] == "hpo":
        assert len(r["trials"]) == p["hpo"]["n_trials"]
        assert {"value", "train_seconds", "surrogate_seconds", "params"} <= set(r["trials"][0])
        assert r["best"]["value"] == max(t["value"] for t in r["trials"] if t["value"] is not None)
        assert {"mse", "r2"} <= set(r["test"]) or {"accuracy", "f1_macro", "f1_micro"} <= set(r["test"])
        assert r["timings"]["train_seconds"] > 0
        assert (Path(r["path"]).parent/"trials.sqlite").is_file()
    elif r["study"] == "table":
        assert r["table"]["rows"] == p["table"]["n_design"]
        assert (Path(r["path"]).parent/"table.parquet").is_file()
    elif r["study"] == "replay":
        assert len(r["curves"]) == p["replay"]["n_seeds"]
        assert all(len(c["best"]) == p["replay"]["n_trials"] for c in r["curves"])
    elif r["study"] == "lr":
        assert {"accuracy", "ece", "mce"} <= set(r["test"]) and r["reliability"] and r["history"]
        assert "lr" in r["history"][0]
    assert (Path(r["path"]).parent/"run.ipynb").is_file()

def test_smoke_pipeline_end_to_end_and_resume(smoke_study):
    runs, report, first = smoke_study.runs, smoke_study.report, smoke_study.make
    print(f"make smoke: {smoke_study.seconds:.0f} s")
    assert first.returncode == 0, first.stdout + first.stderr
    from bnnstudy.runs import load_results, run_specs
    results = load_results(runs)
    assert sorted(Path(r["path"]) for r in results) == sorted(s.result_path(runs) for s in run_specs("smoke"))
    assert {r["study"] for r in results} == {"hpo", "table", "replay", "lr"}
    assert len({r["method"] for r in results if r["study"] == "hpo"}) >= 2
    assert len({r["method"] for r in results if r["study"] == "lr"}) >= 2
    for r in results: _check_result(r, runs)
    for name in FIGURES: assert (report/"figures"/f"{name}.png").stat().st_size > 0, name
    for name in TABLES:
        for ext in ("csv", "md"): assert (report/"tables"/f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
    for name in ("report.ipynb", "report.html"): assert (report/name).stat().st_size > 0
    assert not list(report.glob("report.partial*")), "the report's temporary file was left behind"
    stamps = {p: p.stat().st_mtime_ns for p in [*runs.rglob("result.json"), report/"report.html"]}
    second = run_make(smoke_study.project, *smoke_study.args)
    assert second.returncode == 0, second.stdout + second.stderr
    redone = [l for l in second.stdout.splitlines() if l.startswith(("run ", "report "))]
    assert not redone, f"a second make smoke redid {redone}"
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps

def test_failed_run_stops_make_and_names_its_log(tmp_path, project):
    tmp_path = tmp_path/"runs"
    # a run that fails: the copy's notebook raises after its parameters (make itself refuses a bad THREADS before any run)
    nb_path = project/"nbs/50_hpo_experiment.ipynb"; nb = json.loads(nb_path.read_text())
    at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    nb["cells"].insert(at + 1, {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                                "source": "raise ValueError('injected failure')"})
    nb_path.write_text(json.dumps(nb))
    res = run_make(project, "runs", "PROFILE=smoke", f"RUNS_DIR={tmp_path}")
    assert res.returncode != 0
    assert "FAILED run table/wine_quality/design/seed0" in res.stderr and "run.log" in res.stderr, res.stderr
    assert not list(tmp_path.rglob("result.json"))
    log = re.sub(r"\x1b\[[0-9;]*m", "", (tmp_path/"table/wine_quality/design/seed0/run.log").read_text())   # no colours
    assert "ValueError: injected failure" in log
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == ["table"], "make went on after the failure"
