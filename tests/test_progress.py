"issue 13 item 12: progress bars in a terminal, occasional plain lines in a file or CI log."
import os, subprocess, sys

CODE = "from bnnstudy.core import progress\nfor _ in progress(range(200), desc='trials'): pass\n"

def test_progress_to_a_file_writes_a_few_plain_lines(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BNNSTUDY_PROGRESS"}
    with open(tmp_path/"log", "w") as log:
        subprocess.run([sys.executable, "-c", CODE], stderr=log, stdout=log, check=True, env=env)
    text = (tmp_path/"log").read_text()
    assert "\r" not in text
    lines = text.splitlines()
    assert len(lines) == 10 and lines[-1].startswith("trials: 200/200 (100%)"), lines

def test_progress_can_be_switched_off(tmp_path):
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True,
                         env=os.environ | {"BNNSTUDY_PROGRESS": "off"})
    assert out.stderr == ""
