"""`window-watch serve` runs gunicorn for real: HTTP on loopback, demo data, sign-in page."""

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.loopback import free_port


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture
def served(tmp_path, repo_root):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    env.update({"WW_ENV": "development", "WW_INSTANCE_PATH": str(tmp_path)})
    cli = [sys.executable, "-m", "admin_web"]
    for args in (["db", "upgrade"], ["demo", "--feedback-per-window", "3"]):
        subprocess.run(cli + args, env=env, cwd=repo_root, check=True, capture_output=True, timeout=300)
    port = free_port()
    access_log = (tmp_path / "access.log").open("wb")
    # Gunicorn's own log goes to a file: a pipe nobody reads while the tests run could fill and
    # block the server.
    error_log = (tmp_path / "error.log").open("wb")
    proc = subprocess.Popen(cli + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            env=env, cwd=repo_root, stdout=access_log, stderr=error_log)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(proc, base + "/healthz", tmp_path / "error.log")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        error_log.close()
        access_log.close()


#: The longest the server may take to answer its first /healthz. Generous, since a loaded
#: machine (the suite beside other work) boots two workers slowly; a server that exits fails
#: at once, whatever this says.
START_DEADLINE = 120


def _wait_until_ready(proc: subprocess.Popen[bytes], url: str, error_log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode} before answering: "
                        + error_log.read_text(errors="replace")[-2000:])
        try:
            status, body = _get(url)
        except OSError as exc:  # not listening yet, or a worker still booting
            last = repr(exc)
        else:
            if status == 200:
                return
            last = f"HTTP {status}: {body[:200]}"
        time.sleep(0.25)
    pytest.fail(f"server did not answer {url} within {START_DEADLINE} s (last: {last}): "
                + error_log.read_text(errors="replace")[-2000:])


def test_serve_answers_health_login_and_api_over_http(served):
    status, body = _get(served + "/healthz")
    assert status == 200 and '"database":"ok"' in body.replace(" ", "")
    status, body = _get(served + "/login")
    assert status == 200 and "登录" in body and "csrf_token" in body
    status, body = _get(served + "/api/v1/windows")
    assert status == 401 and '"unauthorized"' in body
    status, _ = _get(served + "/static/style.css")
    assert status == 200
    # A long filter URL (6.3 KB, over gunicorn's default 4,094-byte request line) reaches the
    # app, whose pages are Chinese, instead of gunicorn's English 414.
    status, body = _get(served + "/public?q=" + "%E7%A8%8E" * 700)
    assert status == 200 and "URI Too Long" not in body and "示范窗口" in body


def test_access_log_keeps_no_openid_or_signature_of_the_wechat_callback(served, tmp_path):
    query = "signature=0123abcd&timestamp=1700000000&nonce=42&openid=o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
    _get(served + "/wechat?" + query)
    _get(served + "/windows?q=%E7%A8%8E")  # other paths keep their query (filters, pages)
    log = tmp_path / "access.log"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and b"/windows?q=" not in log.read_bytes():
        time.sleep(0.1)
    text = log.read_text()
    assert '"GET /wechat HTTP/1.1"' in text
    assert "openid" not in text and "o6_bmjrPTlm6" not in text and "signature" not in text
    assert "/windows?q=%E7%A8%8E" in text
