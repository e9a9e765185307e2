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
    from bnnstudy.lr import LR_FIGURE_ALT
    alt = set(FIGURE_ALT) | set(LR_FIGURE_ALT)
    figures = {p.stem for p in (ROOT/"reports"/"figures").glob("*.png")}
    assert figures <= alt, f"figures without alt text in bnnstudy.report.FIGURE_ALT or bnnstudy.lr.LR_FIGURE_ALT: {sorted(figures - alt)}"
    cells = json.loads((ROOT/"nbs"/"90_report.ipynb").read_text())["cells"]
    assert any("figure_html" in "".join(c["source"]) for c in cells), "90_report should show figures with report.figure_html"


def _report_cells():
    return ["".join(c["source"]) for c in json.loads((ROOT/"nbs"/"90_report.ipynb").read_text())["cells"]]

def test_the_lr_section_is_built_on_lr_table_and_verdicts_with_every_figure_alt_texted():
    from bnnstudy.lr import LR_FIGURE_ALT
    code = "\n".join(_report_cells())
    assert "lr.lr_table(results)" in code and "lr.lr_verdicts(" in code
    assert "report.lr_summary" not in code and '"fixed"' not in code, "the LR section compares against named arms, not the old 'fixed' controller"
    for name in LR_FIGURE_ALT:
        assert f'"{name}"' in code or (name.startswith("lr_reliability_") and 'f"lr_reliability_{kind}"' in code), name

def test_the_lr_verdicts_and_key_figure_come_before_the_lr_tables():
    cells = _report_cells()
    first = lambda s: next(i for i, c in enumerate(cells) if s in c)
    assert first("lr.verdict_counts(") < first('"lr_verdicts_accuracy"') < first("lr.format_summary(lr_summary, [\"test_accuracy\"")

def test_the_report_prints_no_folder_of_the_machine():
    code = "\n".join(_report_cells())
    assert "{runs_dir}" not in code and "{out}" not in code

def test_the_lr_section_runs_without_lr_results_and_says_so(tmp_path, capsys):
    import matplotlib
    matplotlib.use("Agg")
    from bnnstudy import report, lr
    nb = json.loads((ROOT/"nbs"/"90_report.ipynb").read_text())["cells"]
    cells = ["".join(c["source"]) for c in nb if c["cell_type"] == "code"]
    start = next(i for i, c in enumerate(cells) if c.startswith("lr_runs = lr.lr_table(results)"))
    shown = []
    def show_table(df, name=None):
        if name: report.save_table(df, tmp_path, name)
        shown.append(df.style.hide(axis="index").format(precision=4, na_rep="—").to_html())
    env = dict(results=[], out=tmp_path, report=report, lr=lr, show_table=show_table,
               show_figure=lambda fig, name, alt=None: report.save_figure(fig, tmp_path, name))
    for src in cells[start:]: exec(src, env)
    assert "no LR runs yet" in capsys.readouterr().out
    assert {p.stem for p in (tmp_path/"figures").glob("*.png")} >= {"lr_verdicts_accuracy", "lr_decision_rates", "lr_learning_curves"}
    assert (tmp_path/"tables"/"lr_summary.csv").exists() and shown
