"issue 13 item 10: `make lab` starts headless (no browser, 127.0.0.1), as root and not, and prints the URL."
import os, re, selectors, shutil, signal, subprocess, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None or not (ROOT/".venv/bin/jupyter").exists(),
                                reason="needs make and the project's .venv")

def dry_run(tmp_path, uid: str) -> str:
    fake = tmp_path/"bin"; fake.mkdir(exist_ok=True)
    (fake/"id").write_text(f"#!/bin/sh\necho {uid}\n"); (fake/"id").chmod(0o755)
    env = os.environ | {"PATH": f"{fake}:{os.environ['PATH']}"}
    out = subprocess.run(["make", "-n", "-o", ".venv/.installed", "lab"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout

def test_lab_flags_for_root_and_other_users(tmp_path):
    as_root, as_user = dry_run(tmp_path, "0"), dry_run(tmp_path, "1000")
    for cmd in (as_root, as_user): assert "--no-browser" in cmd and "--ip=127.0.0.1" in cmd
    assert "--allow-root" in as_root and "--allow-root" not in as_user

def test_lab_starts_headless_and_prints_its_url(tmp_path):
    env = os.environ | {"JUPYTER_RUNTIME_DIR": str(tmp_path/"runtime"), "JUPYTER_CONFIG_DIR": str(tmp_path/"config"),
                        "BROWSER": "false"}
    p = subprocess.Popen(["make", "-o", ".venv/.installed", "lab"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url, seen, sel = None, [], selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    try:
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline and p.poll() is None:
            if sel.select(timeout=1):
                line = p.stdout.readline(); seen.append(line)
                m = re.search(r"(http://127\.0\.0\.1:\d+/lab\?token=\w+)", line)
                if m: url = m.group(1)
    finally:
        os.killpg(p.pid, signal.SIGTERM)   # the whole group: make and the server it started
        try: p.wait(timeout=30)
        except subprocess.TimeoutExpired: os.killpg(p.pid, signal.SIGKILL); p.wait()
    assert url is not None, "".join(seen)[-2000:]
    assert any("open the http://127.0.0.1" in l for l in seen)
