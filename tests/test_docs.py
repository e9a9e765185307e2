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
