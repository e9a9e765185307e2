"BNNSampler inside Optuna studies: startup, BNN proposals, direction, failures, unsupported distributions, seeding."
import math, warnings
import optuna
import pytest
from optuna.samplers import RandomSampler
from bnnstudy.optuna import BNNSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)
FAST = dict(surrogate_kw=dict(iters=30))   # short fits: behaviour, not quality

def objective(trial):
    x = trial.suggest_float("x", 1e-3, 1.0, log=True)
    n = trial.suggest_int("n", 1, 16)
    kind = trial.suggest_categorical("kind", ["a", "b", "c"])
    return math.log(x/0.3)**2 + ((n - 7)/4)**2 + {"a": 0.5, "b": 0.0, "c": 1.0}[kind]

def test_bnn_sampler_minimises_a_small_function():
    study = optuna.create_study(sampler=BNNSampler(seed=0, n_startup_trials=5, **FAST))
    study.optimize(objective, n_trials=15)
    rand = optuna.create_study(sampler=RandomSampler(seed=0))
    rand.optimize(objective, n_trials=15)
    assert study.best_value < 0.6
    assert len(study.trials) == 15 and all(t.state == optuna.trial.TrialState.COMPLETE for t in study.trials)

def test_seeded_studies_are_identical_and_startup_is_random():
    runs = []
    for _ in range(2):
        s = optuna.create_study(sampler=BNNSampler(seed=3, n_startup_trials=4, **FAST))
        s.optimize(objective, n_trials=7)
        runs.append([t.params for t in s.trials])
    assert runs[0] == runs[1]
    r = optuna.create_study(sampler=RandomSampler(seed=3)); r.optimize(objective, n_trials=4)
    assert runs[0][:4] == [t.params for t in r.trials]   # the startup trials are the random sampler's

def test_maximise_direction_is_respected():
    s = optuna.create_study(direction="maximize", sampler=BNNSampler(seed=0, n_startup_trials=5, **FAST))
    s.optimize(lambda t: -objective(t), n_trials=12)
    assert s.best_value > -0.8 and s.best_value == max(t.value for t in s.trials)

def test_failed_trials_and_stepped_parameters():
    def flaky(trial):
        x = trial.suggest_float("x", 0.0, 1.0)
        step = trial.suggest_float("step", 0.0, 1.0, step=0.25)   # modelled on its grid (issue 13 item 2)
        if x > 0.7: raise RuntimeError("diverged")
        return (x - 0.5)**2 + step
    sampler = BNNSampler(seed=1, n_startup_trials=4, **FAST)
    s = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.optimize(flaky, n_trials=10, catch=(RuntimeError,))
    assert len(s.trials) == 10 and s.best_value < 0.3
    assert set(sampler.infer_relative_search_space(s, s.trials[-1])) == {"x", "step"}

def test_multi_objective_is_refused():
    s = optuna.create_study(directions=["minimize", "minimize"], sampler=BNNSampler(seed=0, n_startup_trials=2, **FAST))
    with pytest.raises(ValueError, match="BNNSampler optimises one objective"):
        s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)


# ---- issue 13, items 1-5 -------------------------------------------------------------------------------------------
from optuna.trial import TrialState
from bnnstudy import optimizers as hpo
from bnnstudy.study import minimize, load_study
from bnnstudy.space import SearchSpace, Float, Int, Choice


def test_pruned_configurations_are_never_proposed_again():
    from bnnstudy.benchmarks.sampler import pruned_probe
    r = pruned_probe(BNNSampler(seed=0, n_startup_trials=5, **FAST), n_trials=25)
    assert r["pruned"] > 0 and r["repeats"] == 0, r


def test_running_trials_are_pending_and_the_optimizer_is_kept():
    made, told = [], []
    init, tell = hpo.BNNOptimizer.__init__, hpo.Optimizer.tell
    def counting_init(self, *a, **k): made.append(1); init(self, *a, **k)
    def counting_tell(self, *a, **k): told.append(1); return tell(self, *a, **k)
    mp = pytest.MonkeyPatch()
    mp.setattr(hpo.BNNOptimizer, "__init__", counting_init); mp.setattr(hpo.Optimizer, "tell", counting_tell)
    try:
        s = optuna.create_study(sampler=BNNSampler(seed=0, n_startup_trials=4, **FAST))
        s.optimize(objective, n_trials=10)
        first, second = s.ask(), s.ask()           # first is RUNNING while second is asked
        p1 = {k: f(k) for k, f in (("x", lambda k: first.suggest_float(k, 1e-3, 1.0, log=True)),)}
        p2 = {k: f(k) for k, f in (("x", lambda k: second.suggest_float(k, 1e-3, 1.0, log=True)),)}
    finally: mp.undo()
    assert len(made) == 1                         # one optimizer for the whole study, not one per ask
    assert len(told) == 10                        # trials 0-9 told once each over 8 asks (a rebuild tells 4+5+...+11)
    (st,) = s.sampler._states.values()
    assert set(st.pending) >= {first.number, second.number} and p1 != p2
    assert all(t.error is None for t in st.opt._told if t.status == "completed")


def test_stepped_parameters_are_modelled_on_their_grid():
    def f(trial):
        x = trial.suggest_float("x", 0.0, 1.0, step=0.05)
        n = trial.suggest_int("n", 0, 20, step=2)
        return (x - 0.35)**2 + ((n - 8)/10)**2
    sampler = BNNSampler(seed=0, n_startup_trials=4, **FAST)
    s = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # nothing falls back to random: no warning
        s.optimize(f, n_trials=10)
    assert set(sampler.infer_relative_search_space(s, s.trials[-1])) == {"x", "n"}
    assert all(abs(t.params["x"]/0.05 - round(t.params["x"]/0.05)) < 1e-9 and t.params["n"] % 2 == 0 for t in s.trials)
    (st,) = sampler._states.values()
    assert any(t.source == "model" for t in st.opt._told)


def test_parameters_left_to_random_are_named_in_one_warning():
    def f(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        return trial.suggest_float(f"x_{kind}", 0, 1) + (kind == "b")
    s = optuna.create_study(sampler=BNNSampler(seed=0, n_startup_trials=3, **FAST))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s.optimize(f, n_trials=8)
    said = [str(w.message) for w in caught if "BNNSampler draws" in str(w.message)]
    assert len(said) == 1 and "x_a" in said[0] and "x_b" in said[0]


def test_multi_objective_study_is_refused_at_its_first_trial_in_one_line():
    s = optuna.create_study(directions=["minimize", "maximize"], sampler=BNNSampler(seed=0))
    with pytest.raises(ValueError, match="BNNSampler optimises one objective") as e:
        s.optimize(lambda t: (t.suggest_int("n", 0, 5), t.suggest_float("y", 0, 1)), n_trials=3)
    assert "\n" not in str(e.value)
    assert [t.state for t in s.trials] == [TrialState.FAIL]   # no trial left RUNNING


def test_to_optuna_opens_a_native_study_in_optuna_visualization(tmp_path):
    import matplotlib; matplotlib.use("Agg")
    from bnnstudy.optuna import to_optuna
    space = SearchSpace(lr=Float(1e-4, 1e-1, log=True), units=Int(8, 64), act=Choice(["relu", "tanh"]))
    def f(p):
        if p["units"] > 60: return float("nan")   # a failed trial
        return math.log10(p["lr"])**2 + p["units"]/64 + (p["act"] == "tanh")
    opt = minimize(f, space, method="random", n_trials=15, storage=tmp_path/"study.db", seed=2, progress=False)
    opt.ask()                                                            # one pending trial
    opt.close()
    native = load_study(tmp_path/"study.db")
    o = to_optuna(tmp_path/"study.db", optuna_storage=f"sqlite:///{tmp_path/'optuna.db'}")
    again = optuna.load_study(study_name=o.study_name, storage=f"sqlite:///{tmp_path/'optuna.db'}")
    assert len(again.trials) == 16 and again.best_value == native.best[1]
    assert [t.params for t in again.trials] == [t.params for t in sorted(native.trials, key=lambda t: t.id)]
    assert again.trials[-1].state == TrialState.RUNNING
    assert all(t.datetime_start is not None for t in again.trials)
    states = {t.state for t in again.trials}
    assert TrialState.COMPLETE in states
    ax = optuna.visualization.matplotlib.plot_optimization_history(again)
    assert len(ax.collections) + len(ax.lines) > 0


def test_sampler_benchmark_writes_its_tables(tmp_path):
    from bnnstudy.benchmarks.sampler import main
    table, _ = main(trials=6, bins="0,3,6", seeds=0, samplers="bnn,tpe", out_dir=str(tmp_path))
    assert list(table.columns) == ["trials", "bnn s/trial", "tpe s/trial"]
    assert (tmp_path/"bench_sampler.md").read_text().count("\n|") >= 3
