"README.md is written from nbs/index.ipynb (`make readme`): its code runs in CI, its results come from committed tables."
import importlib.util, json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README, INDEX = ROOT/"README.md", ROOT/"nbs"/"index.ipynb"

def _site():
    spec = importlib.util.spec_from_file_location("site_builder", ROOT/".ci"/"site.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def _section(text, title):
    "The text of the `## title...` section, up to the next `## ` heading."
    start = text.index("\n## " + title)
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]

def test_readme_is_what_make_readme_writes():
    assert README.read_text() == _site().readme_text(INDEX), "README.md is generated: edit nbs/index.ipynb, then run `make readme`"

def test_every_python_block_in_the_readme_is_a_code_cell_of_index():
    "nbdev_test runs index.ipynb's code cells, so every ```python block of the README runs in CI."
    cells = [c for c in json.loads(INDEX.read_text())["cells"] if c["cell_type"] == "code"]
    sources = {"".join(c["source"]).strip() for c in cells}
    blocks = re.findall(r"```python\n(.*?)\n```", README.read_text(), flags=re.S)
    assert blocks, "README.md has no python blocks"
    missing = [b[:60] for b in blocks if b.strip() not in sources]
    assert not missing, f"README python blocks not in nbs/index.ipynb: {missing}"

def test_index_is_committed_executed():
    "The README shows what its code printed: every code cell of index.ipynb has its outputs."
    cells = [c for c in json.loads(INDEX.read_text())["cells"] if c["cell_type"] == "code"]
    empty = [i for i, c in enumerate(cells) if not c.get("outputs") and "#| hide" not in "".join(c["source"])]
    assert not empty, f"code cells {empty} of index.ipynb have no outputs: run `make nbs-execute` (or execute index.ipynb), then `make readme`"

def _numbers(text):
    return set(re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])", text))

def test_results_tables_come_from_the_committed_tables_they_cite():
    "Every number in the results sections' tables and code blocks is in the reports/tables files the section names."
    text = README.read_text()
    for title in ("The study on a CPU", "Measured so far"):
        section = _section(text, title)
        cited = sorted(set(re.findall(r"reports/tables/[\w.]+\.md", section)))
        assert cited, f"section {title!r} cites no table"
        known = set().union(*(_numbers((ROOT/c).read_text()) for c in cited))
        blocks = re.findall(r"```\n(.*?)\n```", section, flags=re.S)
        rows = [line for line in section.splitlines() if line.startswith("|")]
        assert blocks or rows, f"section {title!r} embeds no table"
        for block in blocks: assert any(block in (ROOT/c).read_text() for c in cited), f"{block[:80]!r} is not in {cited}"
        stray = sorted(_numbers("\n".join(rows)) - known)
        assert not stray, f"numbers {stray} in the tables of {title!r} are in none of {cited}"

def test_layout_lists_every_numbered_notebook():
    layout = _section(README.read_text(), "Layout")
    listed = set(re.findall(r"^\| `([^`]+)` \|", layout, flags=re.M))
    notebooks = {p.stem for p in (ROOT/"nbs").glob("[0-9]*.ipynb")}
    assert listed == notebooks, (f"README layout differs from nbs/: missing {sorted(notebooks - listed)}, extra {sorted(listed - notebooks)}; "
                                 "execute nbs/index.ipynb again (make nbs-execute), then make readme")
