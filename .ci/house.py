"""Evidence for the house-style issue, written by a command (`make house`), never typed: per notebook its code cells, the
longest one and its `#| hide` cells, the code cells over the limit, the measured time of `make lint`, and the public
functions and methods of the package without a docstring.

    python .ci/house.py reports/tables/house.md
"""
import ast, datetime as dt, json, os, subprocess, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 45   # lines: the "45+-line cells" are what gets split

def _source(cell) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s

def notebook_stats(path, limit: int = LIMIT) -> dict:
    "Code cells, the longest code cell (lines), the code cells longer than `limit` as (0-based cell index, lines), `#| hide` cells."
    cells = json.loads(Path(path).read_text())["cells"]
    code = [(i, _source(c)) for i, c in enumerate(cells) if c["cell_type"] == "code"]
    n_lines = {i: len(s.splitlines()) for i, s in code}
    hide = sum(any(line.strip() == "#| hide" for line in s.splitlines()) for _, s in code)
    return dict(code_cells=len(code), longest=max(n_lines.values(), default=0),
                long_cells=[(i, n) for i, n in n_lines.items() if n > limit], hide_cells=hide)

def _patched(node) -> bool:
    return any((d.id if isinstance(d, ast.Name) else getattr(d, "attr", None) if isinstance(d, ast.Attribute)
                else getattr(getattr(d, "func", None), "id", None)) in ("patch", "patch_to") for d in node.decorator_list)

def undocumented(package=ROOT/"bnnstudy") -> list[str]:
    "module.name of each exported function or class (in `__all__`) and each public `@patch`ed method without a docstring."
    out = []
    for p in sorted(Path(package).rglob("*.py")):
        if p.name == "_modidx.py": continue
        mod = ".".join(p.relative_to(Path(package).parent).with_suffix("").parts)
        tree = ast.parse(p.read_text())
        exported = set()
        for node in tree.body:   # __all__ = [...] as nbdev writes it
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
                exported |= {e.value for e in getattr(node.value, "elts", []) if isinstance(e, ast.Constant)}
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith("_"): continue
            if ast.get_docstring(node) is not None: continue
            if node.name in exported: out.append(f"{mod}.{node.name}")
            elif not isinstance(node, ast.ClassDef) and _patched(node):
                owner = node.args.args[0].annotation if node.args.args else None
                out.append(f"{mod}.{getattr(owner, 'id', '?')}.{node.name} (@patch)")
    return out

def time_lint(cache: bool = True) -> tuple[float, str]:
    "Wall seconds of `make lint` here (`cache=False`: ruff without its cache, as on a fresh checkout), and how it ended."
    env = os.environ | ({} if cache else {"RUFF_NO_CACHE": "true"})
    t0 = time.perf_counter()
    done = subprocess.run(["make", "--no-print-directory", "lint"], cwd=ROOT, capture_output=True, text=True, env=env)
    return time.perf_counter() - t0, "passed" if done.returncode == 0 else f"failed (exit {done.returncode})"

def report(limit: int = LIMIT) -> str:
    nbs = sorted((ROOT/"nbs").glob("*.ipynb"))
    stats = {p.stem: notebook_stats(p, limit) for p in nbs}
    cold, lint = time_lint(cache=False)
    secs, _ = time_lint()
    missing = undocumented()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "n/a"
    lines = ["# House style: notebook cells, lint time, docstrings", "",
             f"Written by `make house` (`.ci/house.py`) on {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; "
             f"{os.cpu_count()} CPU cores, load average {load}.", "",
             f"`make lint` took {cold:.2f} s without ruff's cache (a fresh checkout) and {secs:.2f} s with it; it {lint}.", "",
             f"## Code cells over {limit} lines", ""]
    long = [(nb, i, n) for nb, s in stats.items() for i, n in s["long_cells"]]
    lines += [f"- `{nb}` cell {i} (0-based): {n} lines" for nb, i, n in long] or ["None."]
    lines += ["", f"## Exported functions and classes, and `@patch`ed methods, without a docstring ({len(missing)})", ""]
    lines += [f"- `{name}`" for name in missing] or ["None."]
    total = {k: sum(s[k] for s in stats.values()) for k in ("code_cells", "hide_cells")}
    lines += ["", f"## Per notebook ({len(stats)} notebooks, {total['code_cells']} code cells, "
              f"{total['hide_cells']} `#| hide` cells)", "",
              "| notebook | code cells | longest code cell (lines) | `#| hide` cells |", "|---|---:|---:|---:|"]
    lines += [f"| {nb} | {s['code_cells']} | {s['longest']} | {s['hide_cells']} |" for nb, s in stats.items()]
    return "\n".join(lines) + "\n"

if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT/"reports"/"tables"/"house.md"
    text = report()
    tmp = out.with_suffix(".md.new"); tmp.write_text(text); tmp.replace(out)
    print(f"written {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
