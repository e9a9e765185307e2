"issue 13 item 11: make reproduce shows [k/N], elapsed and ETA; the estimate is calibrated on measured run times."
import os, re, subprocess, sys
from pathlib import Path
import pandas as pd
from bnnstudy.runs import run_specs, estimate_minutes, model_minutes, progress_line, calibrate, CALIBRATION

ROOT = Path(__file__).resolve().parents[1]

def test_progress_line_counts_results_and_gives_elapsed_and_eta(tmp_path):
    (tmp_path/".started").write_text(""); os.utime(tmp_path/".started", (1_700_000_000,)*2)
    specs = run_specs("smoke")
    for s in specs[:2]:
        s.folder(tmp_path).mkdir(parents=True); s.result_path(tmp_path).write_text("{}")
        os.utime(s.result_path(tmp_path), (1_700_000_060,)*2)
    line = progress_line("smoke", tmp_path, run=specs[1].relpath, now=1_700_000_090)
    assert re.fullmatch(rf"\[2/{len(specs)}\] {specs[1].relpath} done; elapsed 1m30s, ETA \d+(s|m\d\ds|h\d\dm)", line), line

def test_progress_command_line(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bnnstudy.runs", "progress", "--profile", "smoke", "--runs_dir", str(tmp_path),
                          "--run", "hpo/wine_quality/bnn/seed0"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.startswith(f"[0/{len(run_specs('smoke'))}] hpo/wine_quality/bnn/seed0 done; elapsed")

def test_makefile_reports_progress_after_each_run():
    mk = (ROOT/"Makefile").read_text()
    assert "-m bnnstudy.runs progress" in mk and ".started" in mk

def test_estimate_reproduces_the_measured_times_it_was_calibrated_on():
    cal_file = ROOT/CALIBRATION
    cal = pd.read_csv(cal_file)
    assert (cal.profile == "cpu").any() and cal.source.notna().all()
    est = estimate_minutes("cpu", calibration=cal_file)
    both = cal[cal.profile == "cpu"].merge(est, on=["study", "dataset"], suffixes=("_measured", ""))
    # per run: the profile may since have changed how many runs a study has (the LR study went from 21 to 210 a dataset)
    measured = both.seconds/60
    assert (abs(both.minutes/both.runs - measured) <= 0.25*measured).all()
    # the calibrated HPO total is far above the uncalibrated model, which said 47 where 124 run-minutes were measured
    # (the LR rows are left out: their calibration predates the longer LR runs of the redesigned study)
    hpo = lambda d: d[d.study != "lr"].minutes.sum()
    assert hpo(est) > 1.5*hpo(model_minutes("cpu"))

def test_estimate_command_names_its_calibration_source():
    out = subprocess.run([sys.executable, "-m", "bnnstudy.runs", "estimate", "--profile", "cpu"], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and f"calibrated from {CALIBRATION}" in out.stdout.splitlines()[-1]

def test_calibrate_from_run_folders(tmp_path):
    d = tmp_path/"runs/lr/imdb/fixed/seed0"; d.mkdir(parents=True)
    (d/".src.sha256").write_text("x"); (d/"result.json").write_text("{}")
    os.utime(d/".src.sha256", (1_700_000_000,)*2); os.utime(d/"result.json", (1_700_000_042,)*2)
    c = calibrate("cpu", runs_dir=tmp_path/"runs", out=tmp_path/"cal.csv")
    assert c[["study", "dataset", "runs", "seconds"]].values.tolist() == [["lr", "imdb", 1, 42.0]]
    assert "wall time" in pd.read_csv(tmp_path/"cal.csv").source[0]


def test_lr_rows_are_a_model_from_measured_parts_and_say_so(tmp_path):
    cost = tmp_path/"cost.csv"
    pd.DataFrame([dict(dataset=d, profile="cpu", arm="fixed-lr1e-3", threads=1, epochs_measured=1, load_cpu_s=1.0,
                       epoch_cpu_s=e, rest_cpu_s=4.0) for d, e in (("imdb", 10.0), ("cifar10", 20.0))]).to_csv(cost, index=False)
    c = calibrate("cpu", tables_dir=ROOT/"reports"/"tables", out=tmp_path/"cal.csv", lr_cost=cost).set_index(["study", "dataset"])
    epochs = 18   # PROFILES["cpu"]["lr_fit"][...]["epochs"]
    assert c.loc[("lr", "imdb"), "seconds"] == 1 + epochs*10 + 4 + 5 and c.loc[("lr", "cifar10"), "seconds"] == 1 + epochs*20 + 4 + 5
    assert c.loc[("lr", "imdb"), "runs"] == len(run_specs("cpu", "lr"))//2
    assert c.loc[("lr", "imdb"), "source"].startswith("model, not a measured study run")
    assert c.loc[("hpo", "imdb"), "source"].startswith("training seconds")   # the HPO rows stay measured


def test_the_committed_lr_calibration_is_the_cost_model_not_the_old_runs():
    cal = pd.read_csv(ROOT/CALIBRATION)
    lr = cal[cal.study == "lr"]
    assert len(lr) == 2 and lr.source.str.startswith("model, not a measured study run").all()
    assert (lr.runs == len(run_specs("cpu", "lr"))//2).all()


def test_the_committed_estimate_is_what_the_command_writes():
    from bnnstudy.runs import estimate_markdown
    committed = (ROOT/"reports"/"tables"/"estimate_cpu.md").read_text()
    assert committed == estimate_markdown("cpu", calibration=ROOT/CALIBRATION).replace(str(ROOT/CALIBRATION), CALIBRATION)
    total = estimate_minutes("cpu", calibration=ROOT/CALIBRATION).minutes.sum()/60
    assert f"Total: {total:.1f} run-hours, about {total/2:.1f} hours of wall time at 2 runs at a time." in committed


def test_calibrate_reads_past_the_new_long_lr_summary(tmp_path):
    import shutil
    shutil.copy(ROOT/"reports"/"tables"/"hpo_summary.csv", tmp_path/"hpo_summary.csv")
    pd.DataFrame([dict(dataset="imdb", start_lr=1e-3, family="fixed", metric="test_accuracy", seeds=5, n=5, mean=.7, low=.6, high=.8)]
                 ).to_csv(tmp_path/"lr_summary.csv", index=False)   # the report's lr_summary now: one row per arm x metric
    c = calibrate("cpu", tables_dir=tmp_path, out=tmp_path/"cal.csv", lr_cost=None)
    assert set(c.study) == {"hpo"}
