"issue 13 item 9: your own dataset and model in the study (register_dataset, register_model, BNNSTUDY_PLUGINS, DATASETS=)."
import json, os, subprocess, sys
from pathlib import Path
import numpy as np
import pyarrow as pa, pyarrow.parquet as pq
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]

@pytest.fixture
def registry(tmp_path, monkeypatch):
    monkeypatch.setenv("BNNSTUDY_CACHE", str(tmp_path/"cache"))
    monkeypatch.setenv("BNNSTUDY_REGISTRY", str(tmp_path/"registry.json"))
    from bnnstudy import data as D
    D._MEMO.clear()
    yield tmp_path
    D._MEMO.clear()

def blobs(n=400, d=5, k=3, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    return rng.normal(size=(n, d)) + 2*y[:, None], y

def test_arrays_become_a_dataset_with_splits_and_standardisation(registry):
    from bnnstudy.data import register_dataset, load_data
    x, y = blobs()
    register_dataset("blobs", x*100 + 7, y, task="classification")
    a, b = load_data("blobs", seed=0), load_data("blobs", seed=1)
    assert (len(a.train) + len(a.val), len(a.test)) == (320, 80)
    assert torch.equal(a.test.rows, b.test.rows) and not torch.equal(a.train.rows, b.train.rows)   # fixed test, seeded rest
    assert abs(float(a.train.x.mean())) < 1e-4 and a.train.y.dtype == torch.int64 and a.n_classes == 3
    assert set(a.test.y.tolist()) == {0, 1, 2}   # stratified

def test_parquet_regression_dataset(registry):
    from bnnstudy.data import register_dataset, load_data
    x, _ = blobs()
    pq.write_table(pa.table({"a": x[:, 0], "b": x[:, 1], "price": 3*x[:, 0] + 1}), registry/"houses.parquet")
    info = register_dataset("houses", path=registry/"houses.parquet", target="price", task="regression")
    d = load_data("houses", n_train=np.int64(200))
    assert info.task == "regression" and len(d.train) == 200 and d.train.y.dtype == torch.float32
    assert d.target_mean is not None and d.features == ["a", "b"]
    with pytest.raises(ValueError, match="no target column 'cost'"):
        register_dataset("houses2", path=registry/"houses.parquet", target="cost", task="regression")

def test_a_registration_is_seen_by_another_process_and_the_hpo_study(registry):
    from bnnstudy.data import register_dataset
    register_dataset("blobs", *blobs(), task="classification")
    code = ("from bnnstudy.experiment import HPOObjective; from bnnstudy.runs import run_specs; "
            "o = HPOObjective('blobs', 'smoke'); print(o.model_name, len(o.data.train), "
            "sorted({s.study for s in run_specs('smoke', datasets='blobs')}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=os.environ.copy(), cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["mlp_classifier", "77", "['hpo',", "'replay',", "'table']"]

def test_make_takes_registered_datasets(registry):
    from bnnstudy.data import register_dataset
    register_dataset("blobs", *blobs(), task="classification")
    out = subprocess.run(["make", "-n", "--no-print-directory", "-o", ".venv/.installed", "runs", "PROFILE=smoke",
                          f"RUNS_DIR={registry}/runs", "DATASETS=blobs"], capture_output=True, text=True, cwd=ROOT, env=os.environ.copy())
    assert out.returncode == 0, out.stderr[-2000:]
    assert "hpo/blobs/bnn/seed0" in out.stdout and "table/blobs/design" in out.stdout and "wine_quality" not in out.stdout
    bad = subprocess.run(["make", "-n", "-o", ".venv/.installed", "runs", "PROFILE=smoke", f"RUNS_DIR={registry}/runs",
                          "DATASETS=blobs;rm"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode != 0 and "DATASETS='blobs;rm' is not valid" in bad.stderr

PLUGIN = '''
from torch import nn
from bnnstudy.models import register_model
def wide(data, width: int = 8):
    return nn.Sequential(nn.Linear(data.input_shape[0], width), nn.Tanh(), nn.Linear(width, data.n_classes))
register_model("wide", wide, {"width": ("int", 4, 32), "lr": ("float", 1e-3, 1e-1, "log")})
'''

def test_a_plugin_model_is_found_by_a_papermill_kernel(registry):
    "The experiment template, run by papermill in its own kernel, trains the registered dataset with the plugin's model."
    (registry/"myplugin.py").write_text(PLUGIN)
    env = os.environ | {"BNNSTUDY_PLUGINS": "myplugin", "PYTHONPATH": f"{registry}:{ROOT}", "OMP_NUM_THREADS": "1"}
    code = ("from bnnstudy.data import register_dataset; import numpy as np; rng = np.random.default_rng(0); "
            "y = rng.integers(0, 2, 300); register_dataset('pairs', rng.normal(size=(300, 3)) + y[:, None], y, "
            "task='classification', model='wide')")
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    out_dir = registry/"runs/hpo/pairs/random/seed0"
    r = subprocess.run([str(ROOT/".venv/bin/papermill"), str(ROOT/"nbs/50_hpo_experiment.ipynb"), str(registry/"run.ipynb"),
                        "-k", "python3", "-p", "dataset", "pairs", "-p", "method", "random", "-p", "profile", "smoke",
                        "-p", "out_dir", str(out_dir)], capture_output=True, text=True, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    result = json.loads((out_dir/"result.json").read_text())
    assert result["model"] == "wide" and result["dataset"] == "pairs" and set(result["space"]) == {"width", "lr"}
