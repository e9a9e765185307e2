"""The docs site (`make docs`) and README.md (`make readme`) from the notebooks as committed: nothing is executed.

nbdev_docs and nbdev_readme need the Quarto binary, and PyPI's `quarto-cli` is a source package whose build downloads
Quarto from GitHub, which this project's machines and CI cannot reach; nbdev's own notebook processing (proc_nbs) also
re-executes every cell that mixes imports with code. So this renders the committed notebooks as they are, applying
nbdev's cell directives the way the docs would: `#| hide` drops a cell, `#| echo: false` shows only its outputs,
`#| output: false` only its code, and the `#|` lines themselves are not shown.

    python .ci/site.py site _docs        # _docs/index.html (the README) and one page per notebook
    python .ci/site.py readme README.md  # README.md from nbs/index.ipynb
"""
import html, os, re, shutil, sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/"nbs"
README_NB = NBS/"index.ipynb"

def directives(source: str) -> dict:
    "The cell's `#| key: value` / `#| flag` lines as a dict (a flag maps to True)."
    out = {}
    for line in source.splitlines():
        if not line.startswith("#|"): continue
        key, _, val = line[2:].strip().partition(":") if ":" in line else (line[2:].strip(), "", "")
        for k in key.split(): out[k.strip()] = val.strip() if val else True
    return out

def root_links(text: str) -> str:
    "index.ipynb links `../reports/...` (right from nbs/); README.md and the site's home page sit one folder up."
    return re.sub(r"\]\(\.\./", "](", text)

def shown_cells(nb) -> list:
    "The cells a reader sees: markdown as is; code without `#|` lines, dropped, code-less or output-less per the directives."
    cells = []
    for c in nb.cells:
        if c.cell_type == "markdown": cells.append(c); continue
        if c.cell_type != "code": continue
        d = directives(c.source)
        if d.get("hide") or d.get("exporti") or "default_exp" in d and len(d) == 1 and not c.outputs: continue
        c = nbformat.from_dict(dict(c))
        c.source = "\n".join(line for line in c.source.splitlines() if not line.startswith("#|")).strip("\n")
        if str(d.get("echo", "")).lower() == "false": c.source = ""
        if str(d.get("output", "")).lower() == "false": c.outputs = []
        # warnings a library printed while the notebook ran (stderr) are not for the reader, as in nbdev's docs
        c.outputs = [o for o in c.outputs if not (o.output_type == "stream" and o.name == "stderr")]
        if c.source or c.outputs: cells.append(c)
    return cells

# ---- README.md -----------------------------------------------------------------------------------------------------
def _output_md(o) -> str:
    if o.output_type == "stream": return "```\n" + o.text.rstrip("\n") + "\n```"
    if o.output_type == "error": return "```\n" + "\n".join(o.traceback) + "\n```"
    data = o.get("data", {})
    if "text/markdown" in data: return data["text/markdown"].strip("\n")
    if "text/plain" in data: return "```\n" + data["text/plain"].rstrip("\n") + "\n```"
    return ""

def readme_text(nb_path: Path = README_NB) -> str:
    "README.md's text: index.ipynb's markdown, its shown code as ```python blocks, and its outputs (markdown as is)."
    parts = []
    for c in shown_cells(nbformat.read(nb_path, as_version=4)):
        if c.cell_type == "markdown": parts.append(c.source.strip("\n")); continue
        if c.source: parts.append("```python\n" + c.source + "\n```")
        parts.extend(t for t in map(_output_md, c.outputs) if t)
    return root_links("\n\n".join(parts)) + "\n"

# ---- the site ------------------------------------------------------------------------------------------------------
def page_name(nb: Path) -> str:
    "The notebook's page: its name with .html (index.ipynb -> index.html)."
    return nb.stem + ".html"

def _nav(pages: list, current: str) -> str:
    items = "".join(f'<li><a href="{p}"{" aria-current=page" if p == current else ""}>{html.escape(t)}</a></li>' for p, t in pages)
    return f'<nav class="site-nav" aria-label="pages"><ul>{items}</ul></nav>'

STYLE = """<style>.site-nav{position:fixed;left:0;top:0;bottom:0;width:14rem;overflow:auto;padding:1rem;
border-right:1px solid #ddd;font:14px sans-serif;background:#fafafa}.site-nav ul{list-style:none;padding:0}
.site-nav li{margin:.2rem 0}.site-nav a[aria-current]{font-weight:bold}body{margin-left:16rem !important}
.jp-RenderedMarkdown .highlight{background:#f5f5f5;border:1px solid #e0e0e0;padding:.4rem .6rem;margin:.5rem 0 1rem}</style>"""
# the last rule: a code block written in markdown (the README's commands) boxed like a code cell, with room below it

NO_ALT = 'alt="No description has been provided for this image"'   # what nbconvert gives an output image without one

def _drawn_by(code: str) -> str:
    "What a figure cell says of its figure: a plain title=\"...\", else the last plotting call (else its last line)."
    title = re.search(r"""\btitle=(["'])([^"'{}]+)\1""", code)
    if title: return title.group(2)
    lines = [re.sub(r"\s+#.*$|;\s*$|^\s*[\w, ]+=(?!=)\s*", "", ln) for ln in code.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    calls = [ln for ln in lines if re.search(r"(?<!sub)(plot|diagram)\w*\(", ln)]   # not plt.subplots(...)
    return "drawn by " + (calls or lines or ["the code above"])[-1]

def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[:n].rsplit(" ", 1)[0] + " …"

def figure_alts(cells) -> list:
    "Alt text for each image output of `cells`, in page order: the prose just above its cell, else what its code says."
    alts, prose = [], ""
    for c in cells:
        if c.cell_type == "markdown":
            body = re.sub(r"^#+ .*$", "", c.source, flags=re.M).strip() or c.source.lstrip("# ")   # headings aside
            text = " ".join(re.sub(r"\[([^]]*)\]\([^)]*\)|[`*]", r"\1", body).split())
            prose = re.split(r"(?<=\.)\s", text, maxsplit=1)[0].rstrip(":")   # its first sentence
            continue
        for o in c.outputs:
            if o.output_type in ("display_data", "execute_result") and {"image/png", "image/jpeg"} & set(o.get("data", {})) \
                    and "image/svg+xml" not in o.data:
                what = prose or _drawn_by(c.source)
                alts.append(_short(("Figure " if what.startswith("drawn by ") else "Figure: ") + what))
        prose = ""   # prose describes the cell right after it only
    return alts

def _write_page(p: Path, out: Path, pages: list, title: str):
    "Render notebook `p` as `out/<name>.html` with the page list on its left."
    from nbconvert import HTMLExporter
    exporter = HTMLExporter(template_name="lab", exclude_input_prompt=True, exclude_output_prompt=True)
    nb = nbformat.read(p, as_version=4)
    nb.cells = shown_cells(nb)
    for c in nb.cells:   # links between notebooks become links between pages
        if c.cell_type == "markdown" and p == README_NB: c.source = root_links(c.source)
        if c.cell_type == "markdown": c.source = re.sub(r"\]\((?![a-z]+:)([^)#]*?)\.ipynb", r"](\1.html", c.source)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    alts = figure_alts(nb.cells)
    if body.count(NO_ALT) == len(alts):   # the images are the outputs' in order; otherwise leave nbconvert's words
        for alt in alts: body = body.replace(NO_ALT, f'alt="{html.escape(alt)}"', 1)
    body = body.replace("</head>", STYLE + "</head>", 1)
    body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _nav(pages, page_name(p)), body, count=1)
    (out/page_name(p)).write_text(body)

def build_site(out: Path) -> list:
    "Render index.ipynb (the README) and every notebook into `out`, with a page list on each; the pages written."
    out = Path(out); shutil.rmtree(out, ignore_errors=True); out.mkdir(parents=True)
    nbs = [README_NB] + sorted(p for p in NBS.glob("*.ipynb") if p != README_NB and not p.name.startswith("_"))
    titles = {}
    for p in nbs:
        nb = nbformat.read(p, as_version=4)
        first = next((c.source for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("# ")), "# " + p.stem)
        titles[p] = first.splitlines()[0][2:].strip()
    pages = [(page_name(p), "Home" if p == README_NB else f"{p.stem.split('_')[0]} {titles[p]}") for p in nbs]
    # one process per core: pygments and the HTML template make each page take seconds
    with ProcessPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
        list(pool.map(_write_page, nbs, [out]*len(nbs), [pages]*len(nbs), [titles[p] for p in nbs]))
    # what the README links to (figures, the report) travels with the site
    for rel in ("reports/figures", "reports/tables", "reports/report.html"):
        src = ROOT/rel
        if src.is_dir(): shutil.copytree(src, out/rel)
        elif src.exists(): (out/rel).parent.mkdir(parents=True, exist_ok=True); shutil.copy(src, out/rel)
    return [out/page_name(p) for p in nbs]

if __name__ == "__main__":
    what, dest = sys.argv[1], Path(sys.argv[2])
    if what == "readme": dest.write_text(readme_text()); print(f"wrote {dest}")
    elif what == "site": print(f"wrote {len(build_site(dest))} pages to {dest}/ (open {dest}/index.html)")
    else: sys.exit(f"usage: {sys.argv[0]} site DIR | readme FILE")
