"Behaviour of the surrogates: seeding, warm starts, function draws, bad input."
import subprocess, sys
import numpy as np
import pytest
import torch
from bnnstudy.surrogate import SURROGATES, make_surrogate, one_thread
from bnnstudy.testfns import forrester, branin_unit as branin

NAMES = sorted(n for n in SURROGATES if n != "gp")   # the BNNs (the GP registers itself when bnnstudy.surrogate_gp is imported)

def _data(n=15, d=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    return X, branin(X)

@pytest.mark.parametrize("name", NAMES)
def test_same_seed_same_data_identical_predictions(name):
    X, y = _data()
    Xt = np.random.default_rng(1).random((30, 2))
    a = make_surrogate(name, seed=4).fit(X, y).predict(Xt)
    b = make_surrogate(name, seed=4).fit(X, y).predict(Xt)
    c = make_surrogate(name, seed=5).fit(X, y).predict(Xt)
    np.testing.assert_array_equal(a[0], b[0]); np.testing.assert_array_equal(a[1], b[1])
    if name != "ibnn": assert not np.allclose(a[0], c[0])   # the infinitely wide network has no random weights to seed

@pytest.mark.parametrize("name", NAMES)
def test_warm_started_sequences_are_reproducible(name):
    X, y = _data(20)
    def run():
        s = make_surrogate(name, seed=0)
        for n in (10, 11, 12): s.fit(X[:n], y[:n])
        return s.predict(X)[0]
    np.testing.assert_array_equal(run(), run())

@pytest.mark.parametrize("name", NAMES)
def test_predictions_are_in_target_units_and_fit_the_data(name):
    X, y = _data(40)
    for scale, shift in ((1.0, 0.0), (1e-3, 5.0), (1e4, -3e4)):
        m, v = make_surrogate(name, seed=0).fit(X, scale*y + shift).predict(X)
        assert v.shape == m.shape == (40,) and (v > 0).all()
        assert np.corrcoef(m, y)[0, 1] > 0.9                  # it learned the function
        assert abs(np.mean(m) - np.mean(scale*y + shift)) < 0.3*scale*np.std(y)

@pytest.mark.parametrize("name", NAMES)
def test_draws_depend_on_rng_only_and_match_the_posterior(name):
    X, y = _data(12)
    s = make_surrogate(name, seed=0).fit(X, y)
    Xt = np.random.default_rng(2).random((20, 2))
    d1 = s.sample(Xt[:7], 3, np.random.default_rng(9))
    d2 = s.sample(Xt, 3, np.random.default_rng(9))
    np.testing.assert_allclose(d1, d2[:, :7], rtol=1e-4, atol=1e-4*np.std(y))
    assert d2.shape == (3, 20)
    draws = s.sample(Xt, 3000, np.random.default_rng(0))
    m, v = s.predict(Xt)
    assert np.max(np.abs(draws.mean(0) - m)) < 0.15*np.std(y) + 3*np.sqrt(v.max()/3000)
    if name != "mc_dropout":   # ensemble and BLL draws have exactly the predictive covariance in expectation
        np.testing.assert_allclose(draws.var(0), v, rtol=0.2)
    else:                      # dropout draws use fresh masks, predict a fixed set of 32: agree on the whole
        assert 0.6 < np.median(draws.var(0)/v) < 1.6

@pytest.mark.parametrize("name", ["ensemble", "bll", "ibnn"])   # MC dropout's variance barely tracks data density (see notebook)
def test_uncertainty_grows_away_from_the_data(name):
    x = np.r_[np.linspace(0, 0.3, 8), np.linspace(0.7, 1.0, 8)][:, None]
    s = make_surrogate(name, seed=0).fit(x, forrester(x[:, 0]))
    _, v_data = s.predict(x)
    _, v_gap = s.predict(np.array([[0.5]]))
    assert v_gap[0] > 2*np.median(v_data)

@pytest.mark.parametrize("name", NAMES)
def test_fantasize_leaves_the_original_alone(name):
    X, y = _data(10)
    s = make_surrogate(name, seed=0).fit(X, y)
    before = s.predict(X)[0]
    f = s.fantasize(np.array([[0.5, 0.5]]), [100.0])
    np.testing.assert_array_equal(s.predict(X)[0], before)
    assert len(f.y_) == 11 and len(s.y_) == 10
    assert f.predict(np.array([[0.5, 0.5]]))[0][0] > s.predict(np.array([[0.5, 0.5]]))[0][0]

@pytest.mark.parametrize("name", NAMES)
def test_degenerate_data(name):
    s = make_surrogate(name, seed=0)
    m, v = s.fit(np.array([[0.3, 0.3]]), [2.0]).predict(np.array([[0.3, 0.3], [0.9, 0.1]]))   # one point
    assert np.isfinite(m).all() and np.isfinite(v).all()
    m, _ = s.fit(np.random.default_rng(0).random((5, 2)), np.full(5, 7.0)).predict(np.array([[0.5, 0.5]]))
    assert abs(m[0] - 7.0) < 1.0                                                            # constant targets

def test_bad_input_raises_one_clear_error():
    s = make_surrogate("ensemble")
    with pytest.raises(ValueError, match="not fitted"): s.predict(np.zeros((1, 2)))
    with pytest.raises(ValueError, match="NaN or infinite values"): s.fit(np.zeros((2, 2)), [1.0, np.nan])
    with pytest.raises(ValueError, match="2 rows but y has 3"): s.fit(np.zeros((2, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least one observation"): s.fit(np.zeros((0, 2)), [])
    with pytest.raises(ValueError, match="NaN or infinite entries"): s.fit(np.array([[np.inf, 0.0]]), [1.0])
    s.fit(np.zeros((3, 2)), [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="fitted on 2"): s.predict(np.zeros((1, 3)))
    with pytest.raises(ValueError, match="unknown surrogate .gpp.; choose one of .*gp"): make_surrogate("gpp")
    with pytest.raises(ValueError, match="at least 2 members"): make_surrogate("ensemble", members=1)
    with pytest.raises(ValueError, match="dropout must be a finite number in"): make_surrogate("mc_dropout", dropout=1.0)

def test_one_thread_restores_the_thread_count():
    n = torch.get_num_threads()
    with one_thread(): assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == n

def test_refit_on_a_new_dimension_starts_afresh():
    s = make_surrogate("ensemble", seed=0).fit(*_data(10, d=2))
    X3 = np.random.default_rng(0).random((10, 3))
    assert s.fit(X3, X3.sum(1)).predict(X3)[0].shape == (10,)

def test_space_and_acquisition_do_not_import_torch():
    code = "import sys, bnnstudy.space, bnnstudy.acquisition; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)

def test_bll_fantasy_is_exact_bayesian_conditioning():
    X, y = _data(12)
    s = make_surrogate("bll", seed=0).fit(X, y)
    x = np.array([[0.4, 0.6]])
    m0, v0 = s.predict(x)
    f = s.fantasize(x, m0)          # believing the mean: the mean stays, the variance drops
    m1, v1 = f.predict(x)
    np.testing.assert_allclose(m1, m0, rtol=1e-6, atol=1e-6*np.std(y))
    assert v1[0] < 0.9*v0[0]
    assert f.blr["alpha"] == s.blr["alpha"] and f.blr["beta"] == s.blr["beta"]

def test_the_bnn_optimizer_builds_its_level_features_once():
    "The thermometer map depends on the space only: one per optimizer, not one per ask."
    from bnnstudy.optimizers import make_optimizer
    from bnnstudy.space import SearchSpace, Choice, Ordinal
    opt = make_optimizer("bnn", SearchSpace(k=Choice(["a", "b"]), n=Ordinal([1, 2, 4, 8])))   # levels only: the bits are on
    a, b = opt._surrogate(0), opt._surrogate(1)
    assert a.features is b.features and a.features.n_extra == 3
    assert a.base is not b.base                                     # the network itself is new each ask

def test_the_infinitely_wide_network_conditions_exactly_and_keeps_its_prior_parameters():
    X, y = _data(12)
    s = make_surrogate("ibnn").fit(X, y)
    x = np.array([[0.4, 0.6]])
    m0, v0 = s.predict(x)
    f = s.fantasize(x, m0)          # believing the mean: the mean stays, the variance drops to about the noise
    m1, v1 = f.predict(x)
    np.testing.assert_allclose(m1, m0, rtol=1e-6, atol=1e-6*np.std(y))
    assert v1[0] < 0.5*v0[0]
    assert f.theta.equal(s.theta)
    with pytest.raises(ValueError, match="depth must be a positive integer"): make_surrogate("ibnn", depth=0)


def test_joint_draws_survive_candidates_next_to_the_data():
    """Candidates a hair from the training points: their posterior covariance (prior minus what the data explain) has
    eigenvalues below zero that the draws' old fixed jitter did not cover (np.linalg.cholesky raised); the draws now
    come, and their variances are the posterior's."""
    from bnnstudy.surrogate import InfiniteWidthBNN
    from bnnstudy.surrogate_gp import GPSurrogate
    rng = np.random.default_rng(0)
    X = rng.random((40, 4)); y = np.sin(5*X).sum(1)
    C = np.concatenate([X + 1e-4*rng.standard_normal(X.shape) for _ in range(5)] + [rng.random((300, 4))]).clip(0, 1)
    ib = InfiniteWidthBNN().fit(X, y)
    _, cov = ib._moments(ib._ready(C), full=True)
    with pytest.raises(np.linalg.LinAlgError):   # the case is real: the old factorisation fails on it
        np.linalg.cholesky(cov + (1e-9*max(np.trace(cov)/len(cov), 1e-12) + 1e-10)*np.eye(len(cov)))
    for model in (ib, GPSurrogate(seed=0).fit(X, y)):
        draws = model.sample(C, 4000, np.random.default_rng(1))
        assert np.isfinite(draws).all()
        _, var = model.predict(C)
        far = slice(200, None)   # the new candidates, where the variance is far from zero
        np.testing.assert_allclose(draws[:, far].var(0), var[far], rtol=0.15)
