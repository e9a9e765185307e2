"""The SQLite trial store: durability at each tell, resuming (identical suggestions), several writers, kills and torn writes,
mismatches, corruption, read-only loading, copies and backups, foreign files, storage URLs."""
import json, math, os, signal, sqlite3, subprocess, sys, warnings
from pathlib import Path
import pytest
from bnnstudy.space import SearchSpace, Float, Int, Choice
from bnnstudy.hpo import make_optimizer, minimize, load_study
from bnnstudy.store import StoreRecoveredWarning

def space():
    return SearchSpace(x=Float(-5.0, 10.0), y=Float(1e-3, 1.0, log=True), n=Int(1, 8), kind=Choice(["a", "b", "c"]))

def f(p):
    return (p["x"] - 2)**2/10 + math.log10(p["y"])**2 + abs(p["n"] - 5)/4 + {"a": 0.0, "b": 0.5, "c": 1.0}[p["kind"]]

KW = {"bnn": dict(surrogate_kw=dict(iters=30)), "grid": dict(budget=40)}

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

def test_two_optimizers_share_one_store_without_repeats(tmp_path):
    "Two optimizers on one file (as two processes would): ids interleave, each sees the other's trials, nothing is reissued while its owner lives."
    a = make_optimizer("random", space(), seed=1, storage=tmp_path/"s.db")
    b = make_optimizer("random", space(), seed=1, storage=tmp_path/"s.db")
    ta = a.ask()
    tb = b.ask()   # a's trial is pending, not an orphan: b proposes a new one
    assert (ta.id, tb.id) == (0, 1) and ta.params != tb.params and tb.ask_index == 1
    b.tell(tb, 2.0); a.tell(ta, 1.0)
    assert a.ask().id == 2 and [t.value for t in a.history.itertuples()] == [2.0, 1.0]   # a learned b's result
    with pytest.raises(ValueError, match="already told"): b.tell(ta, 5.0)   # b saw ta pending at its last refresh
    assert load_study(tmp_path/"s.db").history.trial.tolist() == [1, 0]

WRITER = """
import sys, math, os, time
from bnnstudy.space import SearchSpace, Float, Choice
from bnnstudy.hpo import make_optimizer
method, path = sys.argv[1], sys.argv[2]
sp = SearchSpace(x=Float(-5.0, 10.0), y=Float(0.0, 15.0), k=Choice(["a", "b"]))
o = make_optimizer(method, sp, seed=0, storage=path, **({"surrogate_kw": {"iters": 20}} if method == "bnn" else {}))
print("ready", flush=True)
while not os.path.exists(path + ".go"): time.sleep(0.005)   # both start together, so their asks and tells interleave
for i in range(15):
    time.sleep(0.01)
    t = o.ask()
    v = (t.params["y"] - 5.1/(4*math.pi**2)*t.params["x"]**2 + 5/math.pi*t.params["x"] - 6)**2 + (t.params["k"] == "b")
    o.tell(t, v)
    print(t.id, repr(v), flush=True)
"""

@pytest.mark.parametrize("method", ["random", "bnn"])
def test_two_processes_ask_and_tell_into_one_store(tmp_path, method):
    "Two writer processes, 15 trials each, one file: 30 trials, unique ids, ask indices and configurations, every told value there."
    env = dict(os.environ, OMP_NUM_THREADS="1")
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, method, str(tmp_path/"s.db")], stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    assert [p.stdout.readline() for p in procs] == ["ready\n"] * 2
    Path(f"{tmp_path/'s.db'}.go").touch()
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    told = [[(int(i), float(v)) for i, v in (line.split() for line in out.splitlines())] for out in outs]
    assert all(max(i for i, _ in a) > min(i for i, _ in b) for a, b in (told, told[::-1]))   # they did run at the same time
    told = told[0] + told[1]
    s = load_study(tmp_path/"s.db")
    ids = [t.id for t in s.trials]
    assert len(s.trials) == 30 and len(s.history) == 30 and sorted(ids) == list(range(30))
    assert sorted(t.ask_index for t in s.trials) == list(range(30))
    assert sorted(t.tell_index for t in s.trials) == list(range(30))
    assert len({s.space.key(t.params) for t in s.trials}) == 30
    stored = {t.id: t.value for t in s.trials}
    assert len(told) == 30 and all(stored[i] == v for i, v in told)

def _kill_after_tells(path, n, then_ask=True):
    "A child process that tells `n` trials (values 0..n-1), asks one more (`then_ask`) and is SIGKILLed holding the store open."
    code = f"""
import os, signal
from bnnstudy.space import SearchSpace, Float
from bnnstudy.hpo import make_optimizer
o = make_optimizer("random", SearchSpace(x=Float(0, 1)), storage={str(path)!r})
for i in range({n}): o.tell(o.ask(), float(i))
if {then_ask}: o.ask()
os.kill(os.getpid(), signal.SIGKILL)
"""
    assert subprocess.run([sys.executable, "-c", code]).returncode == -signal.SIGKILL

def _open_recording(path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        o = make_optimizer("random", SearchSpace(x=Float(0, 1)), storage=path)
    return o, [str(w.message) for w in caught if issubclass(w.category, StoreRecoveredWarning)]

def test_unclean_shutdown_is_recovered_with_one_warning(tmp_path):
    _kill_after_tells(tmp_path/"s.db", 5)
    assert Path(f"{tmp_path/'s.db'}-wal").stat().st_size > 0
    o, msgs = _open_recording(tmp_path/"s.db")
    assert len(msgs) == 1 and "s.db: recovered 5 told trials after an unclean shutdown" in msgs[0] and "incomplete" not in msgs[0]
    assert o.history.value.tolist() == [0, 1, 2, 3, 4] and o.ask().id == 5   # the pending trial of the dead writer comes back
    o.close()
    assert _open_recording(tmp_path/"s.db")[1] == []   # a clean close leaves nothing to report

@pytest.mark.parametrize("damage", ["truncate", "garbage"])
def test_torn_wal_write_is_discarded_with_a_warning(tmp_path, damage):
    "The log cut mid-frame (or its last frame overwritten) after a SIGKILLed writer: the last tell is dropped, said so, and the study goes on."
    _kill_after_tells(tmp_path/"k.db", 5, then_ask=False)   # the last log frame is trial 4's tell
    wal = Path(f"{tmp_path/'k.db'}-wal")
    data = wal.read_bytes()
    wal.write_bytes(data[:-1000] if damage == "truncate" else data[:-1000] + b"\x5a" * 1000)
    o, msgs = _open_recording(tmp_path/"k.db")
    assert len(msgs) == 1 and "k.db: recovered 4 told trials" in msgs[0] and "the last, incomplete write" in msgs[0]
    h = o.history
    assert h.value.tolist() == [0, 1, 2, 3] and len(o.trials) == 5   # trial 4's tell is gone: it is pending again
    again = o.ask(2)
    assert [t.id for t in again] == [4, 5] and again[0].params == o.trials[4].params
    for t in again: o.tell(t, 9.0)
    assert load_study(tmp_path/"k.db").history.trial.tolist() == [0, 1, 2, 3, 4, 5]

def test_store_of_another_format_version_is_a_clear_error(tmp_path):
    make_optimizer("random", space(), storage=tmp_path/"s.db").ask()
    with sqlite3.connect(tmp_path/"s.db") as con:
        con.execute("UPDATE study SET value = ? WHERE key = 'format'", (json.dumps("bnnstudy-trials/2"),))
        con.execute("UPDATE study SET value = ? WHERE key = 'version'", (json.dumps("9.0.0"),))
    for open_ in (lambda: make_optimizer("random", space(), storage=tmp_path/"s.db"), lambda: load_study(tmp_path/"s.db")):
        with pytest.raises(ValueError, match=r"s.db was written by bnnstudy 9.0.0 in trial-store format 'bnnstudy-trials/2'"
                                             r".*open it with the version that wrote it"):
            open_()

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

def test_a_forked_child_leaves_the_parents_store_alone(tmp_path):
    "A child forked while a store is open (a process pool) exits without touching the parent's connection or session."
    code = f"""
import os, sys
from bnnstudy.space import SearchSpace, Float
from bnnstudy.hpo import make_optimizer
o = make_optimizer("random", SearchSpace(x=Float(0, 1)), storage={str(tmp_path/'s.db')!r})
o.tell(o.ask(), 1.0)
pid = os.fork()
if pid == 0: sys.exit(0)   # a normal exit: atexit and the store's finalizer run in the child
os.waitpid(pid, 0)
assert o._store.sessions() == [o._store.session], o._store.sessions()
o.tell(o.ask(), 2.0)
print(len(o.history))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.split() == ["2"], out.stderr

# ---- copies, backups, torn copies, foreign files, read-only media, storage URLs (issue 12 items 2, 4, 6; issue 13 item 7) ----

def _tell(o, n):
    for i in range(n): o.tell(o.ask(), float(i))

def test_a_copy_of_the_db_alone_after_close_has_every_trial(tmp_path):
    import shutil
    a = make_optimizer("random", space(), storage=tmp_path/"s.db")
    other = make_optimizer("random", space(), storage=tmp_path/"s.db")   # another worker still has the store open
    _tell(a, 12)
    a.close()
    shutil.copy(tmp_path/"s.db", tmp_path/"copy.db")
    assert len(load_study(tmp_path/"copy.db").history) == 12
    other.close()

def test_a_backup_while_the_study_is_open_has_every_trial(tmp_path):
    from bnnstudy.store import backup_study
    o = make_optimizer("random", space(), seed=2, storage=tmp_path/"s.db")
    _tell(o, 7)
    assert backup_study(tmp_path/"s.db", tmp_path/"b/backup.db") == tmp_path/"b/backup.db"
    assert sorted(p.name for p in (tmp_path/"b").iterdir()) == ["backup.db"]   # one file, nothing beside it
    study = load_study(tmp_path/"b/backup.db")
    assert len(study.history) == 7 and study.meta["seed"] == 2
    r = make_optimizer("random", space(), seed=2, storage=tmp_path/"b/backup.db")   # a backup resumes like the original
    assert len(r.history) == 7
    with pytest.raises(FileExistsError, match="exists"): o._store.backup(tmp_path/"b/backup.db")

def test_a_torn_copy_is_refused_never_a_new_empty_study(tmp_path):
    import shutil
    o = make_optimizer("random", space(), storage=tmp_path/"s.db")
    _tell(o, 5)
    shutil.copy(tmp_path/"s.db", tmp_path/"copy.db")   # the .db alone, while the trials are in its -wal
    for open_it in (lambda: make_optimizer("random", space(), storage=tmp_path/"copy.db"), lambda: load_study(tmp_path/"copy.db")):
        with pytest.raises(ValueError, match=r"copy.db is an SQLite file without tables or a -wal .* backup_study"): open_it()
    with sqlite3.connect(tmp_path/"copy.db") as con: assert con.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0

@pytest.mark.parametrize("make, match", [
    (lambda p: p.touch(), "holds no bnnstudy study"),
    (lambda p: sqlite3.connect(p).execute("PRAGMA user_version = 7"), "without tables"),
    (lambda p: sqlite3.connect(p).executescript("CREATE TABLE study (a); CREATE TABLE trials (b)"),
     r"not a bnnstudy trial store \(its tables: study\(a\), trials\(b\)\)"),
    (lambda p: sqlite3.connect(p).executescript("CREATE TABLE study (key, value); CREATE TABLE trials (id)"),
     r"not a bnnstudy trial store"),
])
def test_empty_or_foreign_sqlite_files_are_one_line_errors(tmp_path, make, match):
    make(tmp_path/"x.db")
    with pytest.raises(ValueError, match=match): load_study(tmp_path/"x.db")
    if "no bnnstudy study" not in match:   # an empty file may become a new study; the others never
        with pytest.raises(ValueError, match=match): make_optimizer("random", space(), storage=tmp_path/"x.db")

def test_a_closed_store_on_read_only_media_is_read_without_writing(tmp_path, monkeypatch):
    import bnnstudy.store
    o = make_optimizer("random", space(), storage=tmp_path/"s.db")
    _tell(o, 4)
    o.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"]
    monkeypatch.setattr(bnnstudy.store, "_writable", lambda folder: False, raising=False)   # chmod does not stop root; this does the check
    assert len(load_study(tmp_path/"s.db").history) == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.db"], "reading read-only media wrote beside the store"

@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root writes to read-only folders: chmod cannot simulate read-only media")
def test_read_only_folder_is_read_and_a_writer_is_told_why(tmp_path):
    o = make_optimizer("random", space(), storage=tmp_path/"ro/s.db")
    _tell(o, 3)
    o.close()
    os.chmod(tmp_path/"ro", 0o555)
    try:
        assert len(load_study(tmp_path/"ro/s.db").history) == 3
        with pytest.raises(ValueError, match="folder .* is not writable") as e: make_optimizer("random", space(), storage=tmp_path/"ro/new.db")
        assert "corrupt" not in str(e.value)
    finally: os.chmod(tmp_path/"ro", 0o755)

def test_sqlite_urls_are_paths_and_other_urls_are_refused(tmp_path, monkeypatch):
    from bnnstudy.store import storage_path
    monkeypatch.chdir(tmp_path)
    o = make_optimizer("random", space(), storage="sqlite:///rel.db")
    _tell(o, 2); o.close()
    assert (tmp_path/"rel.db").is_file() and not (tmp_path/"sqlite:").exists()
    assert len(load_study("sqlite:///rel.db").history) == 2
    o = make_optimizer("random", space(), storage=f"sqlite:///{tmp_path}/abs.db")   # sqlite:////abs/path.db
    _tell(o, 1); o.close()
    assert (tmp_path/"abs.db").is_file() and storage_path(f"sqlite:///{tmp_path}/abs.db") == tmp_path/"abs.db"
    for url in ("postgresql://user:pw@host/db", "mysql://host/db", "redis://localhost:6379"):
        with pytest.raises(ValueError, match=r"is a \w+:// URL; bnnstudy keeps a study in one SQLite file"):
            make_optimizer("random", space(), storage=url)
    with pytest.raises(ValueError, match="names no file"): make_optimizer("random", space(), storage="sqlite://")
    assert {p.name.split(".db")[0] for p in tmp_path.iterdir()} == {"abs", "rel"}   # no folder named after a URL

def test_a_store_whose_creator_died_right_after_the_wal_switch_opens_as_a_new_store(tmp_path):
    # the kill window that made a half-created store read as a copied-away one ("SQLite file without tables"): the
    # creator's journal switch done, the process gone before its first table. Its `-creating` marker says so.
    import subprocess, sys
    path = tmp_path/"trials.sqlite"
    code = ("import os, bnnstudy.store as s\n"
            "switch = s._switch_to_wal\n"
            "def killed(con, timeout): switch(con, timeout); os._exit(9)\n"
            "s._switch_to_wal = killed\n"
            f"s.TrialStore({str(path)!r})\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 9, res.stderr
    from bnnstudy.store import TrialStore
    assert (tmp_path/"trials.sqlite-creating").exists()
    store = TrialStore(path)   # not refused as a copy without its -wal
    assert {"study", "trials", "sessions"} <= store._tables()
    assert not (tmp_path/"trials.sqlite-creating").exists()   # created: the marker is gone
