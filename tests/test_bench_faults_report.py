"""bench-faults cleans up after itself (the stores of a temporary folder it made are removed, a named folder is kept) and
its report says when a run had fewer kills or spaces than the default."""
import inspect, tempfile
import pandas as pd
import pytest
import bnnstudy.benchmarks.faults as faults

@pytest.mark.faults
@pytest.mark.slow   # a small study killed once: child processes
def test_its_own_temporary_folder_is_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path/"tmp"))
    (tmp_path/"tmp").mkdir()
    r = faults.run_fault_injection(kills=1, n_trials=4, method="random", seed=1)
    assert (r["kills"], r["lost"], r["history_equal"]) == (1, 0, True), r
    assert not list((tmp_path/"tmp").iterdir()), "a bnnstudy-faults-* folder was left behind"

def test_the_temporary_folder_goes_when_the_study_fails_and_a_named_one_stays(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    def fail(*a, **k): raise RuntimeError("the study process failed")
    monkeypatch.setattr(faults, "_run_child", fail)
    with pytest.raises(RuntimeError, match="the study process failed"): faults.run_fault_injection(kills=1, method="random")
    assert not list(tmp_path.glob("bnnstudy-faults-*"))
    (tmp_path/"mine").mkdir(); (tmp_path/"mine"/"keep.txt").write_text("a user's file")
    with pytest.raises(RuntimeError, match="the study process failed"):
        faults.run_fault_injection(kills=1, method="random", workdir=tmp_path/"mine")
    assert (tmp_path/"mine"/"keep.txt").read_text() == "a user's file"   # a folder the caller named is theirs

def _report(tmp_path, n_studies, kills):
    row = dict(method="bnn", space="branin", kills=kills, mid_tell_kills=8, restarts=kills, recoveries=8, unreadable=0, trials=70,
               acknowledged=70, lost=0, duplicates=0, history_equal=True, seconds=60.0)
    faults._write_faults(tmp_path/"f.csv", pd.DataFrame([row]*n_studies), n_studies, "faults.main()", 1.0, "bnn", 0, kills, 0.5)
    return (tmp_path/"f.md").read_text()

def test_a_reduced_run_says_so_in_its_report(tmp_path):
    params = inspect.signature(faults.main).parameters
    assert (params["kills"].default, params["spaces"].default) == (faults.DEFAULT_KILLS, faults.DEFAULT_SPACES) == (25, "branin,mixed")
    assert "wall time of the whole study. Reduced from the default 25 kills x 2 spaces to 20 kills x 1 space.\n" in _report(tmp_path, 1, 20)
    assert "Reduced from the default 25 kills x 2 spaces to 25 kills x 1 space." in _report(tmp_path, 1, 25)
    assert "Reduced from the default 25 kills x 2 spaces to 5 kills x 2 spaces." in _report(tmp_path, 2, 5)
    assert "Reduced" not in _report(tmp_path, 2, 25) and "Reduced" not in _report(tmp_path, 2, 30)
