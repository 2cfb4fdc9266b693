"""`window-watch serve` runs gunicorn for real: HTTP on loopback, demo data, sign-in page."""

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
        subprocess.run(cli + args, env=env, cwd=repo_root, check=True, capture_output=True, timeout=120)
    port = _free_port()
    access_log = (tmp_path / "access.log").open("wb")
    proc = subprocess.Popen(cli + ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
                            env=env, cwd=repo_root, stdout=access_log, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if _get(base + "/healthz")[0] == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("server did not start: " + proc.stderr.read().decode()[-2000:])
    yield base
    proc.terminate()
    proc.wait(timeout=20)
    proc.stderr.close()
    access_log.close()


def test_serve_answers_health_login_and_api_over_http(served):
    status, body = _get(served + "/healthz")
    assert status == 200 and '"database":"ok"' in body.replace(" ", "")
    status, body = _get(served + "/login")
    assert status == 200 and "登录" in body and "csrf_token" in body
    status, body = _get(served + "/api/v1/windows")
    assert status == 401 and '"unauthorized"' in body
    status, _ = _get(served + "/static/style.css")
    assert status == 200


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
