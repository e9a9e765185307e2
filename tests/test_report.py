"The report's figures reach its HTML with alt text (nbconvert warned 'Alternative text is missing' on all 10)."
import json
from pathlib import Path
import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]

def test_report_figures_render_with_their_alt_text(tmp_path):
    from bnnstudy.report import FIGURE_ALT, figure_html, save_figure, _empty_figure
    png = save_figure(_empty_figure("nothing to show"), tmp_path, "hpo_time_split")
    out = nbformat.v4.new_output("display_data", {"text/html": figure_html(png), "text/plain": "<HTML>"})
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[out])])
    body, _ = HTMLExporter().from_notebook_node(nb)
    assert f'alt="{FIGURE_ALT["hpo_time_split"]}"' in body
    assert "No description has been provided" not in body

def test_every_report_figure_has_alt_text_and_the_template_uses_it():
    from bnnstudy.report import FIGURE_ALT
    figures = {p.stem for p in (ROOT/"reports"/"figures").glob("*.png")}
    assert figures <= set(FIGURE_ALT), f"figures without alt text in bnnstudy.report.FIGURE_ALT: {sorted(figures - set(FIGURE_ALT))}"
    cells = json.loads((ROOT/"nbs"/"90_report.ipynb").read_text())["cells"]
    assert any("figure_html" in "".join(c["source"]) for c in cells), "90_report should show figures with report.figure_html"
