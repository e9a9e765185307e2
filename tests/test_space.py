"Edge cases of bnnstudy.space that do not belong in the notebook."
import math, subprocess, sys
import numpy as np
import pytest
from bnnstudy.space import SearchSpace, Float, Int, Choice

def test_import_does_not_load_torch():
    code = "import sys, bnnstudy.space; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)

@pytest.mark.parametrize("make, match", [
    (lambda: Float(2, 1), "low < high"), (lambda: Int(5, 5), "low < high"),
    (lambda: Int(0, 5, log=True), "low > 0"), (lambda: Float(-1, 1, log=True), "low > 0"),
    (lambda: Float(0, math.inf), "finite"), (lambda: Int(1.0, 3), "integers"),
    (lambda: Choice([]), "at least one"), (lambda: Choice([1, 2, 1.0]), "twice"),
    (lambda: Choice("abc"), "list of values"), (lambda: SearchSpace(), "at least one parameter"),
    (lambda: SearchSpace(a=[1, 2]), "Float, Int or Choice")])
def test_bad_definitions_raise_one_clear_error(make, match):
    with pytest.raises((ValueError, TypeError), match=match): make()

def test_bools_and_numbers_are_different_choices():
    c = Choice([True, 1, "1"])        # 1 == True in Python, but they are different choices here
    assert not c.ordinal and c.width == 3
    s = SearchSpace(c=c)
    assert [d["c"] for d in s.decode(np.eye(3))] == [True, 1, "1"]
    assert type(s.decode(np.eye(3))[0]["c"]) is bool

def test_unhashable_choices_round_trip_and_key():
    s = SearchSpace(filters=Choice([[32, 64], [64, 128]]), k=Int(1, 3))
    cfgs = s.grid(100)
    assert len(cfgs) == 6 and len({s.key(c) for c in cfgs}) == 6
    assert s.decode(s.encode(cfgs)) == cfgs

def test_decode_is_total_and_encode_decode_round_trips(mixed_space):
    s, rng = mixed_space, np.random.default_rng(0)
    X = rng.normal(0.5, 2.0, size=(300, s.dim))          # far outside the cube, too
    cfgs = s.decode(X)
    for c in cfgs: s.validate(c)
    assert s.decode(s.encode(cfgs)) == cfgs
    assert np.allclose(s.snap(X), s.encode(cfgs))
    assert all(type(c["n"]) is int and type(c["x"]) is float and type(c["bs"]) is int for c in cfgs)

def test_int_ends_are_reachable_and_uniform():
    s = SearchSpace(k=Int(1, 4))
    counts = np.bincount([c["k"] for c in s.sample(4000, np.random.default_rng(0))], minlength=5)[1:]
    assert counts.min() > 900 and counts.max() < 1100

def test_designs_have_requested_sizes_and_are_seeded(mixed_space):
    s = mixed_space
    for draw in (s.sample, s.sobol, s.latin_hypercube):
        assert draw(0, np.random.default_rng(0)) == []
        a, b = draw(13, np.random.default_rng(5)), draw(13, np.random.default_rng(5))
        assert len(a) == 13 and a == b
    with pytest.raises(ValueError, match="non-negative integer"): s.sample(-1, np.random.default_rng(0))

def test_sobol_covers_the_range_better_than_chance():
    s = SearchSpace(x=Float(0, 1))
    xs = np.sort([c["x"] for c in s.sobol(16, np.random.default_rng(0))])
    assert np.max(np.diff(np.r_[0, xs, 1])) < 2/16

def test_finite_space_size_and_full_grid():
    s = SearchSpace(a=Choice(["x", "y", "z"]), b=Choice([0.1, 0.2]), c=Int(1, 4, log=True))
    assert s.is_finite and s.size == 24
    g = s.grid(24)
    assert len(g) == 24 and len({s.key(c) for c in g}) == 24
    assert len(s.grid(10)) <= 10

def test_grid_never_exceeds_budget_and_never_repeats(mixed_space):
    s = mixed_space
    for budget in (1, 2, 7, 30, 100, 1000):
        g = s.grid(budget)
        assert 1 <= len(g) <= budget
        assert len({s.key(c) for c in g}) == len(g)
    with pytest.raises(ValueError, match="at least 1"): s.grid(0)

def test_log_int_grid_has_distinct_levels():
    g = SearchSpace(k=Int(1, 100, log=True)).grid(6)
    ks = [c["k"] for c in g]
    assert len(ks) == 6 and len(set(ks)) == 6 and ks[0] == 1 and ks[-1] == 100

def test_neighbors_stay_valid_at_the_edges(mixed_space):
    s, rng = mixed_space, np.random.default_rng(3)
    corner = dict(kind="d", n=32, x=-2.0, lr=1.0, bs=128)
    for c in s.neighbors(corner, rng, n=100, scale=0.3):
        s.validate(c)
        assert c != corner
    ints = SearchSpace(k=Int(1, 3))
    assert {c["k"] for c in ints.neighbors(dict(k=3), rng, n=30, scale=1e-6)} == {2}

def test_categorical_neighbors_visit_every_other_category():
    s = SearchSpace(act=Choice(["relu", "tanh", "gelu", "elu"]))
    seen = {c["act"] for c in s.neighbors(dict(act="relu"), np.random.default_rng(0), n=60)}
    assert seen == {"tanh", "gelu", "elu"}

def test_validate_rejects_non_dicts_and_wrong_types(mixed_space):
    s = mixed_space
    with pytest.raises(TypeError, match="dict"): s.validate([1, 2])
    good = dict(kind="a", n=4, x=-1.0, lr=1e-2, bs=32)
    with pytest.raises(TypeError, match="number"): s.validate(good | dict(x="0.3"))
    with pytest.raises(TypeError, match="integer"): s.validate(good | dict(n=True))
    with pytest.raises(ValueError, match="encoded points need 8 columns"): s.decode(np.zeros((1, 5)))

def test_every_model_range_in_the_study_plan_builds_a_space():
    from bnnstudy.models import HPARAM_RANGES   # plain data: ("float"|"int", low, high[, "log"]) or ("choice", values)
    for model, ranges in HPARAM_RANGES.items():
        s = SearchSpace.from_dict(ranges)
        assert s.names == list(ranges), model
        for c in s.sobol(8, np.random.default_rng(0)): s.validate(c)

# issue 12 item 7: spaces the optimisers could not use are refused when they are defined, in one line that says what to do
@pytest.mark.parametrize("make, match", [
    (lambda: Int(0, 10**30), r"within ±2\*\*53"),
    (lambda: Float(-1e308, 1e308), "too wide: high - low overflows"),
    (lambda: Float(1, 1 + 1e-11), "narrower than 1e-08 of its magnitude"),
    (lambda: Float(0.1, 1, log="no"), "log=True or log=False"),
    (lambda: Int(1, 10, log=1), "log=True or log=False")])
def test_unusable_ranges_are_refused_at_construction(make, match):
    with pytest.raises((TypeError, ValueError), match=match) as e: make()
    assert "\n" not in str(e.value)

def test_the_limits_themselves_are_usable():
    from bnnstudy.optimizers import make_optimizer
    space = SearchSpace(k=Int(-2**53, 2**53), x=Float(1, 1 + 1e-6), y=Float(1e-300, 1e300, log=True))
    for method in ("random", "grid"):
        o = make_optimizer(method, space, seed=0, **({"budget": 8} if method == "grid" else {}))
        ts = o.ask(4)
        assert len({space.key(t.params) for t in ts}) == 4

# issue 12 item 8: NumPy values in a Choice are accepted and kept as plain Python values
def test_choice_accepts_numpy_values_and_stores_plain_python(tmp_path):
    from bnnstudy.optimizers import make_optimizer, space_to_json
    space = SearchSpace(k=Choice(np.arange(3)), f=Choice(np.array([0.5, 0.25])), b=Choice([np.bool_(True), np.bool_(False)]))
    assert [type(v) for v in space["k"].values] == [int]*3 and space["f"].values == [0.25, 0.5] and space["b"].values == [True, False]
    assert space_to_json(space)["k"] == {"type": "choice", "values": [0, 1, 2]}
    o = make_optimizer("random", space, storage=tmp_path/"s.db")
    t = o.ask()
    assert all(type(v) in (int, float, bool) for v in t.params.values())
    assert space.validate(dict(k=np.int64(2), f=np.float32(0.5), b=np.bool_(False))) == dict(k=2, f=0.5, b=False)

def test_native_levels_are_every_native_value_of_a_finite_parameter():
    "Code outside the space (local_candidates) asks the parameter for its levels instead of knowing how each type stores them."
    from bnnstudy.space import Ordinal
    assert Int(-2, 1).native_levels().tolist() == [-2, -1, 0, 1]
    for p in (Choice(["relu", "tanh", "gelu"]), Choice([64, 16, 32]), Ordinal(["S", "M", "L"])):
        levels = p.native_levels()
        assert levels.tolist() == list(range(p.n_values))
        assert [p.to_value(k) for k in levels] == p.values          # every value once, in the encoding's order
    assert not hasattr(Float(0.0, 1.0), "native_levels")
