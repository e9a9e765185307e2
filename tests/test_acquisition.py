"Behaviour of the acquisition functions and their optimiser over mixed spaces."
import numpy as np
import pytest
from scipy.stats import norm
from bnnstudy.space import SearchSpace, Float, Int, Choice
from bnnstudy.surrogate import make_surrogate
from bnnstudy.acquisition import (log_h, log_expected_improvement, expected_improvement, upper_confidence_bound,
                                  thompson, optimize_acquisition)

def test_log_h_matches_the_definition_where_it_is_representable():
    z = np.linspace(-25, 10, 300)
    np.testing.assert_allclose(log_h(z), np.log(norm.pdf(z) + z*norm.cdf(z)), rtol=1e-8)

def test_log_ei_is_finite_and_monotone_far_below_the_incumbent():
    mean = -np.logspace(0, 150, 50)
    lei = log_expected_improvement(mean, np.ones(50), 0.0)
    assert np.isfinite(lei).all() and (np.diff(lei) < 0).all()
    assert np.isfinite(log_expected_improvement(-40.0, 1.0, 0.0))
    assert expected_improvement(-40.0, 1.0, 0.0) == 0.0
    assert np.isfinite(log_expected_improvement(0.0, 0.0, 1.0))   # zero variance is floored, not a division by 0

def test_log_ei_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    f = rng.normal(0.3, 2.0, 2_000_000)
    np.testing.assert_allclose(np.exp(log_expected_improvement(0.3, 4.0, 1.0)), np.maximum(f - 1.0, 0).mean(), rtol=0.01)

def _space():
    return SearchSpace(lr=Float(1e-4, 1e-1, log=True), units=Int(8, 128, log=True), act=Choice(["relu", "tanh", "gelu"]),
                       depth=Choice([1, 2, 3]))

def _objective(c):
    return -(np.log10(c["lr"]) + 2)**2 - (np.log2(c["units"]) - 5)**2/4 - 0.5*(c["act"] != "gelu") - abs(c["depth"] - 2)

def _fitted(space, n=15, seed=0, name="ensemble"):
    cfgs = space.sobol(n, np.random.default_rng(seed))
    return cfgs, make_surrogate(name, seed=seed).fit(space.encode(cfgs), [_objective(c) for c in cfgs])

@pytest.mark.parametrize("kind", ["ei", "ucb", "ts"])
def test_batches_are_valid_distinct_new_and_seeded(kind):
    space = _space()
    cfgs, model = _fitted(space)
    seen = {space.key(c) for c in cfgs}
    a = optimize_acquisition(space, model, kind, rng=np.random.default_rng(3), n=3, exclude=seen)
    b = optimize_acquisition(space, model, kind, rng=np.random.default_rng(3), n=3, exclude=seen)
    assert a == b and len(a) == 3
    assert len({space.key(c) for c in a} - seen) == 3
    for c in a:
        assert space.validate(c) == c
        assert type(c["units"]) is int and type(c["depth"]) is int and c["act"] in ("relu", "tanh", "gelu")

def test_exclude_accepts_configurations_too():
    space = _space()
    cfgs, model = _fitted(space)
    best = optimize_acquisition(space, model, "ucb", rng=np.random.default_rng(0))[0]
    other = optimize_acquisition(space, model, "ucb", rng=np.random.default_rng(0), exclude=[best])[0]
    assert space.key(other) != space.key(best)

@pytest.mark.parametrize("name", ["ensemble", "mc_dropout", "bll", "ibnn"])
def test_the_optimiser_beats_random_search_on_the_surrogate(name):
    space = _space()
    cfgs, model = _fitted(space, n=25, name=name)
    rng = np.random.default_rng(1)
    pick = optimize_acquisition(space, model, "ucb", rng=rng, beta=0.0)[0]        # beta=0: maximise the mean
    rand = space.sample(2000, rng)
    best_random = model.predict(space.encode(rand))[0].max()
    assert model.predict(space.encode(pick))[0][0] >= best_random - 1e-9

def test_finite_space_is_exhausted_without_repeats():
    space = SearchSpace(a=Choice(["x", "y", "z"]), b=Int(1, 4))
    cfgs = space.grid(12)
    seen = {space.key(c) for c in cfgs[:5]}
    model = make_surrogate("ensemble", seed=0).fit(space.encode(cfgs[:5]), np.arange(5.0))
    asked = []
    rng = np.random.default_rng(0)
    while True:
        got = optimize_acquisition(space, model, "ei", rng=rng, n=3, exclude=seen)
        if not got: break
        keys = {space.key(c) for c in got}
        assert not keys & seen and len(keys) == len(got)
        seen |= keys; asked += got
    assert len(asked) == 7 and len(seen) == 12

def test_ei_prefers_the_promising_region_on_a_1d_function():
    space = SearchSpace(x=Float(0.0, 1.0))
    x = np.array([0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95])
    model = make_surrogate("ensemble", seed=0).fit(x[:, None], -(x - 0.7)**2)
    pick = optimize_acquisition(space, model, "ei", rng=np.random.default_rng(0))[0]["x"]
    assert 0.5 < pick < 0.9

def test_thompson_returns_draws():
    space = _space()
    _, model = _fitted(space)
    X = space.encode(space.sample(10, np.random.default_rng(0)))
    assert thompson(model, X, np.random.default_rng(0), n=4).shape == (4, 10)

def test_bad_arguments():
    space = _space()
    _, model = _fitted(space)
    with pytest.raises(ValueError, match="unknown acquisition 'pi'"): optimize_acquisition(space, model, "pi", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="explicit rng"): optimize_acquisition(space, model, "ei")
    with pytest.raises(ValueError, match="not fitted"): optimize_acquisition(space, make_surrogate("bll"), "ei", rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="beta must be a finite number >= 0"): upper_confidence_bound(0.0, 1.0, beta=-1.0)

def test_picks_keep_a_minimum_distance_from_observations_and_each_other():
    space = SearchSpace(x=Float(0.0, 1.0), y=Float(0.0, 1.0))
    rng = np.random.default_rng(0)
    X = rng.random((12, 2))
    model = make_surrogate("ensemble", seed=0).fit(X, -((X - 0.5)**2).sum(1))
    picks = space.encode(optimize_acquisition(space, model, "ei", rng=rng, n=4, min_distance=0.05))
    pts = np.r_[X, picks]
    d = np.sqrt(((pts[:, None] - pts[None])**2).sum(-1)) + np.eye(len(pts))
    assert d[12:].min() >= 0.05
