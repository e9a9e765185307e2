"""The benchmarks write their reports with one torch-free module, bnnstudy.benchmarks.report (nbs/79_bench_report), not
with each other's private helpers; bench-hpo names its command and writes its header with the same functions."""
import ast, inspect, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = {"_commit", "commit_id", "md_table", "run_command", "write_bench", "written_by"}

def test_the_report_helpers_import_without_torch():
    code = "import sys, bnnstudy.benchmarks.report, bnnstudy.benchmarks.faults\nassert 'torch' not in sys.modules, 'torch imported'"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)

def test_no_benchmark_takes_the_report_helpers_from_another_benchmark():
    wrong = []
    for p in sorted((ROOT/"bnnstudy"/"benchmarks").glob("*.py")):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                source = node.module.rsplit(".", 1)[-1]
                names = {a.name for a in node.names} & HELPERS
                if names and source != "report": wrong.append(f"{p.name}: {sorted(names)} from {node.module}")
    assert not wrong, wrong

@pytest.mark.slow   # a tiny benchmark run in a worker process
def test_bench_hpo_names_its_command_with_run_command(tmp_path):
    "In-process, the header names the `hpo.main(...)` call with its arguments, as run_command writes it for every benchmark."
    from bnnstudy.benchmarks import hpo
    from bnnstudy.benchmarks.report import run_command
    given = dict(seeds=1, evals=6, problems="mixed", methods="random,tpe", workers=1, out=str(tmp_path/"b.csv"),
                 nll=False, ratio=False, rank=False, incumbent=False, ask="")
    hpo.main(**given)
    args = {k: p.default for k, p in inspect.signature(hpo.main).parameters.items()} | given
    header = (tmp_path/"b.md").read_text().split("\n")[2]
    assert header.startswith(f"Written by `{run_command('hpo', **args)}` at commit "), header
    assert header.startswith("Written by `hpo.main(seeds=1, evals=6, problems='mixed', ")

@pytest.mark.parametrize("argv, command", [(["--seeds", "2", "--problems", "a b"], "python -m bnnstudy.benchmarks.hpo --seeds 2 --problems 'a b'"),
                                           ([], "python -m bnnstudy.benchmarks.hpo")])
def test_from_the_shell_every_benchmark_names_the_command_line(monkeypatch, argv, command):
    from bnnstudy.benchmarks import hpo
    from bnnstudy.benchmarks.report import run_command
    monkeypatch.setattr(sys, "argv", [hpo.__file__, *argv])
    assert run_command("hpo", seeds=2) == command   # no trailing space when there are no arguments
