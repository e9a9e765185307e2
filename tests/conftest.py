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
