"Fault injection: a study SIGKILLed at least 20 times (at random moments and inside tells) loses nothing, repeats nothing, and ends as an uninterrupted run."
import pytest
from bnnstudy.benchmarks.faults import run_fault_injection

def test_twenty_kills_lose_and_repeat_nothing(tmp_path):
    r = run_fault_injection(kills=20, n_trials=50, method="random", space="mixed", seed=0, workdir=tmp_path)
    assert r["kills"] >= 20 and r["mid_tell_kills"] >= 5, r
    assert (r["lost"], r["duplicates"], r["unreadable"]) == (0, 0, 0), r
    assert r["history_equal"] and r["trials"] == 50, r
    assert r["recoveries"] >= 1, r   # resuming after a kill says what it recovered

def test_unknown_space_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown space 'rosenbrock'"): run_fault_injection(space="rosenbrock")
