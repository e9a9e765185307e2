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

def test_the_default_bnn_is_the_infinitely_wide_network_on_ranks_with_log_ei_level_features_and_local_steps():
    opt = make_optimizer("bnn", SPACE)
    assert opt.surrogate == "ibnn" and opt.acquisition == "ei" and opt.output_transform == "rank" and opt.features == "levels"
    assert opt.local_every == 2 and type(opt._surrogate(0).base).__name__ == "InfiniteWidthBNN"   # behind the level bits
    last_layer = make_optimizer("bnn", SPACE, surrogate="bll")   # the default before: Thompson sampling, 150 steps
    assert (last_layer.acquisition, last_layer.surrogate_kw) == ("ts", dict(steps=150, lr=0.02))
    assert make_optimizer("gp", SPACE).local_every == 0   # the GP baseline stays plain global BO

def test_the_ensemble_bootstraps_its_members():
    s = make_optimizer("bnn", SPACE, surrogate="ensemble")._surrogate(0)
    base = getattr(s, "base", s)   # behind the level features when the space has ordered levels
    assert type(base).__name__ == "DeepEnsemble" and base.bootstrap

def test_level_features_wrap_the_surrogate_only_when_the_space_has_ordered_levels():
    from bnnstudy.space import SearchSpace, Float, Ordinal
    plain = SearchSpace(x=Float(0.0, 1.0))
    assert type(make_optimizer("bnn", plain)._surrogate(0)).__name__ == "InfiniteWidthBNN"
    levels = SearchSpace(k=Choice(["a", "b"]), n=Ordinal([1, 2, 4, 8]))
    assert type(make_optimizer("bnn", levels)._surrogate(0)).__name__ == "OnFeatures"
    assert type(make_optimizer("bnn", levels, features="none")._surrogate(0)).__name__ == "InfiniteWidthBNN"

def test_the_default_network_gets_the_bits_beside_a_range_and_auto_leaves_them_out():
    from bnnstudy.space import Int
    for mixed in (SearchSpace(x=Float(0.0, 1.0), n=Ordinal([1, 2, 4, 8])), SearchSpace(m=Int(1, 9), n=Ordinal([1, 2, 4, 8]))):
        assert type(make_optimizer("bnn", mixed)._surrogate(0)).__name__ == "OnFeatures"
        assert type(make_optimizer("bnn", mixed, features="auto")._surrogate(0)).__name__ == "InfiniteWidthBNN"
        last_layer = make_optimizer("bnn", mixed, surrogate="bll")   # the other surrogates keep "auto"
        assert last_layer.features == "auto" and type(last_layer._surrogate(0)).__name__ == "BayesianLastLayer"

def test_local_steps_alternate_with_global_ones_and_propose_neighbours_of_the_best():
    from bnnstudy.space import SearchSpace, Choice, Ordinal
    space = SearchSpace(a=Ordinal(list(range(8))), b=Ordinal(list(range(8))), c=Choice(["x", "y", "z"]))
    f = lambda p: (p["a"] - 5)**2 + (p["b"] - 2)**2 + (p["c"] != "y")
    opt = make_optimizer("bnn", space, seed=0, surrogate="bll", surrogate_kw=dict(steps=100))   # the mechanism, on the quickest fit
    local = []
    for i in range(16):
        is_local = i >= opt.n_initial and opt._local_step()
        t = opt.ask()
        if is_local:   # one parameter away from one of the three best before this ask
            told = sorted((tr for tr in opt.trials if tr.told), key=lambda tr: tr.value)[:3]
            local.append(min(sum(t.params[k] != tr.params[k] for k in t.params) for tr in told))
        opt.tell(t, f(t.params))
    assert len(local) == 5 and max(local) == 1

def test_bootstrap_members_differ_at_the_data():
    from bnnstudy.surrogate import DeepEnsemble
    X = np.linspace(0, 1, 12)[:, None]; y = np.sin(6*X[:, 0])
    _, v_boot = DeepEnsemble(seed=0, bootstrap=True).fit(X, y).predict(X)
    _, v_same = DeepEnsemble(seed=0, bootstrap=False).fit(X, y).predict(X)
    assert v_boot.mean() > v_same.mean()   # resampled members disagree more where points were left out

def test_parameter_groups_give_the_network_one_weight_variance_per_parameter():
    levels = SearchSpace(k=Choice(["a", "b", "c"]), n=Ordinal([1, 2, 4, 8]))   # level bits on: k's 3 one-hot, n's coordinate and 3 bits
    opt = make_optimizer("bnn", levels, seed=0, surrogate_kw=dict(groups="parameter"))
    assert opt.surrogate_kw == dict(groups="parameter")   # stored with the study as the user gave it
    assert list(opt._surrogate(0).base.groups) == [0, 0, 0, 1, 1, 1, 1]
    # x, k's 2 one-hot, n's coordinate, then n's 3 bits (the default network sees them beside a range too)
    assert list(make_optimizer("bnn", SPACE, surrogate_kw=dict(groups="parameter"))._surrogate(0).base.groups) == [0, 1, 1, 2, 2, 2, 2]
    assert list(make_optimizer("bnn", SPACE, features="auto", surrogate_kw=dict(groups="parameter"))._surrogate(0).groups) == [0, 1, 1, 2]
    ps = levels.sample(8, np.random.default_rng(0))
    fitted = opt._surrogate(0).fit(levels.encode(ps), [p["n"] + (p["k"] == "b") for p in ps])
    assert fitted.base.theta.shape == (2 + 5,)   # two weight variances, then the biases, scale, noise and mean
    for p in ps: opt.tell(p, p["n"] + (p["k"] == "b"))
    assert opt.ask().source == "model"
