"""bench-train, bench-quality, bench-parallel and bench-faults write what they measured to committed files (issue 11,
provenance): reports/tables/bench_<name>.csv and a markdown report beside it whose header says how the numbers were made."""
import inspect, os, re, sys
from pathlib import Path
import pandas as pd
import pytest
import bnnstudy.benchmarks.faults as faults
import bnnstudy.benchmarks.parallel as parallel
import bnnstudy.benchmarks.quality as quality
import bnnstudy.benchmarks.train as train

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow   # model fits, a Dask cluster, study processes: seconds each on the busy 2-core machine

@pytest.mark.parametrize("name, module", [("train", train), ("quality", quality), ("parallel", parallel), ("faults", faults)])
def test_the_make_target_writes_the_committed_table(name, module):
    assert inspect.signature(module.main).parameters["out"].default == f"reports/tables/bench_{name}.csv"
    recipe = re.search(rf"^bench-{name}:.*\n\t(.*)$", (ROOT/"Makefile").read_text(), re.M).group(1)
    assert f"-m bnnstudy.benchmarks.{name}" in recipe and "--out" not in recipe   # the default: the committed file

def check_report(csv: Path, title: str, columns: list[str], command: str) -> str:
    "The CSV holds the table; the markdown beside it has the title, the provenance header, then the same table."
    table = pd.read_csv(csv)
    assert list(table.columns[:len(columns)]) == columns and len(table)
    md = csv.with_suffix(".md").read_text()
    assert md.startswith(f"# {title}\n\nWritten by `{command}") and md.endswith("|\n"), md
    header = md.split("\n\n")[1]
    assert re.search(r" at commit (\w{7,}|unknown)", header) and re.search(r" on \d{4}-\d\d-\d\d \d\d:\d\d UTC;", header), header
    assert re.search(rf"; {os.cpu_count()} CPUs, load average \d+\.\d\d at the start and \d+\.\d\d at the end\. The machine is shared", header)
    assert "| " + " | ".join(table.columns) + " |" in md and md.count("\n| ") == len(table) + 1   # header row + one row per CSV row
    return md

def test_train_report(tmp_path):
    table = train.main(only="wine_quality/mlp", scale=0.05, repeats=1, threads=1, out=str(tmp_path/"bench_train.csv"))
    md = check_report(tmp_path/"bench_train.csv", "bench-train: `fit` against a bare PyTorch loop",
                      ["dataset", "model", "max_len", "batches", "batch_size", "bare_samples_s", "fit_samples_s", "ratio"], "train.main(")
    assert f"ratio over the 1 cases: min {table.ratio[0]:.2f}, max {table.ratio[0]:.2f}" in md
    assert "A reduced run: `--scale 0.05`, `--repeats 1`" in md

def test_quality_report_and_plan(tmp_path):
    quality.main(profile="smoke", only="wine_quality/mlp", threads=1, out=str(tmp_path/"bench_quality.csv"))
    md = check_report(tmp_path/"bench_quality.csv", "bench-quality: the seed models at default hyperparameters (`smoke` profile)",
                      ["dataset", "model", "n_train"], "quality.main(")
    # the file lists every case of the profile, the others planned (a later run resumes it)
    table = pd.read_csv(tmp_path/"bench_quality.csv")
    assert "1 of 6 cases trained; not run in this commit: mnist/cnn, " in md and len(table) == len(quality.PROFILES["smoke"])
    assert table.r2[table.dataset == "wine_quality"].notna().all() and set(table.status[table.dataset != "wine_quality"]) == {"not run"}
    quality.main(profile="full", dry_run=True, out=str(tmp_path/"plan.csv"))   # trains nothing, invents nothing
    plan = pd.read_csv(tmp_path/"plan.csv")
    assert set(plan.status) == {"not run"} and plan[["accuracy", "r2"]].isna().all().all() and len(plan) == len(quality.PROFILES["full"])
    assert "0 of 6 cases trained; not run in this commit: mnist/cnn, " in (tmp_path/"plan.md").read_text()

def test_parallel_report(tmp_path):
    table = parallel.main(trials=2, seconds=0.05, workers=2, objectives="sleep", out=str(tmp_path/"bench_parallel.csv"))
    md = check_report(tmp_path/"bench_parallel.csv", "bench-parallel: a study sequentially and on Dask workers",
                      ["objective", "method", "trials"], "parallel.main(")
    t = table.round(3)   # the report quotes the table it writes, rounded to 3 places: a ratio just above x.xx5 is x.xx5 there, then x.xx
    assert f"`sleep`: ratio_run {t.ratio_run[0]:.2f}, ratio {t.ratio[0]:.2f}, start-up {t.startup_s[0]:.1f} s (ideal 0.50)." in md

def test_faults_report_from_the_command_line(tmp_path, monkeypatch):
    "Run as `make bench-faults` runs it (`python -m` with arguments; in-process here, a fresh interpreter costs seconds): the report names that command."
    out = tmp_path/"bench_faults.csv"
    args = ["--kills", "1", "--method", "random", "--spaces", "branin", "--n_trials", "5", "--seed", "1", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", [faults.__file__, *args])
    faults.main(kills=1, method="random", spaces="branin", n_trials=5, seed=1, out=str(out))
    md = check_report(out, "bench-faults: a study killed with SIGKILL and resumed", ["method", "space", "kills", "mid_tell_kills"],
                      "python -m bnnstudy.benchmarks.faults " + " ".join(args))
    assert "In all: 1 kills, " in md and ", 0 trials lost, 0 duplicated, history equal to an uninterrupted run's in 1 of 1 studies." in md

def test_a_stopped_run_says_what_is_missing(tmp_path):
    "The reports are rewritten after each case / study, so a run stopped half-way leaves a report that says it is partial."
    row = dict(method="random", space="branin", kills=20, mid_tell_kills=9, restarts=20, recoveries=9, unreadable=0, trials=70,
               acknowledged=70, lost=0, duplicates=0, history_equal=True, seconds=60.0)
    faults._write_faults(tmp_path/"f.csv", pd.DataFrame([row]), 2, "faults.main()", 1.0, "random", 0, 20, 0.5)
    assert "In all: 20 kills, 9 of them inside a tell, 0 trials lost, 0 duplicated, history equal to an uninterrupted run's in 1 of 1 " \
           "studies. Only 1 of the 2 studies have finished so far." in (tmp_path/"f.md").read_text()
    row = dict(dataset="wine_quality", model="mlp", max_len="", batches=10, batch_size=64, bare_samples_s=1e4, fit_samples_s=9e3, ratio=0.9)
    train._write_train(tmp_path/"t.csv", pd.DataFrame([row]), 6, "train.main()", 1.0, 2, 64, 3, 1.0)
    md = (tmp_path/"t.md").read_text()
    assert "ratio over the 1 cases: min 0.90, max 0.90 (1: the engine costs nothing; 0.9 or more expected). Only 1 of the 6 cases" in md
    assert "reduced" not in md
