"""The docs site (`make docs`) builds from the committed notebooks, has a page per module, no broken internal links, and
its pages (and reports/report.html) render in a real headless browser."""
import html.parser, os, shutil, subprocess, sys
from pathlib import Path
from urllib.parse import unquote, urlsplit
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = Path(os.environ.get("BNNSTUDY_SCREENSHOTS", "/tmp/bnnstudy-docs-screenshots"))

@pytest.fixture(scope="module")
def site(tmp_path_factory):
    "The site built by `.ci/site.py` in a copy of the project (notebooks as committed, edits elsewhere cannot race it)."
    proj = tmp_path_factory.mktemp("docs")
    for name in ("settings.ini", "README.md", "nbs", ".ci", "reports/figures", "reports/tables", "reports/report.html"):
        src, dst = ROOT/name, proj/name
        dst.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if src.is_dir() else shutil.copy)(src, dst)
    done = subprocess.run([sys.executable, ".ci/site.py", "site", "_docs"], cwd=proj, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return proj/"_docs"

def _modules():
    "notebook stem -> module, for every notebook that exports one"
    out = {}
    for p in sorted((ROOT/"nbs").glob("*.ipynb")):
        for line in p.read_text().splitlines():
            if "#| default_exp" in line: out[p.stem] = line.split("default_exp", 1)[1].split()[0].strip('",\\n'); break
    return out

def test_a_page_per_module_and_the_readme_as_home(site):
    mods = _modules()
    assert len(mods) >= 15, mods
    missing = [f"{stem}.html" for stem in mods if not (site/f"{stem}.html").is_file()]
    assert not missing, f"pages missing: {missing}"
    home = (site/"index.html").read_text()
    assert "Use it from your own code" in home and "make reproduce" in home
    nav = [f'href="{stem}.html"' for stem in mods]
    assert all(n in home for n in nav), "the page list misses a module page"

class _Links(html.parser.HTMLParser):
    def __init__(self): super().__init__(); self.links = []
    def handle_starttag(self, tag, attrs):
        self.links += [v for k, v in attrs if k in ("href", "src") and v]

def _internal(link):
    parts = urlsplit(link)
    return None if parts.scheme or parts.netloc or link.startswith(("#", "data:")) or not parts.path else unquote(parts.path)

def test_no_broken_internal_links(site):
    broken = []
    for page in site.rglob("*.html"):
        parser = _Links(); parser.feed(page.read_text(errors="replace"))
        for link in filter(None, map(_internal, parser.links)):
            if not (page.parent/link).exists(): broken.append(f"{page.relative_to(site)} -> {link}")
    assert not broken, f"{len(broken)} broken links: {broken[:20]}"

def _chromium():
    exe = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    if exe is None:
        if os.environ.get("CI"): pytest.fail("chromium is not installed (.ci/run installs it with apt-get)")
        pytest.skip("no chromium here: `apt-get install -y chromium` to run the browser checks")
    return exe

def _render(page: Path, png: Path, profile: Path):
    "Screenshot `page` in headless Chromium and return (its DOM text, the screenshot as an RGB array)."
    args = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
            f"--user-data-dir={profile}", "--window-size=1280,2000", "--virtual-time-budget=3000"]
    url = page.resolve().as_uri()
    shot = subprocess.run(args + [f"--screenshot={png}", url], capture_output=True, text=True, timeout=120)
    assert png.is_file(), f"no screenshot of {page}: {shot.stderr[-2000:]}"
    dom = subprocess.run(args + ["--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    from PIL import Image
    return dom, np.asarray(Image.open(png).convert("RGB"))

@pytest.mark.parametrize("page,text", [("index.html", "Use it from your own code"), ("03_metrics.html", "temperature_scale"),
                                       ("report", "Hyperparameter search")])
def test_pages_render_in_a_browser(site, tmp_path, page, text):
    path = ROOT/"reports"/"report.html" if page == "report" else site/page
    SHOTS.mkdir(parents=True, exist_ok=True)
    dom, img = _render(path, SHOTS/f"{Path(page).stem}.png", tmp_path/"profile")
    assert text in dom, f"{text!r} not in the rendered DOM of {page}"
    assert img.shape[:2] == (2000, 1280), img.shape
    ink = (img.min(axis=2) < 200).mean()             # share of pixels that are not near-white
    colours = len(np.unique(img.reshape(-1, 3)[::37], axis=0))
    assert ink > 0.01 and colours > 20, f"{page} rendered blank: {ink:.3%} ink, {colours} colours"

# ---- what a reader sees in the committed outputs ---------------------------------------------------------------------
_KERNEL_WITHOUT_WIDGETS = """
import sys, types, warnings, os
sys.modules["ipykernel"] = types.ModuleType("ipykernel")              # tqdm.autonotebook takes this for a Jupyter kernel
sys.modules["ipykernel.zmqshell"] = types.ModuleType("ipykernel.zmqshell")
import IPython
os.environ["BNNSTUDY_PROGRESS"] = "bar"
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from bnnstudy.core import progress
    bar = progress(range(3), disable=True)
print(type(bar).__module__, len([w for w in caught if "IProgress" in str(w.message)]))
"""

def test_a_forced_bar_in_a_kernel_without_ipywidgets_does_not_warn():
    "core.progress in a notebook kernel without ipywidgets: tqdm's text bar, not tqdm.auto's 'IProgress not found' warning."
    pytest.importorskip("IPython")
    try: import ipywidgets  # noqa: F401
    except ImportError: pass
    else: pytest.skip("ipywidgets is installed: tqdm.auto draws its widget and does not warn")
    done = subprocess.run([sys.executable, "-c", _KERNEL_WITHOUT_WIDGETS], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["tqdm.std", "0"]

# every notebook committed executed (00-3x and the README's index)
CLEAN_NBS = tuple(sorted(p.stem for p in (ROOT/"nbs").glob("[0-3]*.ipynb"))) + ("index",)

@pytest.mark.parametrize("stem", CLEAN_NBS)
def test_committed_outputs_have_no_tracebacks_warnings_or_local_paths(stem):
    import nbformat
    nb = nbformat.read(ROOT/"nbs"/f"{stem}.ipynb", as_version=4)
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outs)
    assert not [o for o in outs if o.output_type == "error"], f"{stem} has a traceback in its outputs"
    assert "IProgress not found" not in text, f"{stem}: tqdm's IProgress warning in its outputs"
    assert "/work/" not in text and str(ROOT) not in text, f"{stem}: an absolute local path in its outputs"

def test_house_counts_cells_of_a_tiny_notebook(tmp_path):
    "The counting behind reports/tables/house.md (make house): code cells, the longest, those over the limit, #| hide cells."
    import importlib.util, nbformat
    spec = importlib.util.spec_from_file_location("house", ROOT/".ci"/"house.py")
    house = importlib.util.module_from_spec(spec); spec.loader.exec_module(house)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("\n".join(["prose"]*60)),                    # markdown: never counted
        nbformat.v4.new_code_cell("#| hide\nfrom fastcore.test import test_eq"),
        nbformat.v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(46))),  # 46 lines: over 45
        nbformat.v4.new_code_cell("#| export\ndef f(): pass\n"),
        nbformat.v4.new_code_cell("\n".join(f"y{i} = {i}" for i in range(45)))]) # 45 lines: at the limit, not over
    nbformat.write(nb, tmp_path/"tiny.ipynb")
    assert house.notebook_stats(tmp_path/"tiny.ipynb") == dict(code_cells=4, longest=46, long_cells=[(2, 46)], hide_cells=1)
    assert house.notebook_stats(tmp_path/"tiny.ipynb", limit=1)["long_cells"] == [(1, 2), (2, 46), (3, 2), (4, 45)]

def _site_module():
    import importlib.util
    spec = importlib.util.spec_from_file_location("docsite", ROOT/".ci"/"site.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod

def test_figure_alt_text_from_the_prose_above_or_the_plotting_code():
    import nbformat
    png = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 640x480 with 1 Axes>"}
    fig = lambda: nbformat.v4.new_output("display_data", data=png)
    cells = [nbformat.v4.new_markdown_cell("## Curves\nThe `history` is a DataFrame, so learning curves are one plot away:"),
             nbformat.v4.new_code_cell("r.history.plot(y='loss');", outputs=[fig()]),
             nbformat.v4.new_code_cell("fig = plot_regret(ex)   # the replays\ntest_eq(len(fig.axes), 2)", outputs=[fig()]),
             nbformat.v4.new_code_cell("ax.set(title='Branin: best so far')\nax.legend();", outputs=[fig()]),
             nbformat.v4.new_code_cell("1 + 1", outputs=[nbformat.v4.new_output("execute_result", data={"text/plain": "2"})])]
    assert _site_module().figure_alts(cells) == ["Figure: The history is a DataFrame, so learning curves are one plot away",
                                                 "Figure drawn by plot_regret(ex)", "Figure: Branin: best so far"]

def test_site_images_have_alt_text(site):
    "nbconvert's stand-in ('No description has been provided') is replaced on every page."
    pages = {p.name: p.read_text() for p in site.glob("*.html")}
    stand_in = [name for name, text in pages.items() if "No description has been provided for this image" in text]
    assert not stand_in, f"images without alt text on {stand_in}"
    assert sum(text.count("<img") for text in pages.values()) >= 10
