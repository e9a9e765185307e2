"BNNSampler inside Optuna studies: startup, BNN proposals, direction, failures, unsupported distributions, seeding."
import math, warnings
import optuna
import pytest
from optuna.samplers import RandomSampler
from bnnstudy.optuna import BNNSampler

optuna.logging.set_verbosity(optuna.logging.WARNING)
FAST = dict(surrogate_kw=dict(steps=100))

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
        step = trial.suggest_float("step", 0.0, 1.0, step=0.25)   # not modelled: the independent sampler draws it
        if x > 0.7: raise RuntimeError("diverged")
        return (x - 0.5)**2 + step
    sampler = BNNSampler(seed=1, n_startup_trials=4, **FAST)
    s = optuna.create_study(sampler=sampler)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s.optimize(flaky, n_trials=10, catch=(RuntimeError,))
    assert len(s.trials) == 10 and s.best_value < 0.3
    assert set(sampler.infer_relative_search_space(s, s.trials[-1])) == {"x"}

def test_multi_objective_is_refused():
    s = optuna.create_study(directions=["minimize", "minimize"], sampler=BNNSampler(seed=0, n_startup_trials=2, **FAST))
    with pytest.raises(ValueError, match="BNNSampler cannot be used"):
        s.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1)), n_trials=4)
