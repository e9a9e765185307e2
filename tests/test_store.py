"The SQLite trial store: durability at each tell, resuming (identical suggestions), mismatches, corruption, read-only loading."
import json, math, sqlite3, subprocess, sys
import pytest
from bnnstudy.space import SearchSpace, Float, Int, Choice
from bnnstudy.hpo import make_optimizer, minimize, load_study, TrialStore

def space():
    return SearchSpace(x=Float(-5.0, 10.0), y=Float(1e-3, 1.0, log=True), n=Int(1, 8), kind=Choice(["a", "b", "c"]))

def f(p):
    return (p["x"] - 2)**2/10 + math.log10(p["y"])**2 + abs(p["n"] - 5)/4 + {"a": 0.0, "b": 0.5, "c": 1.0}[p["kind"]]

KW = {"bnn": dict(surrogate_kw=dict(steps=100)), "grid": dict(budget=40)}

@pytest.mark.parametrize("method", ["random", "grid", "tpe", "bnn", "gp"])
def test_resume_gives_the_same_study_as_one_run(tmp_path, method):
    one = minimize(f, space(), method=method, n_trials=10, seed=3, storage=tmp_path/"one.db", progress=False, **KW.get(method, {}))
    minimize(f, space(), method=method, n_trials=5, seed=3, storage=tmp_path/"two.db", progress=False, **KW.get(method, {}))
    two = minimize(f, space(), method=method, n_trials=5, seed=3, storage=tmp_path/"two.db", progress=False, **KW.get(method, {}))
    cols = ["trial", *space().names, "value", "status", "source"]
    assert one.history[cols].equals(two.history[cols])
    assert len(two.history) == 10 and one.history.source.tolist().count("initial" if method in ("bnn", "gp") else method) >= 5

def test_every_tell_is_on_disk_before_it_returns(tmp_path):
    o = make_optimizer("random", space(), storage=tmp_path/"s.db")
    for i in range(3):
        t = o.ask()
        o.tell(t, float(i))
        with sqlite3.connect(tmp_path/"s.db") as con:   # another connection sees the committed row
            rows = con.execute("SELECT id, status, value, params FROM trials ORDER BY id").fetchall()
        assert rows[-1][:3] == (t.id, "completed", float(i)) and json.loads(rows[-1][3]) == t.params

def test_pending_trials_are_reissued_first_and_nothing_is_lost(tmp_path):
    o = make_optimizer("random", space(), seed=1, storage=tmp_path/"s.db")
    a, b, c = o.ask(3)
    o.tell(b, 1.0)
    del o   # the process "dies" with a and c running
    r = make_optimizer("random", space(), seed=1, storage=tmp_path/"s.db")
    assert [t.id for t in r.ask(2)] == [a.id, c.id]
    assert r.ask().id == 3 and r.history.trial.tolist() == [b.id]
    assert [t.params for t in r.trials[:3]] == [a.params, b.params, c.params]

def test_study_metadata_is_recorded(tmp_path):
    o = make_optimizer("bnn", space(), seed=4, maximize=True, storage=tmp_path/"s.db", surrogate="bll")
    o.tell(o.ask(), 0.5)
    m = load_study(tmp_path/"s.db").meta
    assert (m["method"], m["seed"], m["maximize"], m["format"]) == ("bnn", 4, True, "bnnstudy-trials/1")
    assert m["space"]["y"] == {"type": "float", "low": 1e-3, "high": 1.0, "log": True}
    assert m["space"]["kind"] == {"type": "choice", "values": ["a", "b", "c"]}
    assert m["options"]["surrogate"] == "bll" and m["version"]
    with sqlite3.connect(tmp_path/"s.db") as con:
        row = con.execute("SELECT seed, method, source, asked_at, started_at, finished_at, ask_seconds FROM trials").fetchone()
    assert row[:3] == (4, "bnn", "initial") and all(v is not None for v in row[3:])

@pytest.mark.parametrize("change, match", [
    (dict(method="tpe"), "method='random'"), (dict(seed=2), "seed=1"), (dict(maximize=True), "maximize=False"),
    (dict(space=SearchSpace(x=Float(-5.0, 11.0))), "different space")])
def test_opening_with_a_different_study_is_an_error(tmp_path, change, match):
    make_optimizer("random", space(), seed=1, storage=tmp_path/"s.db").ask()
    kw = dict(method="random", space=space(), seed=1) | change
    with pytest.raises(ValueError, match=match): make_optimizer(storage=tmp_path/"s.db", **kw)

def test_corrupt_store_is_a_clear_error_naming_the_file(tmp_path):
    o = make_optimizer("random", space(), storage=tmp_path/"s.db")
    for _ in range(20): o.tell(o.ask(), 1.0)
    o._store.close()
    data = (tmp_path/"s.db").read_bytes()
    (tmp_path/"junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(ValueError, match="junk.db is not a readable bnnstudy trial store"): make_optimizer("random", space(), storage=tmp_path/"junk.db")
    with pytest.raises(ValueError, match="junk.db is not a readable"): load_study(tmp_path/"junk.db")
    bad = bytearray(data); bad[4096:4096 + 64] = b"\xff" * 64   # garbage over the header of a table page
    (tmp_path/"bad.db").write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="bad.db is not a readable"): load_study(tmp_path/"bad.db")

def test_other_sqlite_files_are_refused(tmp_path):
    with sqlite3.connect(tmp_path/"other.db") as con: con.execute("CREATE TABLE users (name TEXT)")
    with pytest.raises(ValueError, match="not a bnnstudy trial store"): make_optimizer("random", space(), storage=tmp_path/"other.db")

def test_load_study_is_read_only(tmp_path):
    with pytest.raises(FileNotFoundError, match="no trial store"): load_study(tmp_path/"missing.db")
    o = minimize(f, space(), method="random", n_trials=6, storage=tmp_path/"s.db", progress=False)
    t = o.ask()   # pending while we read
    s = load_study(tmp_path/"s.db")
    assert s.method == "random" and s.space == space() and len(s.history) == 6 and len(s.trials) == 7
    assert s.best == o.best and s.history[["x", "value"]].equals(o.history[["x", "value"]])
    assert list(s.history.columns[:5]) == ["trial", "x", "y", "n", "kind"]
    o.tell(t, 0.0)
    assert len(load_study(tmp_path/"s.db").history) == 7

def test_two_writers_on_one_store_are_detected(tmp_path):
    a = make_optimizer("random", space(), storage=tmp_path/"s.db")
    b = make_optimizer("random", space(), storage=tmp_path/"s.db")
    a.ask()
    with pytest.raises(RuntimeError, match="another process"): b.ask()

def test_store_survives_a_killed_writer(tmp_path):
    "A process killed right after a tell: the told trials are all there and the study resumes."
    code = f"""
import os, math
from bnnstudy.space import SearchSpace, Float
from bnnstudy.hpo import make_optimizer
o = make_optimizer("random", SearchSpace(x=Float(0, 1)), storage={str(tmp_path/'s.db')!r})
for i in range(5): o.tell(o.ask(), float(i))
o.ask()
os._exit(9)   # no cleanup, no close
"""
    assert subprocess.run([sys.executable, "-c", code]).returncode == 9
    s = load_study(tmp_path/"s.db")
    assert s.history.value.tolist() == [0, 1, 2, 3, 4] and len(s.trials) == 6
    o = make_optimizer("random", SearchSpace(x=Float(0, 1)), storage=tmp_path/"s.db")
    assert o.ask().id == 5

def test_no_pickle_only_json(tmp_path):
    o = make_optimizer("tpe", space(), storage=tmp_path/"s.db")
    o.tell(o.ask(), 1.0)
    with sqlite3.connect(tmp_path/"s.db") as con:
        for (v,) in con.execute("SELECT value FROM study"): json.loads(v)
        for (p,) in con.execute("SELECT params FROM trials"): assert set(json.loads(p)) == {"x", "y", "n", "kind"}
