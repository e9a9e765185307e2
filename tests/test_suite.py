"The tabular HPO suite: committed tables match their problems, the loader looks configurations up, builds resume."
import dataclasses, json
from pathlib import Path
import numpy as np, pandas as pd, pytest
from bnnstudy.benchmarks import suite

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT/"reports"/"tables"/"suite"
BUILT = sorted(p.stem for p in TABLES.glob("*.parquet")) if TABLES.is_dir() else []

def test_problems_look_like_hpo():
    assert len(suite.PROBLEMS) >= 6
    for p in suite.PROBLEMS.values():
        assert 1000 <= p.size <= 50000 and 4 <= len(p.params) <= 10, p.name
    mixed = [p for p in suite.PROBLEMS.values() if {"ordinal", "choice"} <= {t for t, _ in p.params.values()}]
    assert len(mixed) >= 6   # ordered levels and true categories in one space
    assert {p.metric for p in suite.PROBLEMS.values()} >= {"error", "mse", "log_loss"}

@pytest.mark.parametrize("name", BUILT)
def test_committed_table_matches_its_problem(name):
    p = suite.PROBLEMS[name]
    t = pd.read_parquet(TABLES/f"{name}.parquet")
    assert len(t) == p.size
    assert {"objective", "fit_seconds", "fold0"} <= set(t.columns) and set(p.params) <= set(t.columns)
    m = json.loads((TABLES/"manifest.json").read_text())[name]
    assert m["n_configs"] == p.size and m["commit"] and m["sklearn"]
    f = suite.load(name, TABLES)
    assert f.optimum == pytest.approx(np.nanmin(t.objective))
    rng = np.random.default_rng(0)
    for i in rng.choice(len(t), 20, replace=False):   # the look-up finds the row of the configuration
        cfg = dict(zip(p.params, p.configs().iloc[i]))
        v = t.objective.iloc[i]
        assert f(cfg) == (v if np.isfinite(v) else np.nanmax(t.objective))
    for c in f.space.sample(5, rng): f(c)   # every configuration the space draws is in the table

def _tiny():
    return dataclasses.replace(suite.PROBLEMS["svr_diabetes"], name="tiny_test",
                               params=dict(C=("ordinal", [0.1, 10.0]), epsilon=("ordinal", [0.1]), gamma=("ordinal", [0.1, 1.0]),
                                           kernel=("choice", ["rbf", "linear"]), scaler=("choice", ["none", "standard"])),
                               conditions=dict(gamma=dict(kernel=["rbf"])))

def test_build_resumes_from_its_chunks(tmp_path, monkeypatch):
    p = _tiny()
    monkeypatch.setitem(suite.PROBLEMS, p.name, p)
    full = suite.build(p.name, tmp_path/"a", chunk=4, verbose=False)
    # a build stopped after its first chunk: the second run evaluates only the rest
    parts = tmp_path/"b"/".build"/p.name; parts.mkdir(parents=True)
    X, y = suite.load_xy(p); folds = suite.cv_folds(p, X, y)
    cfg = p.configs(); keys = suite.effective(p, cfg); todo = cfg.loc[~keys.duplicated()]
    rows = [suite.evaluate(p, c, X, y, folds) for c in todo.iloc[:4].to_dict("records")]
    pd.DataFrame(rows).assign(key=keys.loc[todo.index[:4]].values).to_parquet(parts/"00000.parquet")
    calls = []
    real = suite.evaluate
    monkeypatch.setattr(suite, "evaluate", lambda *a: calls.append(1) or real(*a))
    again = suite.build(p.name, tmp_path/"b", chunk=4, verbose=False)
    assert len(calls) == len(todo) - 4
    pd.testing.assert_series_equal(again.objective, full.objective)
    assert not parts.exists()

def test_ignored_parameters_share_one_evaluation():
    p = _tiny()
    k = suite.effective(p, p.configs())
    assert k.nunique() == 12 and len(k) == 16   # gamma is not read by the linear kernel

@pytest.mark.parametrize("name", list(suite.PROBLEMS))
def test_the_search_space_declares_what_the_table_shares(name):
    "Two configurations have one key in the problem's space exactly when the table gives them one evaluation."
    p = suite.PROBLEMS[name]
    space, configs = suite.space_of(p), p.configs()
    keys = [space.key(c) for c in configs.to_dict("records")]
    effective = suite.effective(p, configs)
    assert len(set(keys)) == effective.nunique() == space.size
    # one table key per space key and back: the two partitions of the grid are the same
    assert pd.Series(keys).groupby(effective.values).nunique().eq(1).all()
    assert effective.groupby(pd.Series(keys).values).nunique().eq(1).all()

def test_a_chain_of_conditions_leaves_out_what_follows_an_ignored_parent():
    p = dataclasses.replace(_tiny(), conditions=dict(gamma=dict(kernel=["rbf"]), epsilon=dict(gamma=[1.0])))
    assert p.ignored(dict(C=0.1, epsilon=0.1, gamma=1.0, kernel="linear", scaler="none")) == ("epsilon", "gamma")
    assert p.ignored(dict(C=0.1, epsilon=0.1, gamma=0.1, kernel="rbf", scaler="none")) == ("epsilon",)
    assert p.ignored(dict(C=0.1, epsilon=0.1, gamma=1.0, kernel="rbf", scaler="none")) == ()
