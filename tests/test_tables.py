"""The seeded design tables (`bnnstudy.tables`, `make tables`): resumable after a kill, every seed stored, mean and sd
right, the manifest's provenance, atomic writes, and the study's table run reading a committed table."""
import json, os, signal, subprocess, sys, time, warnings
from pathlib import Path
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.filterwarnings("ignore")   # the smoke profile's tiny slices warn about their size


@pytest.fixture(autouse=True)
def _one_thread():
    import torch
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    "The smoke profile's Wine Quality design table (6 rows x 2 training seeds), built in one go."
    from bnnstudy.tables import build_design
    folder = tmp_path_factory.mktemp("design")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = build_design("wine_quality", "smoke", folder=folder, every=2, log=None)
    return folder, df


def test_resume_after_kill_keeps_the_rows_done(tmp_path, monkeypatch):
    "SIGKILL a build after it stored some rows; the rerun trains only the others and keeps the stored ones as they were."
    import bnnstudy.tables as T
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    proc = subprocess.Popen([sys.executable, "-m", "bnnstudy.tables", "build", "--profile", "smoke", "--datasets", "wine_quality",
                             "--folder", str(tmp_path), "--every", "1", "--threads", "1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    table = tmp_path/"wine_quality.parquet"
    deadline = time.time() + 120
    try:
        while time.time() < deadline and proc.poll() is None:
            if table.exists() and len(pd.read_parquet(table)) >= 2: break
            time.sleep(0.05)
        assert proc.poll() is None, f"the build ended before it could be killed: {proc.stdout.read().decode()[-2000:]}"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(30)
    stored = pd.read_parquet(table)   # readable right after the kill: written atomically
    k = len(stored)
    assert 2 <= k < 6, k
    calls = []
    real = T.train_row
    monkeypatch.setattr(T, "train_row", lambda obj, cfg, seeds: calls.append(cfg) or real(obj, cfg, seeds))
    df = T.build_design("wine_quality", "smoke", folder=tmp_path, every=1, log=None)
    assert len(calls) == 6 - k, "rows already stored were trained again"
    assert df.row.tolist() == list(range(6))
    pd.testing.assert_frame_equal(df.iloc[:k].reset_index(drop=True), stored)   # untouched: same seconds, curves, scores
    man = json.loads((tmp_path/"manifest.json").read_text())["wine_quality"]
    assert (man["rows_done"], man["rows_total"], man["complete"]) == (6, 6, True)
    assert len(T.build_design("wine_quality", "smoke", folder=tmp_path, log=None)) == 6 and len(calls) == 6 - k   # done: nothing to train


def test_every_seed_stored_with_curves(built):
    from bnnstudy.runs import design_settings
    folder, df = built
    s = design_settings("smoke", "wine_quality")
    assert len(df) == s["n_design"] and len(s["train_seeds"]) >= 2
    for k in s["train_seeds"]:
        for c in ("value", "test", "seconds", "cpu_seconds", "status", "epochs", "curve", "loss"): assert f"{c}_seed{k}" in df, f"{c}_seed{k}"
        assert df[f"value_seed{k}"].notna().all() and df[f"test_seed{k}"].notna().all()
        assert all(len(c) == s["fit"]["epochs"] for c in df[f"curve_seed{k}"])
        np.testing.assert_allclose([c[-1] for c in df[f"curve_seed{k}"]], df[f"value_seed{k}"])   # the score is the last epoch's
    assert not np.allclose(df.value_seed0, df.value_seed1), "the training seeds gave identical scores"


def test_mean_and_sd_over_the_seeds(built):
    folder, df = built
    v = df[["value_seed0", "value_seed1"]].to_numpy()
    np.testing.assert_allclose(df.value, v.mean(1), rtol=1e-12)
    np.testing.assert_allclose(df.value_sd, v.std(1, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(df.test, df[["test_seed0", "test_seed1"]].to_numpy().mean(1), rtol=1e-12)
    np.testing.assert_allclose(df.train_seconds, df[["seconds_seed0", "seconds_seed1"]].to_numpy().mean(1), rtol=1e-12)
    assert (df.n_ok == 2).all() and (df.status == "completed").all()


def test_manifest_fields(built):
    from bnnstudy.runs import design_settings
    from bnnstudy.experiment import read_table_meta
    from bnnstudy.tables import design_objective
    folder, df = built
    man = json.loads((folder/"manifest.json").read_text())["wine_quality"]
    for k in ("commit", "data_fingerprint", "settings", "rows_done", "rows_total", "seconds", "sha256", "best", "updated"): assert k in man, k
    assert man["settings"] == json.loads(json.dumps(design_settings("smoke", "wine_quality")))
    assert man["data_fingerprint"] == design_objective("wine_quality", "smoke")[0].data.fingerprint
    assert (man["rows_done"], man["rows_total"]) == (len(df), len(df))
    assert man["seconds"]["train"] > 0 and man["seconds"]["build"] >= man["seconds"]["train"] * 0.5 and man["seconds"]["cpu_per_row"] > 0
    assert man["sha256"] == __import__("hashlib").sha256((folder/"wine_quality.parquet").read_bytes()).hexdigest()
    assert man["best"]["value"] == pytest.approx(df.value.max())
    assert man["commit"] is None or len(man["commit"]) >= 40
    meta = read_table_meta(folder/"wine_quality.parquet")
    assert meta["data_fingerprint"] == man["data_fingerprint"] and meta["train_seeds"] == [0, 1]


def test_a_crash_mid_write_leaves_the_previous_table(tmp_path, monkeypatch):
    "The write dies after part of the new file is on disk: the old table is still there, whole, and no temporary is left."
    import bnnstudy.core, bnnstudy.tables as T
    T.build_design("wine_quality", "smoke", folder=tmp_path, every=1, max_rows=2, log=None)
    before = (tmp_path/"wine_quality.parquet").read_bytes()
    from bnnstudy.runs import design_table
    assert design_table("wine_quality", "smoke", folder=tmp_path) is None, "a partial table is not for replays"
    def crash(fd): raise OSError("disk gone mid-write")
    monkeypatch.setattr(bnnstudy.core.os, "fsync", crash)
    with pytest.raises(OSError, match="mid-write"): T.build_design("wine_quality", "smoke", folder=tmp_path, every=1, max_rows=1, log=None)
    assert (tmp_path/"wine_quality.parquet").read_bytes() == before
    assert len(pd.read_parquet(tmp_path/"wine_quality.parquet")) == 2
    assert not list(tmp_path.glob(".wine_quality.parquet.*")), "a temporary file was left behind"
    monkeypatch.undo()
    assert len(T.build_design("wine_quality", "smoke", folder=tmp_path, every=1, log=None)) == 6   # and the build goes on
    assert design_table("wine_quality", "smoke", folder=tmp_path) == tmp_path/"wine_quality.parquet"   # complete now


def test_a_table_of_other_settings_is_refused(built, tmp_path):
    import copy, shutil
    from bnnstudy.runs import get_profile
    from bnnstudy.tables import build_design
    folder, df = built
    shutil.copy(folder/"wine_quality.parquet", tmp_path/"wine_quality.parquet")
    other = copy.deepcopy(get_profile("smoke")); other["tables"]["fit"] = dict(wine_quality=dict(epochs=2))
    with pytest.raises(ValueError, match="other settings"): build_design("wine_quality", other, folder=tmp_path, log=None)


def test_the_study_replays_a_committed_table(built, tmp_path, monkeypatch):
    "A table run (build_table) of the profile the committed table was built for copies it; another profile trains its own."
    from bnnstudy.experiment import HPOObjective, build_table, read_table_meta
    from bnnstudy.runs import design_table
    folder, df = built
    monkeypatch.setenv("BNNSTUDY_DESIGN_DIR", str(folder))
    assert design_table("wine_quality", "smoke") == folder/"wine_quality.parquet"
    assert design_table("wine_quality", "cpu") is None and design_table("mnist", "smoke") is None
    obj = HPOObjective("wine_quality", "smoke")
    got = build_table(obj, 10, tmp_path/"table.parquet")
    assert len(got) == len(df) and not obj.log, "trained instead of reading the committed table"
    np.testing.assert_allclose(got.value, df.value)
    meta = read_table_meta(tmp_path/"table.parquet")
    assert meta["source"]["file"] == "reports/tables/design/wine_quality.parquet" and meta["source"]["rows"] == len(df)
    own = build_table(obj, 3, tmp_path/"own.parquet", committed=False)
    assert len(own) == 3 and len(obj.log) == 3


@pytest.mark.parametrize("var, value", [("TABLE_SECONDS", "60;touch {m}"), ("TABLE_SECONDS", "1h"), ("TABLES_DIR", "{d}/a b"),
                                        ("TABLES_DIR", "{d}/../x"), ("THREADS", "1;touch {m}"), ("DATASETS", "mnist;touch {m}")])
def test_make_tables_checks_its_variables(tmp_path, var, value):
    marker = tmp_path/"m"
    res = subprocess.run(["make", "-n", "-C", str(ROOT), "tables", f"{var}={value.format(m=marker, d=tmp_path)}"],
                         capture_output=True, text=True)
    assert res.returncode != 0 and f"{var}=" in res.stderr and "give" in res.stderr, res.stderr
    assert not marker.exists() and "bnnstudy.tables" not in res.stdout


def test_make_tables_passes_its_settings_quoted(tmp_path):
    res = subprocess.run(["make", "-n", "-C", str(ROOT), "tables", "DATASETS=wine_quality", "TABLE_SECONDS=600", "THREADS=1",
                          f"TABLES_DIR={tmp_path}/t"], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    build = [l for l in res.stdout.replace("\\\n", " ").splitlines() if "bnnstudy.tables build" in l]
    assert build and all(s in build[0] for s in (f"--folder '{tmp_path}/t'", "--threads '1'", "--datasets 'wine_quality'",
                                                  "--max_seconds '600'", "--profile 'cpu'"))
    assert f"'{tmp_path}/t/estimate.md" in res.stdout


def test_probe_times_configurations_spread_over_the_design_and_the_estimate_uses_it(tmp_path):
    "The probe's mean over several configurations (on fewer rows, scaled) prices a table with no rows built yet."
    from bnnstudy.tables import probe, estimate
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rec = probe("wine_quality", "smoke", folder=tmp_path, configs=3, rows=60)
    assert rec["configs"] == 3 and rec["probed_rows"] == 60 and rec["n_train"] > 60
    assert 0 < rec["cpu_min"] <= rec["cpu_seconds_per_epoch"] <= rec["cpu_max"]
    saved = pd.read_csv(tmp_path/"probe.csv")
    assert list(saved.dataset) == ["wine_quality"] and int(saved.configs[0]) == 3
    e = estimate("smoke", tmp_path, datasets=["wine_quality"]).iloc[0]
    assert e.measured_from.startswith("probe: mean CPU seconds of 1 epoch over 3 configuration(s)")
    assert e.measured_s_per_run == pytest.approx(rec["cpu_seconds_per_epoch"]*e.epochs)
