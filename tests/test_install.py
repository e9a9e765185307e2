"issue 13 item 13: the library's own dependencies are the core ones; the study, the GP, Dask and the dev tools are extras."
import ast, os, subprocess, sys, tomllib
from pathlib import Path
import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT/"pyproject.toml").read_text())["project"]
def names(reqs): return {Requirement(r).name.lower() for r in reqs}
CORE = names(PROJECT["dependencies"])
EXTRAS = {k: names(v) for k, v in PROJECT["optional-dependencies"].items()}

def test_core_is_the_library_and_the_rest_are_extras():
    assert "dependencies" not in PROJECT.get("dynamic", [])
    assert {"torch", "numpy", "scipy", "pandas", "optuna"} <= CORE
    assert not CORE & {"botorch", "dask", "distributed", "jupyterlab", "papermill", "matplotlib", "seaborn",
                       "torchvision", "nbdev", "pytest", "datasets"}
    assert "botorch" in EXTRAS["gp"] and "dask" in EXTRAS["parallel"] and "nbdev" in EXTRAS["dev"]
    assert {"papermill", "jupyterlab", "matplotlib"} <= EXTRAS["study"]
    all_extras = set().union(*(Requirement(r).extras for r in PROJECT["optional-dependencies"]["all"]))
    assert {"data", "gp", "parallel", "study", "dev"} <= all_extras

def test_no_exact_pins_outside_constraints():
    for r in PROJECT["dependencies"] + sum(PROJECT["optional-dependencies"].values(), []):
        assert "==" not in str(Requirement(r).specifier), r
    lines = [l.strip() for l in (ROOT/"requirements.txt").read_text().splitlines() if l.strip() and not l.startswith("#")]
    assert lines == ["-e .[all]"]   # make install: the package with every extra, pinned by constraints.txt

def _top_level_imports(path: Path) -> set[str]:
    "Modules imported at module level (not inside functions): what `import` of the file needs."
    out = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import): out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module: out.add(node.module.split(".")[0])
    return out

DIST = {"sklearn": "scikit-learn", "yaml": "pyyaml"}
LIBRARY = ["core", "data", "models", "metrics", "train", "space", "surrogate", "acquisition", "store", "hpo", "optuna", "lr"]

def test_library_modules_import_only_core_dependencies_at_module_level():
    stdlib = set(sys.stdlib_module_names) | {"bnnstudy", "__future__"}
    for name in LIBRARY:
        path = ROOT/"bnnstudy"/f"{name}.py"
        if not path.exists(): continue
        extra = {DIST.get(m, m) for m in _top_level_imports(path)} - stdlib - CORE
        assert not extra, f"bnnstudy/{name}.py imports {extra} at module level, which are not core dependencies"

@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("BNNSTUDY_TEST_INSTALL") != "1", reason="set BNNSTUDY_TEST_INSTALL=1: builds a fresh venv (minutes)")
def test_fresh_core_venv_imports_the_library(tmp_path):
    venv = tmp_path/"core"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv/"bin/pip", "install", "-q", "-c", ROOT/"constraints.txt", "-e", ROOT], check=True)
    code = ("import bnnstudy, bnnstudy.hpo, bnnstudy.optuna, bnnstudy.data, bnnstudy.train, bnnstudy.models; "
            "import importlib.util as u; print(*[m for m in ('botorch', 'dask', 'jupyterlab', 'papermill') if u.find_spec(m)])")
    out = subprocess.run([venv/"bin/python", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_missing_optional_dependency_names_the_extra(monkeypatch):
    import builtins
    from bnnstudy import data as D
    real = builtins.__import__
    def no_datasets(name, *a, **k):
        if name == "datasets": raise ImportError("No module named 'datasets'")
        return real(name, *a, **k)
    monkeypatch.setattr(builtins, "__import__", no_datasets)
    with pytest.raises(ImportError, match=r"pip install 'bnnstudy\[data\]'") as e:
        with D._quiet_datasets(): pass
    assert "\n" not in str(e.value)
