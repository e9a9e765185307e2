"The pipeline tests' shared pieces: a copy of the project to run make in, and one uninterrupted `make smoke` per session."
import os, shutil, subprocess, time
from pathlib import Path
from types import SimpleNamespace
import pytest

ROOT = Path(__file__).resolve().parents[1]

def copy_project(dest: Path) -> Path:
    "A copy of the project (sources, notebooks, Makefile; the venv linked) that edits elsewhere cannot change mid-test."
    dest.mkdir(parents=True)
    for name in ("Makefile", "settings.ini", "pyproject.toml"): shutil.copy(ROOT/name, dest/name)
    for name in ("nbs", "bnnstudy"): shutil.copytree(ROOT/name, dest/name, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    (dest/".venv").symlink_to(ROOT/".venv")
    return dest

def project_env(project: Path, **extra) -> dict:
    "The environment of a command in `project`: its kernels and commands import the copy's bnnstudy (PYTHONPATH), one thread each."
    return os.environ | {"PYTHONPATH": str(project), "OMP_NUM_THREADS": "1",
                         "BNNSTUDY_DATA_DIR": os.environ.get("BNNSTUDY_DATA_DIR", str(ROOT.parent/"shared"/"data"))} | extra

def run_make(project: Path, *args) -> subprocess.CompletedProcess:
    "Run make in `project` to the end; its output as text."
    return subprocess.run(["make", "--no-print-directory", *args], cwd=project, capture_output=True, text=True, env=project_env(project))

# Markers for `make test-fast` (registered in pyproject.toml): by file, and by measured duration. SLOW lists the tests
# over 10 s in `OMP_NUM_THREADS=1 nice pytest --durations=40` of the non-pipeline tests on this 2-core machine.
SLOW = set()

def file_marker(name: str) -> str | None:
    "The marker every test of the file `name` gets: the end-to-end make runs, the kill-and-resume runs, the docs build."
    if name.startswith("test_pipeline"): return "pipeline"
    return {"test_faults.py": "faults", "test_docs.py": "docs"}.get(name)

def pytest_collection_modifyitems(config, items):
    for item in items:
        if mark := file_marker(item.path.name): item.add_marker(getattr(pytest.mark, mark))
        if f"{item.path.name}::{item.originalname}" in SLOW: item.add_marker(pytest.mark.slow)

@pytest.fixture
def project(tmp_path):
    return copy_project(tmp_path/"project")

@pytest.fixture(scope="session")
def smoke_study(tmp_path_factory):
    "One uninterrupted `make smoke` into its own runs and report folders, run once and shared by the pipeline tests."
    base = tmp_path_factory.mktemp("smoke")
    proj, runs, report = copy_project(base/"project"), base/"runs", base/"report"
    started = time.monotonic()
    done = run_make(proj, "smoke", f"RUNS_DIR={runs}", f"REPORT_DIR={report}")
    return SimpleNamespace(project=proj, runs=runs, report=report, args=["smoke", f"RUNS_DIR={runs}", f"REPORT_DIR={report}"],
                           make=done, seconds=time.monotonic() - started)
