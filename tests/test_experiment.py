"bnnstudy.experiment's cheap helpers, so that the everyday loop (`make test-fast`, without the 32_experiment notebook) exercises the module."
import pytest
from bnnstudy.experiment import design_configs, hpo_space, score_metric, use_threads

def test_a_design_is_seeded_sized_and_inside_the_space():
    space = hpo_space("wine_quality")
    a = design_configs(space, 8, "sobol", seed=3)
    assert a == design_configs(space, 8, "sobol", seed=3) and len(a) == 8
    assert all(space.validate(c) == c for c in a) and len({space.key(c) for c in a}) == 8
    assert design_configs(space, 8, "lhs", seed=3) != a
    with pytest.raises(ValueError, match="design must be one of"): design_configs(space, 2, "grid")
    with pytest.raises(ValueError, match="no HPO model for 'nope'"): hpo_space("nope")

def test_the_score_and_the_thread_count_follow_the_task_and_profile():
    assert score_metric("regression") == "r2" and score_metric("multiclass") == "accuracy"
    import torch
    before = torch.get_num_threads()
    try: assert use_threads(None, "smoke") == 1   # the smoke profile's one thread
    finally: torch.set_num_threads(before)
    with pytest.raises(ValueError, match="threads must be a non-negative integer"): use_threads(-1, "smoke")
