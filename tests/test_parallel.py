"Asynchronous parallel trials on a real Dask LocalCluster (2 one-thread worker processes)."
import os, subprocess, sys, time
import psutil
import pytest
from bnnstudy.hpo import make_optimizer, minimize, load_study
from bnnstudy.parallel import optimize_parallel, local_cluster
from bnnstudy.space import SearchSpace, Int

SPACE = SearchSpace(k=Int(0, 19))

@pytest.fixture(scope="module")
def cluster():
    "One cluster for the tests that pass `client=` or `scheduler_address=` (each start costs seconds)."
    from distributed import Client
    with local_cluster(2) as c, Client(c, set_as_default=False) as client:
        yield c, client

def _told_k(opt): return list(opt.history.k)

# Objectives are closures (defined in the tests) so cloudpickle ships them by value: workers never import this file.

def test_slow_trial_does_not_block_the_others(tmp_path):
    first = make_optimizer("random", SPACE, seed=0).ask().params["k"]   # random asks are seeded by position
    def objective(p):
        if p["k"] == first:   # the slow trial: it ends only after 4 others have finished (or after 30 s)
            t0 = time.monotonic()
            while len(list(tmp_path.glob("fast-*"))) < 4 and time.monotonic() - t0 < 30: time.sleep(0.02)
        else:
            time.sleep(0.1); (tmp_path/f"fast-{p['k']}").touch()
        return p["k"]
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0), objective, 8, n_workers=2, progress=False)
    slow = opt.trials[0]
    assert slow.params["k"] == first and slow.ask_index == 0
    # told in the order they finished: at least 4 fast trials before the slow first one (a loop that waits for
    # whole batches of 2 would have told it 1st or 2nd, after waiting the full 30 s)
    assert slow.tell_index >= 4, _told_k(opt)
    assert len(opt.history) == 8 and opt.history.trial.nunique() == 8 and len(opt.trials) == 8
    assert all(t.status == "completed" and t.value == t.params["k"] for t in opt.trials)

def test_failing_objectives_are_failed_trials(cluster):
    _, client = cluster
    def objective(p):
        k = p["k"]
        if k % 5 == 1: raise ValueError(f"bad k {k}")
        if k % 5 == 2: return float("nan")
        if k % 5 == 3: return "oops"
        if k % 5 == 4: sys.exit(3)
        return float(k)
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0), objective, 20, client=client, progress=False)
    assert sorted(_told_k(opt)) == list(range(20))
    for t in opt.trials:
        k = t.params["k"]
        expected = {0: None, 1: f"ValueError: bad k {k}", 2: "value was nan",
                    3: "objective returned 'oops' (str), not a number", 4: "objective called sys.exit(3)"}[k % 5]
        assert t.error == expected, (k, t.error)
        assert t.status == ("completed" if k % 5 == 0 else "failed")
    assert opt.best == ({"k": 0}, 0.0)
    assert client.submit(lambda: 1).result() == 1   # the workers survived sys.exit

def test_dying_worker_fails_its_trial_and_the_study_goes_on():
    def objective(p):
        if p["k"] == 3: os._exit(1)   # takes the worker process down, like a segfault
        time.sleep(0.05)
        return float(p["k"])
    opt = optimize_parallel(make_optimizer("random", SearchSpace(k=Int(0, 7)), seed=0), objective, 8, n_workers=2, progress=False)
    h = opt.history.set_index("k")
    assert sorted(h.index) == list(range(8))
    assert h.loc[3, "status"] == "failed" and "worker process running this trial died" in h.loc[3, "error"]
    ok = h.drop(index=3)
    assert (ok.status == "completed").all() and (ok.value == ok.index).all(), h[["status", "error"]]

def test_storage_holds_every_trial_and_resumes(tmp_path, cluster):
    _, client = cluster
    path = tmp_path/"study.db"
    objective = lambda p: float(p["k"])
    optimize_parallel(make_optimizer("random", SPACE, seed=0, storage=path), objective, 5, client=client, progress=False)
    study = load_study(path)
    assert len(study.history) == 5 and len(study.trials) == 5
    # a session that asked two trials and stopped before telling them (killed, interrupted)
    crashed = make_optimizer("random", SPACE, seed=0, storage=path)
    pending = [crashed.ask().id for _ in range(2)]
    crashed._store.close()
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0, storage=path), objective, 4, client=client, progress=False)
    assert set(pending) <= set(opt.history.trial)
    study = load_study(path)
    assert len(study.history) == 9 and len(study.trials) == 9           # the two pending ones re-issued, told once
    assert set(pending) <= set(study.history.trial)
    assert study.history.k.nunique() == 9 and (study.history.value == study.history.k).all()

def test_interrupt_closes_the_cluster_and_the_study_resumes(tmp_path, cluster):
    path = tmp_path/"study.db"
    opt = make_optimizer("random", SPACE, seed=0, storage=path)
    tell, told = opt.tell, []
    def interrupted_tell(trial, value, **kw):   # Ctrl-C while the third result comes in
        if len(told) == 2: raise KeyboardInterrupt
        told.append(trial); return tell(trial, value, **kw)
    opt.tell = interrupted_tell
    def objective(p): time.sleep(0.1); return float(p["k"])
    before = {p.pid for p in psutil.Process().children(recursive=True)}   # the module's shared cluster, if started
    with pytest.raises(KeyboardInterrupt):
        optimize_parallel(opt, objective, 10, n_workers=2, progress=False)
    left = [p for p in psutil.Process().children(recursive=True) if p.pid not in before]
    assert left == [], left   # its worker processes are gone
    study = load_study(path)
    assert len(study.history) == 2 and len(study.trials) == 4   # two told, two left pending (in flight)
    opt._store.close()
    resumed = optimize_parallel(make_optimizer("random", SPACE, seed=0, storage=path), objective, 3, client=cluster[1], progress=False)
    study = load_study(path)
    assert len(study.history) == 5 and len(study.trials) == 5 and len(resumed.trials) == 5
    assert (study.history.value == study.history.k).all()

def test_existing_cluster_by_address_is_left_running(cluster, capfd):
    c, client = cluster
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0), lambda p: float(p["k"]), 4,
                            scheduler_address=c.scheduler_address, progress=True)
    assert len(opt.history) == 4
    assert "random x2" in capfd.readouterr().err   # n_workers defaulted to the cluster's 2 worker threads
    assert len(c.workers) == 2 and client.submit(lambda: 2).result() == 2

def test_bnn_optimizer_with_pending_trials(cluster):
    _, client = cluster
    space = SearchSpace(k=Int(0, 19), j=Int(0, 4))
    opt = make_optimizer("bnn", space, seed=0, n_initial=3)
    optimize_parallel(opt, lambda p: float((p["k"] - 7)**2 + p["j"]), 6, client=client, progress=False)
    h = opt.history
    assert len(h) == 6 and len({(r.k, r.j) for r in h.itertuples()}) == 6 and (h.status == "completed").all()
    assert set(h.source) == {"initial", "model"}

def test_workers_use_one_thread_for_torch(cluster):
    _, client = cluster
    def threads(p):
        import torch
        return float(torch.get_num_threads())
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0), threads, 2, client=client, progress=False)
    assert list(opt.history.value) == [1.0, 1.0]

def test_through_minimize_n_workers():
    objective = lambda p: float(p["k"])
    opt = minimize(objective, SPACE, method="random", n_trials=6, seed=0, n_workers=2, progress=False)
    seq = minimize(objective, SPACE, method="random", n_trials=6, seed=0, progress=False)
    assert sorted(_told_k(opt)) == sorted(_told_k(seq)) and len(opt.trials) == 6

def test_bad_inputs(cluster):
    c, client = cluster
    opt, f = make_optimizer("random", SPACE), lambda p: 0.0
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_workers must be a positive integer"): optimize_parallel(opt, f, 2, n_workers=bad)
    with pytest.raises(ValueError, match="n_trials must be a positive integer"): optimize_parallel(opt, f, 0)
    with pytest.raises(TypeError, match="opt must be a bnnstudy.hpo optimizer"): optimize_parallel(SPACE, f, 2)
    with pytest.raises(TypeError, match="objective must be a callable"): optimize_parallel(opt, 3, 2)
    for bad in (0, -2, "5"):
        with pytest.raises(ValueError, match="timeout must be a positive number"): optimize_parallel(opt, f, 2, timeout=bad)
    with pytest.raises(ValueError, match="either client or scheduler_address"):
        optimize_parallel(opt, f, 2, client=client, scheduler_address=c.scheduler_address)
    with pytest.raises(TypeError, match="client must be a dask.distributed.Client"): optimize_parallel(opt, f, 2, client=c)
    with pytest.raises(TypeError, match="scheduler_address must be a string"): optimize_parallel(opt, f, 2, scheduler_address=8786)
    t0 = time.monotonic()
    with pytest.raises(ConnectionError, match=r"^cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 1 s"):
        optimize_parallel(opt, f, 2, scheduler_address="tcp://127.0.0.1:9", connect_timeout=1)
    assert time.monotonic() - t0 < 15
    assert opt.trials == []   # nothing was asked

def test_objectives_that_cannot_travel(cluster):
    _, client = cluster
    import threading
    lock = threading.Lock()
    opt = make_optimizer("random", SPACE)
    with pytest.raises(TypeError, match=r"does not pickle \(TypeError: cannot pickle '_thread.lock' object\)"):
        optimize_parallel(opt, lambda p: float(lock.locked()), 2, client=client)
    def refuse(): raise RuntimeError("not on this machine")
    class Unloadable:
        def __call__(self, p): return 0.0
        def __reduce__(self): return refuse, ()
    with pytest.raises(RuntimeError, match=r"could not load the objective \(RuntimeError: not on this machine\)"):
        optimize_parallel(opt, Unloadable(), 2, client=client)
    assert opt.trials == []

def test_script_without_main_guard_is_told_what_to_do(tmp_path):
    script = tmp_path/"study.py"   # worker processes import the main module: unguarded, it starts clusters again
    script.write_text("from bnnstudy.hpo import make_optimizer\nfrom bnnstudy.space import SearchSpace, Int\n"
                      "from bnnstudy.parallel import optimize_parallel\n"
                      "optimize_parallel(make_optimizer('random', SearchSpace(k=Int(0, 9))), lambda p: 0.0, 2, n_workers=1)\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "RuntimeError: could not start 1 Dask worker processes" in done.stderr
    assert "under `if __name__ == '__main__':`" in done.stderr.splitlines()[-1]

def test_missing_dask_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)   # as if it were not installed
    with pytest.raises(ImportError, match=r"pip install 'dask\[distributed\]'"):
        optimize_parallel(make_optimizer("random", SPACE), lambda p: 0.0, 2)

def test_import_is_light():
    code = "import sys, bnnstudy.parallel; print(sorted(m for m in ('distributed', 'dask', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"

def test_timeout_stops_asking_and_tells_the_running_trials(cluster):
    _, client = cluster
    def objective(p): time.sleep(2); return float(p["k"])
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0), objective, 20, client=client, timeout=1, progress=False)
    assert len(opt.history) == 2 and len(opt.trials) == 2   # the first two were in flight and were told

# ---- TLS on the local cluster (issue 12 item 14) --------------------------------------------------------------------

def test_security_true_runs_the_trials_on_a_tls_cluster_others_cannot_join(tmp_path, monkeypatch):
    "security=True: the local scheduler speaks TLS with temporary credentials; a client without them (or with its own) is refused."
    pytest.importorskip("cryptography", reason="Dask's temporary TLS credentials need the cryptography package")
    import shutil
    import bnnstudy.parallel as par
    from distributed import Client
    from distributed.security import Security
    refused, started = [], []
    def recording_cluster(n, security=False, **kw):
        c = local_cluster(n, security=security, **kw)
        started.append(c.scheduler_address)
        for intruder in (lambda: Client(c.scheduler_address, security=Security.temporary(), timeout=3, set_as_default=False),
                         lambda: Client(c.scheduler_address.replace("tls://", "tcp://"), timeout=3, set_as_default=False)):
            try: intruder().close()
            except Exception: refused.append(True)
            else: refused.append(False)
        return c
    monkeypatch.setattr(par, "local_cluster", recording_cluster)
    opt = optimize_parallel(make_optimizer("random", SPACE, seed=0, storage=tmp_path/"s.db"), lambda p: float(p["k"]), 3,
                            n_workers=1, security=True, progress=False)
    assert started and started[0].startswith("tls://") and refused == [True, True], (started, refused)
    assert len(opt.history) == 3 and (opt.history.status == "completed").all()
    other = make_optimizer("random", SPACE, seed=0, storage=tmp_path/"s.db")   # still open: SQLite alone would not checkpoint
    shutil.copy(tmp_path/"s.db", tmp_path/"copy.db")   # optimize_parallel checkpointed: the .db alone has every trial
    assert len(load_study(tmp_path/"copy.db").history) == 3
    other.close()

def test_security_is_refused_where_it_cannot_apply():
    opt = make_optimizer("random", SPACE)
    with pytest.raises(ValueError, match="security=True secures a local cluster"):
        optimize_parallel(opt, lambda p: 0.0, 1, scheduler_address="tcp://127.0.0.1:9", security=True)
    with pytest.raises(TypeError, match="security must be True, False"): optimize_parallel(opt, lambda p: 0.0, 1, n_workers=1, security="tls")
    assert opt.trials == []
