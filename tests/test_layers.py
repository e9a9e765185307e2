"The HPO layer split by role (issue 10 §3): modules import alone, no import circles, one surrogate protocol, Ordinal, one TPE study."
import ast, json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
import bnnstudy
from bnnstudy.space import SearchSpace, Float, Int, Choice, Ordinal

PKG = Path(bnnstudy.__file__).parent
MODULES = sorted("bnnstudy." + ".".join(p.relative_to(PKG).with_suffix("").parts) for p in PKG.rglob("*.py")
                 if p.name not in ("__init__.py", "_modidx.py"))

def _imports(path: Path, module: str) -> set[str]:
    "bnnstudy modules `path` imports anywhere in it (top level and inside functions)."
    pkg = module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import): names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:   # relative: resolve against the package
                parent = pkg.split(".")[:len(pkg.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else: continue
        out |= {n for n in names if n in MODULES}
    return out - {module}

def _graph() -> dict[str, set[str]]:
    return {m: _imports(PKG.joinpath(*m.split(".")[1:]).with_suffix(".py"), m) for m in MODULES}

def test_the_import_graph_of_the_package_is_acyclic():
    graph, state, cycle = _graph(), {}, []
    def visit(m, path):
        state[m] = "open"
        for n in sorted(graph[m]):
            if state.get(n) == "open": cycle.extend(path[path.index(n):] + [m, n] if n in path else [m, n]); return True
            if n not in state and visit(n, path + [m]): return True
        state[m] = "done"
        return False
    for m in MODULES:
        if m not in state and visit(m, []): break
    assert not cycle, f"import circle: {' -> '.join(cycle)}"

def test_the_graph_sees_imports_inside_functions():   # the old hpo -> parallel edge was one
    g = _graph()
    assert "bnnstudy.parallel" in g["bnnstudy.study"]
    assert "bnnstudy.surrogate" in g["bnnstudy.optimizers"]

# modules written before the split that still use the old path; remove each one as it moves to the new modules
_OLD_PATH_USERS = {"bnnstudy.benchmarks.faults", "bnnstudy.benchmarks.hpo", "bnnstudy.benchmarks.parallel",
                   "bnnstudy.optuna"}

def test_no_new_module_imports_the_compat_module():
    users = {m for m, deps in _graph().items() if "bnnstudy.hpo" in deps}
    assert users <= _OLD_PATH_USERS, f"{sorted(users - _OLD_PATH_USERS)} import bnnstudy.hpo; import from optimizers/runner/study instead"

@pytest.mark.parametrize("module", ["bnnstudy.space", "bnnstudy.surrogate", "bnnstudy.surrogate_gp", "bnnstudy.acquisition",
                                    "bnnstudy.optimizers", "bnnstudy.runner", "bnnstudy.parallel", "bnnstudy.study",
                                    "bnnstudy.testfns", "bnnstudy.hpo", "bnnstudy.optuna"])
def test_each_module_imports_in_a_fresh_interpreter(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=120)

def test_layers_without_torch_stay_without_torch():
    code = ("import sys, bnnstudy.optimizers, bnnstudy.runner, bnnstudy.study, bnnstudy.testfns, bnnstudy.hpo\n"
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

def test_every_registered_surrogate_satisfies_the_protocol():
    from bnnstudy.surrogate import SURROGATES, SurrogateProtocol, make_surrogate
    make_surrogate("gp")   # the GP's module registers it on first use
    assert {"ensemble", "mc_dropout", "bll", "gp"} <= set(SURROGATES)
    rng = np.random.default_rng(0)
    X = rng.random((8, 2)); y = (X**2).sum(1)
    for name in SURROGATES:
        s = make_surrogate(name, seed=0).fit(X, y)
        assert isinstance(s, SurrogateProtocol), name
        m, v = s.predict(X[:3]); assert m.shape == v.shape == (3,), name
        assert s.sample(X[:3], 2, np.random.default_rng(1)).shape == (2, 3), name
        f = s.fantasize(X[:1], y[:1]); assert isinstance(f, SurrogateProtocol) and len(s.y_) == 8, name

def test_gp_is_a_registered_surrogate_and_still_a_method():
    from bnnstudy.optimizers import make_optimizer, OPTIMIZERS
    assert "gp" in OPTIMIZERS
    opt = make_optimizer("gp", SearchSpace(x=Float(0.0, 1.0)), seed=0, n_initial=2)
    for _ in range(4): t = opt.ask(); opt.tell(t, (t.params["x"] - 0.3)**2)
    assert opt.history.source.tolist()[-1] == "model"

def test_acquisition_reaches_only_the_public_encoding():
    src = (PKG/"acquisition.py").read_text()
    assert "space._" not in src and "_sobol_unit" not in src

def test_test_functions_are_defined_once():
    defs = {(str(p.relative_to(PKG)), node.name) for p in PKG.rglob("*.py") for node in ast.walk(ast.parse(p.read_text()))
            if isinstance(node, ast.FunctionDef) and node.name.lstrip("_") in ("branin", "hartmann6", "forrester", "mixed_toy", "mixed")}
    # bench-hpo (82_bench_hpo) keeps its own copies until it moves to bnnstudy.testfns
    elsewhere = {d for d in defs if d[0] not in ("testfns.py", "benchmarks/hpo.py")}
    assert not elsewhere, elsewhere
    assert {n for f, n in defs if f == "testfns.py"} == {"branin", "hartmann6", "forrester", "mixed_toy"}

# Ordinal
def test_ordinal_keeps_the_order_given_and_moves_along_it():
    p = Ordinal(["low", "mid", "high", "max"])
    space = SearchSpace(level=p, x=Float(0.0, 1.0))
    assert p.values == ["low", "mid", "high", "max"] and space.dim == 2
    X = space.encode([dict(level="low", x=0.5), dict(level="max", x=0.5)])
    assert X[0, 0] < X[1, 0]
    assert space.decode(X) == [dict(level="low", x=0.5), dict(level="max", x=0.5)]
    moves = {c["level"] for c in SearchSpace(level=p).neighbors(dict(level="mid"), np.random.default_rng(0), n=40, scale=0.01)}
    assert moves == {"low", "high"}

def test_ordinal_round_trips_through_json_and_optuna():
    from bnnstudy.optimizers import space_to_json, space_from_json, optuna_distributions
    from optuna.distributions import CategoricalDistribution
    space = SearchSpace(size=Ordinal(["S", "M", "L"]), width=Ordinal([64, 16, 32]))
    d = space_to_json(space)
    assert d["size"] == {"type": "ordinal", "values": ["S", "M", "L"]}
    back = space_from_json(json.loads(json.dumps(d)))
    assert back == space and back["width"].values == [64, 16, 32]
    assert optuna_distributions(space)["size"] == CategoricalDistribution(["S", "M", "L"])

@pytest.mark.parametrize("method", ["random", "grid", "tpe", "bnn"])
def test_ordinal_spaces_run_in_every_method(method, tmp_path):
    from bnnstudy.optimizers import make_optimizer
    space = SearchSpace(size=Ordinal(["S", "M", "L", "XL"]), k=Int(0, 3))
    opt = make_optimizer(method, space, seed=0, storage=tmp_path/"s.db", **({"budget": 16} if method == "grid" else {}))
    for _ in range(8): t = opt.ask(); opt.tell(t, ["S", "M", "L", "XL"].index(t.params["size"]) + t.params["k"])
    opt.close()
    assert len({tuple(t.params.values()) for t in opt.trials}) == 8
    assert make_optimizer(method, space, seed=0, storage=tmp_path/"s.db", **({"budget": 16} if method == "grid" else {})).history.shape[0] == 8

# TPE keeps one study
def test_tpe_keeps_one_optuna_study_and_adds_trials_incrementally(monkeypatch):
    import optuna
    from bnnstudy.optimizers import make_optimizer
    created = []
    real = optuna.create_study
    monkeypatch.setattr(optuna, "create_study", lambda *a, **k: created.append(1) or real(*a, **k))
    adds = []
    real_add = optuna.Study.add_trial
    monkeypatch.setattr(optuna.Study, "add_trial", lambda self, t: adds.append(1) or real_add(self, t))
    space = SearchSpace(x=Float(0.0, 1.0), c=Choice(["a", "b"]))
    opt = make_optimizer("tpe", space, seed=0, n_startup_trials=3)
    per_ask = []
    for i in range(30):
        before = len(adds)
        t = opt.ask(); opt.tell(t, (t.params["x"] - 0.2)**2)
        per_ask.append(len(adds) - before)
    assert len(created) == 1
    assert max(per_ask) <= 1, per_ask   # each ask adds only the trial told since the last one

def test_tpe_resumed_proposes_what_an_uninterrupted_run_does(tmp_path):
    from bnnstudy.optimizers import make_optimizer
    space = SearchSpace(x=Float(0.0, 1.0), k=Int(1, 9))
    f = lambda p: (p["x"] - 0.3)**2 + (p["k"] - 4)**2/10
    a = make_optimizer("tpe", space, seed=3)
    for _ in range(15): t = a.ask(); a.tell(t, f(t.params))
    b = make_optimizer("tpe", space, seed=3, storage=tmp_path/"t.db")
    for _ in range(9): t = b.ask(); b.tell(t, f(t.params))
    b.close()
    b = make_optimizer("tpe", space, seed=3, storage=tmp_path/"t.db")
    for _ in range(6): t = b.ask(); b.tell(t, f(t.params))
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
