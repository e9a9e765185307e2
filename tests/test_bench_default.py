"The default `bnn` (issue 10 §2) and huge finite losses in model-based optimizers (issue 12 item 3)."
import numpy as np, pytest
from bnnstudy.space import SearchSpace, Float, Choice, Ordinal
from bnnstudy.optimizers import make_optimizer, model_targets

SPACE = SearchSpace(x=Float(0.0, 1.0), k=Choice(["a", "b"]), n=Ordinal([1, 2, 4, 8]))

@pytest.mark.parametrize("method", ["bnn", "gp"])
def test_huge_finite_losses_do_not_poison_the_surrogate(method):
    opt = make_optimizer(method, SPACE, seed=0, n_initial=4)
    rng = np.random.default_rng(0)
    for i, p in enumerate(SPACE.sample(8, rng)):
        opt.tell(p, 1e308 if i in (2, 5) else (p["x"] - 0.3)**2 + (p["k"] == "b"))
    for _ in range(2):   # every later ask works (it raised 'Input data contains NaN values' for the GP)
        t = opt.ask()
        opt.tell(t, (t.params["x"] - 0.3)**2)
    assert max(v for v in opt.history.value) == 1e308   # the store keeps the raw value

def test_model_targets_keep_the_order_and_stay_finite():
    y = np.array([5.0, 1e308, 1e300, 0.5, 2.0])
    u = model_targets(y)
    assert np.isfinite(u).all()
    assert (np.argsort(-u) == np.argsort(y)).all()
    assert model_targets(y, transform="none")[3] == -0.5

def test_the_default_bnn_is_the_last_layer_on_ranks_and_the_ensemble_bootstraps():
    opt = make_optimizer("bnn", SPACE)
    assert opt.surrogate == "bll" and opt.output_transform == "rank"
    s = make_optimizer("bnn", SPACE, surrogate="ensemble")._surrogate(0)
    assert type(s).__name__ == "DeepEnsemble" and s.bootstrap

def test_bootstrap_members_differ_at_the_data():
    from bnnstudy.surrogate import DeepEnsemble
    X = np.linspace(0, 1, 12)[:, None]; y = np.sin(6*X[:, 0])
    _, v_boot = DeepEnsemble(seed=0, bootstrap=True).fit(X, y).predict(X)
    _, v_same = DeepEnsemble(seed=0, bootstrap=False).fit(X, y).predict(X)
    assert v_boot.mean() > v_same.mean()   # resampled members disagree more where points were left out
