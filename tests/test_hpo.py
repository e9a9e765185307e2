"Behaviour of the ask/tell optimizers (bnnstudy.optimizers) and `minimize` (bnnstudy.study): contract, batches, finite spaces, warm starts, failures."
import subprocess, sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import pytest
from bnnstudy.space import SearchSpace, Float, Int, Choice
from bnnstudy.optimizers import make_optimizer, OPTIMIZERS
from bnnstudy.study import minimize, maximize, load_study
from bnnstudy.hpo import Trial, TrialStore   # the old import path re-exports
from bnnstudy.store import Trial as StoreTrial
from conftest import MIXED   # bnnstudy.testfns' mixed toy: kind, n, x, lr (log), bs; minimum 0

METHODS = ["random", "grid", "tpe", "bnn", "gp"]
FAST = {"bnn": dict(surrogate_kw=dict(iters=30)), "grid": dict(budget=64)}   # short fits: these tests check behaviour, not quality

def space(): return MIXED.space
toy = MIXED

def opt(method, **kw): return make_optimizer(method, space(), seed=0, **(FAST.get(method, {}) | kw))

def test_ask_returns_trial_with_plain_params():
    o = opt("random", maximize=True)
    t = o.ask()
    assert isinstance(t, Trial) and t.id == 0 and t.status == "asked"
    assert type(t.params["n"]) is int and type(t.params["lr"]) is float and t.params["kind"] in ("a", "b", "c", "d")
    o.tell(t, 0.87)
    assert t.status == "completed" and t.value == 0.87
    assert o.best == (t.params, 0.87)
    h = o.history
    assert list(h.columns[:6]) == ["trial", "kind", "n", "x", "lr", "bs"] and len(h) == 1

def test_best_respects_direction():
    lo, hi = opt("random"), opt("random", maximize=True)
    for o in (lo, hi):
        for t, v in zip(o.ask(3), [2.0, 1.0, 3.0]): o.tell(t, v)
    assert lo.best[1] == 1.0 and hi.best[1] == 3.0

@pytest.mark.parametrize("method", METHODS)
def test_batches_are_distinct_and_runs_converge_to_something(method):
    o = opt(method)
    for _ in range(3):   # past the initial design (6 points for 5 parameters)
        ts = o.ask(4)
        assert len({o.space.key(t.params) for t in ts}) == 4
        for t in ts: o.tell(t, toy(t.params))
    keys = [o.space.key(t.params) for t in o.trials]
    assert len(set(keys)) == len(keys) == 12
    assert o.history.status.eq("completed").all() and o.best[1] == min(o.history.value)

@pytest.mark.parametrize("method", METHODS)
def test_finite_space_never_repeats_and_reports_exhaustion(method):
    small = SearchSpace(act=Choice(["relu", "tanh", "gelu"]), layers=Int(1, 2), bs=Choice([16, 32]))   # 12 configurations
    o = make_optimizer(method, small, seed=1, **({"surrogate_kw": dict(iters=20)} if method == "bnn" else {}))
    seen = set()
    while len(seen) < 12:
        for t in o.ask(min(3, 12 - len(seen))):
            k = small.key(t.params); assert k not in seen; seen.add(k)
            o.tell(t, float(len(t.params["act"]) + t.params["layers"] + t.params["bs"]/16))
    with pytest.raises(ValueError, match="exhausted"): o.ask()

def test_batch_larger_than_what_is_left_is_refused():
    o = make_optimizer("random", SearchSpace(a=Choice([1, 2, 3])))
    o.ask(2)
    with pytest.raises(ValueError, match="only 1 configurations are left"): o.ask(2)

def test_warm_start_tells_are_accepted_and_used():
    o = opt("bnn")
    rng = np.random.default_rng(0)
    for p in space().sample(8, rng): o.tell(p, toy(p))                      # dicts
    o.tell(Trial(params=dict(kind="b", n=21, x=0.7, lr=10**-2.5, bs=32)), 0.025)  # a Trial built from params
    h = o.history
    assert len(h) == 9 and h.source.eq("warm").all() and o.best[1] == 0.025
    t = o.ask()   # 9 completed >= n_initial: the surrogate proposes right away, no initial design
    assert t.source == "model" and t.id == 9

def test_dict_equal_to_a_pending_trial_tells_that_trial():
    o = opt("random")
    t = o.ask()
    o.tell(dict(t.params), 1.0)
    assert t.status == "completed" and len(o.trials) == 1

def test_bad_params_are_clear_errors():
    o = opt("random")
    good = o.ask().params
    with pytest.raises(ValueError, match="unknown parameter 'momentum'"): o.tell(good | {"momentum": 0.9}, 1.0)
    with pytest.raises(ValueError, match="outside"): o.tell(good | {"x": 2.5}, 1.0)
    with pytest.raises(ValueError, match="not one of"): o.tell(good | {"kind": "e"}, 1.0)
    with pytest.raises(ValueError, match="missing parameter"): o.tell({k: v for k, v in good.items() if k != "lr"}, 1.0)
    with pytest.raises(TypeError, match="Trial or a dict"): o.tell([1, 2], 1.0)

def test_told_twice_is_an_error():
    o = opt("random")
    t = o.ask(); o.tell(t, 1.0)
    with pytest.raises(ValueError, match="already told"): o.tell(t, 2.0)
    with pytest.raises(ValueError, match="already told"): o.tell(Trial(id=t.id, params=dict(t.params)), 2.0)

@pytest.mark.parametrize("bad", [None, float("nan"), float("inf"), -float("inf"), np.float64("nan")])
def test_failed_values_are_recorded(bad):
    o = opt("random")
    t = o.ask(); o.tell(t, bad)
    assert t.status == "failed" and t.value is None and t.error
    assert o.history.status.tolist() == ["failed"]
    with pytest.raises(ValueError, match="no completed trial"): o.best

def test_non_number_value_is_a_type_error():
    o = opt("random")
    with pytest.raises(TypeError, match="must be a number"): o.tell(o.ask(), "0.9")
    with pytest.raises(TypeError, match="must be a number"): o.tell(o.ask(), True)

@pytest.mark.parametrize("method", ["bnn", "gp", "tpe"])
def test_model_methods_keep_going_with_failures(method):
    "A third of the runs fail: the model-based methods impute (bnn, gp) or skip (tpe) them and keep proposing new points."
    o = opt(method)
    for i in range(12):
        t = o.ask()
        o.tell(t, None if i % 3 == 2 else toy(t.params))
    h = o.history
    assert (h.status == "failed").sum() == 4 and h.source.iloc[-1] in ("model", "tpe")

def test_make_optimizer_errors():
    with pytest.raises(ValueError, match="unknown method 'hyperband'"): make_optimizer("hyperband", space())
    with pytest.raises(TypeError, match="no option 'surrogate'"): make_optimizer("gp", space(), surrogate="bll")
    with pytest.raises(TypeError, match="SearchSpace"): make_optimizer("random", {"lr": (0, 1)})
    with pytest.raises(ValueError, match="reserved"): make_optimizer("random", SearchSpace(value=Float(0, 1)))
    with pytest.raises(ValueError, match="seed"): make_optimizer("random", space(), seed=-1)
    assert set(OPTIMIZERS) == {"bnn", "gp", "tpe", "random", "grid"}

def test_minimize_records_failures_and_continues():
    calls = []
    def objective(p):
        calls.append(p)
        if len(calls) == 2: raise RuntimeError("CUDA out of memory")
        if len(calls) == 3: return float("nan")
        if len(calls) == 4: return "oops"
        return toy(p)
    o = minimize(objective, space(), method="random", n_trials=8, progress=False, catch=(RuntimeError,))
    h = o.history
    assert len(h) == 8 and len(calls) == 8
    assert h.status.tolist()[:5] == ["completed", "failed", "failed", "failed", "completed"]
    assert h.error[1] == "RuntimeError: CUDA out of memory" and h.error[2] == "value was nan" and "not a number" in h.error[3]
    assert (h.duration >= 0).all()

@pytest.mark.parametrize("method", METHODS)
def test_each_method_runs_in_minimize(method):
    o = minimize(toy, space(), method=method, n_trials=10, seed=0, progress=False, **FAST.get(method, {}))
    assert len(o.history) == 10 and o.history.status.eq("completed").all()
    assert o.best[1] <= o.history.value.iloc[0]

def test_maximize_and_executor_batches():
    with ThreadPoolExecutor(2) as ex:
        o = maximize(lambda p: -toy(p), space(), method="random", n_trials=9, batch_size=4, executor=ex, progress=False)
    assert len(o.history) == 9 and o.maximize and o.best[1] == o.history.value.max()
    assert o.history.trial.tolist() == list(range(9))   # told in ask order, whichever worker finished first

def test_timeout_stops_the_loop():
    import time
    o = minimize(lambda p: time.sleep(0.05) or toy(p), space(), method="random", n_trials=1000, timeout=0.3, progress=False)
    assert 1 <= len(o.history) < 20

def test_grid_in_minimize_covers_an_even_grid():
    # (its objective was `toy`, which has no parameter "x": every trial failed with a KeyError, unnoticed until exceptions stopped the study)
    o = minimize(lambda p: p["x"] + (p["k"] == "b"), SearchSpace(x=Float(0, 1), k=Choice(["a", "b"])), method="grid", n_trials=10, progress=False)
    h = o.history
    assert sorted(h.x.unique().tolist()) == [0.0, 0.25, 0.5, 0.75, 1.0] and set(h.k) == {"a", "b"}

def test_hpo_reexports_the_store():
    assert Trial is StoreTrial and TrialStore.__module__ == "bnnstudy.store" and callable(load_study)

def test_hpo_reexports_every_old_public_name():
    import bnnstudy.hpo as hpo, bnnstudy.optimizers, bnnstudy.study
    old = ['OPTIMIZERS', 'space_to_json', 'space_from_json', 'Optimizer', 'RandomOptimizer', 'GridOptimizer', 'default_n_initial',
           'ModelOptimizer', 'BNNOptimizer', 'GPSurrogate', 'GPOptimizer', 'optuna_distributions', 'TPEOptimizer',
           'make_optimizer', 'minimize', 'maximize', 'Study', 'load_study', '_count', '_evaluate', '_check_value']
    assert all(hasattr(hpo, n) for n in old), [n for n in old if not hasattr(hpo, n)]
    assert hpo.minimize is bnnstudy.study.minimize and hpo.TPEOptimizer is bnnstudy.optimizers.TPEOptimizer

def test_import_hpo_does_not_import_torch():
    code = "import sys, bnnstudy.hpo; assert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

def test_minimize_hands_n_workers_and_scheduler_address_to_dask(monkeypatch):
    "`n_workers`/`scheduler_address` run the study through bnnstudy.parallel.optimize_parallel, with the optimizer minimize made."
    import types
    calls = []
    def optimize_parallel(opt, objective, n_trials, **kw):   # a sequential stand-in with the same signature, recording its call
        calls.append(kw)
        for _ in range(n_trials):
            t = opt.ask(); opt.tell(t, objective(t.params))
        return opt
    monkeypatch.setitem(sys.modules, "bnnstudy.parallel", types.SimpleNamespace(optimize_parallel=optimize_parallel))
    o = minimize(toy, space(), method="random", n_trials=3, n_workers=2, timeout=60, progress=False)
    assert len(o.history) == 3 and o.method == "random"
    assert calls == [dict(n_workers=2, scheduler_address=None, timeout=60, progress=False, security=False)]
    maximize(lambda p: -toy(p), space(), method="random", n_trials=2, scheduler_address="tcp://127.0.0.1:8786", progress=False)
    assert calls[1]["scheduler_address"] == "tcp://127.0.0.1:8786" and calls[1]["n_workers"] is None
    with ThreadPoolExecutor(1) as ex:
        with pytest.raises(ValueError, match="either executor= or Dask"): minimize(toy, space(), n_workers=2, executor=ex)

def test_minimize_without_workers_does_not_import_dask():
    code = ("import sys; from bnnstudy.hpo import minimize; from bnnstudy.space import SearchSpace, Float\n"
            "minimize(lambda p: p['x']**2, SearchSpace(x=Float(0, 1)), method='random', n_trials=3, progress=False)\n"
            "assert not any(m.split('.')[0] in ('dask', 'distributed', 'torch') for m in sys.modules), 'dask or torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)

def test_bad_search_space_and_values_outside_it_are_one_line_errors():
    with pytest.raises(TypeError, match="SearchSpace"): minimize(toy, {"lr": (1e-5, 1e-3)}, method="random", n_trials=2)
    with pytest.raises((TypeError, ValueError), match="low"): minimize(toy, SearchSpace(lr=Float(1e-3, 1e-5)), method="random", n_trials=2)
    o = opt("random")
    good = o.ask().params
    with pytest.raises(ValueError, match=r"parameter 'x'=2\.5 is outside \[-2\.0, 2\.0\]"): o.tell(good | {"x": 2.5}, 1.0)
    with pytest.raises(ValueError, match=r"parameter 'n'=500 is outside \[1, 32\]"): o.tell(good | {"n": 500}, 1.0)
    assert len(o.history) == 0   # nothing recorded by a refused tell

def test_objective_returning_inf_or_a_non_number_fails_its_trial_and_the_study_goes_on():
    values = iter([float("inf"), None, [1.0], 2.0])
    o = minimize(lambda p: next(values), space(), method="random", n_trials=4, progress=False)
    h = o.history
    assert h.status.tolist() == ["failed", "failed", "failed", "completed"] and "not a number" in h.error[2]

def test_values_too_large_for_a_float_fail_the_trial_not_the_study():   # issue 12 item 5
    from fractions import Fraction
    o = minimize(lambda p: 10**400 if p["k"] else Fraction(10**400), SearchSpace(k=Int(0, 1)), method="grid", n_trials=2, progress=False)
    assert o.history.status.tolist() == ["failed", "failed"]
    assert set(o.history.error) == {"value (int) too large for a float (beyond ±1.8e308)", "value (Fraction) too large for a float (beyond ±1.8e308)"}
    t = o.ask() if o.remaining else None
    assert t is None
    r = make_optimizer("random", space())
    assert r.tell(r.ask(), -10**400).status == "failed"

# issue 13 item 6: Optuna's rule for exceptions from the objective
def test_an_exception_from_the_objective_is_stored_then_raised_with_its_traceback(tmp_path):
    def objective(p):
        if p["n"] > 0: raise KeyError("no such column")
    with pytest.raises(KeyError, match="no such column") as e:
        minimize(objective, space(), method="random", n_trials=20, storage=tmp_path/"s.db", progress=False)
    assert e.traceback[-1].name == "objective"   # the objective's own frame
    h = load_study(tmp_path/"s.db").history
    assert h.status.tolist() == ["failed"] and h.error[0] == "KeyError: 'no such column'"

def test_catch_records_expected_exceptions_and_others_still_raise():
    calls = []
    def objective(p):
        calls.append(1)
        if len(calls) == 2: raise MemoryError("out of memory")
        if len(calls) == 4: raise ValueError("a bug")
        return toy(p)
    with pytest.raises(ValueError, match="a bug"):
        minimize(objective, space(), method="random", n_trials=10, progress=False, catch=(MemoryError,))
    assert len(calls) == 4
    with pytest.raises(TypeError, match="catch must be an exception class"): minimize(toy, space(), catch=["MemoryError"])

@pytest.mark.parametrize("n_trials, stops_after", [(20, 5), (3, 3)])
def test_a_study_whose_first_trials_all_raise_stops_even_with_catch(n_trials, stops_after):
    calls = []
    def objective(trial):
        calls.append(1)
        return trial.suggest_float("x", 0, 1)   # Optuna's spelling: every call raises AttributeError
    with pytest.raises(AttributeError, match="suggest_float") as e:
        minimize(objective, SearchSpace(x=Float(0, 1)), method="random", n_trials=n_trials, progress=False, catch=(AttributeError,))
    assert len(calls) == stops_after and f"the first {stops_after} trials all failed" in e.value.__notes__[0]

def test_failures_after_a_success_and_failed_runs_do_not_stop_the_study():
    o = minimize(lambda p: float("nan"), space(), method="random", n_trials=8, progress=False)   # diverged runs: not errors
    assert (o.history.status == "failed").all() and len(o.history) == 8
    calls = []
    def later(p):
        calls.append(1)
        if len(calls) > 1: raise MemoryError("out of memory")
        return 1.0
    o = minimize(later, space(), method="random", n_trials=8, progress=False, catch=MemoryError)
    assert o.history.status.tolist() == ["completed"] + ["failed"]*7

def test_every_failed_trial_is_logged_as_a_warning(caplog):
    values = iter([1.0, float("nan"), 2.0, None])
    with caplog.at_level("WARNING", logger="bnnstudy.runner"):
        minimize(lambda p: next(values), space(), method="random", n_trials=4, progress=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "bnnstudy.runner"]
    assert lines == ["trial 1 failed: value was nan", "trial 3 failed: no value (None)"]

# issue 12 item 11: one rule for timeout, the same as optimize_parallel's
@pytest.mark.parametrize("timeout", [0, -1, float("nan"), "60"])
def test_a_timeout_that_is_not_a_positive_number_is_refused_before_anything_runs(timeout, tmp_path):
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds or None"):
        minimize(toy, space(), method="random", n_trials=3, timeout=timeout, storage=tmp_path/"s.db", progress=False)
    assert not (tmp_path/"s.db").exists()
    from bnnstudy.parallel import optimize_parallel
    with pytest.raises(ValueError, match="timeout must be a positive number of seconds or None"):
        optimize_parallel(make_optimizer("random", space()), toy, 3, timeout=timeout)

def test_minimize_leaves_a_db_that_a_plain_copy_reads_whole(tmp_path):
    "A second writer keeps the log from being checkpointed on close; minimize checkpoints, so the .db alone has every trial."
    import shutil
    from bnnstudy.hpo import make_optimizer, minimize, load_study
    space, db = SearchSpace(x=Float(0.0, 1.0)), tmp_path/"study.db"
    other = make_optimizer("random", space, seed=0, storage=db)   # a second session on the store, still open
    try:
        minimize(lambda p: (p["x"] - 0.3)**2, space, method="random", n_trials=12, storage=f"sqlite:///{db}", progress=False)
        shutil.copy(db, tmp_path/"copy.db")
    finally: other.close()
    assert len(load_study(tmp_path/"copy.db").history) == 12
    assert len(load_study(f"sqlite:///{db}").history) == 12

def test_tpe_adds_a_told_trial_in_constant_time():
    "The TPE adapter keeps its own count of the Optuna study's trials: reading study.trials deep-copies all of them."
    import time
    opt = make_optimizer("tpe", space(), seed=0, n_startup_trials=1000)   # Optuna's random start-up draws: cheap asks
    for _ in range(300):
        t = opt.ask(); opt.tell(t, toy(t.params))
    opt._sync_study()
    numbers = [n for n, _ in opt._numbers.values()]
    assert sorted(numbers) == sorted(set(numbers)) and len(opt._study.trials) == opt._n_study   # the count is the study's length
    for t in opt._trials.values():   # each of our trials is the Optuna trial of that number
        if t.told and t.status == "completed": assert opt._study.trials[opt._numbers[t.id][0]].params == t.params
    t = opt.ask(); opt.tell(t, toy(t.params))
    t0 = time.process_time(); opt._sync_study(); took = time.process_time() - t0
    assert took < 0.05, f"adding one told trial to a 300-trial study took {took:.3f} s"

def test_a_conditional_space_is_stored_with_its_conditions_and_never_repeats_a_model(tmp_path):
    space = SearchSpace(kernel=Choice(["rbf", "linear"]), gamma=Float(1e-3, 1.0, log=True), C=Float(0.1, 10.0, log=True)).when(
        gamma={"kernel": ["rbf"]})
    seen = []
    def objective(p):
        seen.append(p)
        return (np.log10(p["C"]) - 0.5)**2 + (0.3 if p["kernel"] == "linear" else (np.log10(p["gamma"]) + 1)**2)
    path = str(tmp_path/"svm.db")
    minimize(objective, space, method="bnn", n_trials=12, storage=path, seed=0, progress=False)
    again = load_study(path)
    assert again.space == space and again.space.conditions == {"gamma": {"kernel": ("rbf",)}}
    # the objective got each linear-kernel configuration with gamma at its inactive value, never two gammas for one model
    assert {p["gamma"] for p in seen if p["kernel"] == "linear"} <= {float(space.from_native(space.inactive_values)[0]["gamma"])}
    with pytest.raises(ValueError, match="different space"):   # the same parameters without the condition are another space
        make_optimizer("random", SearchSpace(**space.params), storage=path)
