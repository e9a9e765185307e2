"The notebooks in nbs/ are the source: bnnstudy/ must be exactly what `nbdev_export` writes from them."
import configparser, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

def _copy_project(tmp_path):
    for name in ("settings.ini", "nbs", "bnnstudy"):
        src = ROOT/name
        (shutil.copytree if src.is_dir() else shutil.copy)(src, tmp_path/name)
    return tmp_path

def _tree(path):
    return {p.relative_to(path): p.read_bytes() for p in sorted(path.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}

def test_module_matches_notebooks(tmp_path):
    proj = _copy_project(tmp_path)
    subprocess.run([BIN/"nbdev_export"], cwd=proj, check=True, capture_output=True)
    exported, committed = _tree(proj/"bnnstudy"), _tree(ROOT/"bnnstudy")
    assert exported.keys() == committed.keys(), "run `make export`: module files differ from the notebooks"
    changed = [str(k) for k in exported if exported[k] != committed[k]]
    assert not changed, f"run `make export`: {changed} differ from what nbdev_export writes from nbs/"

def test_notebooks_are_clean(tmp_path):
    proj = _copy_project(tmp_path)
    subprocess.run([BIN/"nbdev_clean"], cwd=proj, check=True, capture_output=True)
    changed = [p.name for p in sorted((ROOT/"nbs").glob("*.ipynb"))
               if p.read_bytes() != (proj/"nbs"/p.name).read_bytes()]
    # outputs are kept (`make nbs-execute` commits them for readers); execution counts and stray metadata are not
    assert not changed, f"run `nbdev_clean --fname nbs/<notebook>`: {changed} have execution counts or stray metadata"

def test_settings_keep_papermill_tags_and_skip_flags():
    cfg = configparser.ConfigParser(); cfg.read(ROOT/"settings.ini")
    d = cfg["DEFAULT"]
    assert "tags" in d["allowed_cell_metadata_keys"].split()
    assert "papermill" in d["allowed_metadata_keys"].split()
    assert set(d["tst_flags"].split()) >= {"slow", "gpu"}

def test_every_notebook_has_python3_kernelspec():
    import json
    for p in (ROOT/"nbs").glob("*.ipynb"):
        assert json.loads(p.read_text())["metadata"]["kernelspec"]["name"] == "python3", p.name

def test_clean_keeps_outputs_and_drops_execution_noise(tmp_path):
    "`make nbs-execute` relies on it: nbdev_clean (clear_all = False) keeps a cell's outputs, drops its execution count."
    import nbformat
    proj = _copy_project(tmp_path)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1", execution_count=3, id="c0",
        outputs=[nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=3)])])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = proj/"nbs"/"executed.ipynb"; nbformat.write(nb, path)
    subprocess.run([BIN/"nbdev_clean", "--fname", str(path)], cwd=proj, check=True, capture_output=True)
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.execution_count is None and cell.outputs[0]["data"]["text/plain"] == "2"
    assert cell.outputs[0].get("execution_count") is None
