"""The README's first command on the embedded default: `make demo`'s steps on SQLite with
tasks in-process (no DATABASE_URL to PostgreSQL, no REDIS_URL), then every main page and
API list as each demo login. The suite runs on PostgreSQL, so the demo runs in
subprocesses on its own SQLite file."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    for name in ("DEBUG", "ALLOWED_HOSTS", "SECRET_KEY", "SECRET_KEY_FILE"):
        env.pop(name, None)
    env.update(PY=sys.executable)
    # The demo's own settings (DEBUG off and what it needs), its secret key kept in tmp_path.
    sourced = subprocess.run(
        ["bash", "-c", f". {ROOT / '.ci' / 'demo-env'} && env -0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        check=True,
    ).stdout.decode()
    env = dict(line.split("=", 1) for line in sourced.split("\0") if "=" in line)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3",
        LOG_LEVEL="ERROR",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def run(env, *args, timeout=300):
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(args)} exited {done.returncode}:\n{out[-4000:]}"
    return out


def test_the_embedded_demo_runs_end_to_end_on_sqlite(demo_env):
    assert demo_env["DEBUG"] == "false"
    manage = str(ROOT / "manage.py")
    run(demo_env, manage, "collectstatic", "--noinput", "-v0")
    run(demo_env, manage, "migrate", "--noinput", "-v0")
    run(
        demo_env, manage, "seed_demo", "--customers", "120", "--interactions", "8000", "--no-logins"
    )
    out = run(demo_env, manage, "score_customers", "--history", "21", "--every", "7")
    assert "customers scored" in out
    out = run(demo_env, manage, "run_nightly")
    # run_nightly goes on past a failed job and says so: every job must be done.
    assert "failed" not in out, out[-4000:]
    assert "raise_alerts: done" in out and "finish_scoring: done" in out, out[-4000:]
    out = run(demo_env, str(ROOT / "tests" / "demo" / "open_pages.py"))
    assert "FAILED" not in out, out[-4000:]
    # Each login opens its own pages (the rest are another role's: 403).
    assert out.count(" 200 /") >= 100, out[-4000:]
    serve_and_check(demo_env, manage)


def serve_and_check(env, manage):
    """The demo's server itself: static files through whitenoise, the sign-in form over
    plain http (cookies, CSRF), and the app's 404 page, never Django's technical one."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        jar = http.cookiejar.CookieJar()
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        assert browser.open(f"{base}/static/app/app.css").status == 200
        form = browser.open(f"{base}/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode(
            {"username": "am", "password": "demo-retention-2026", "csrfmiddlewaretoken": token}
        ).encode()
        signed_in = browser.open(urllib.request.Request(f"{base}/login/", data=body))
        assert urllib.parse.urlparse(signed_in.url).path == "/"  # signed in: on My book
        with pytest.raises(urllib.error.HTTPError) as missing:
            browser.open(
                urllib.request.Request(
                    f"{base}/dashboard/no-such-page/", headers={"Accept-Language": "zh-CN"}
                )
            )
        page = missing.value.read().decode()
        assert missing.value.code == 404
        assert "Using the URLconf" not in page and "urlpatterns" not in page
        assert "返回我的客户" in page  # the app's page, in the reader's language
    finally:
        server.terminate()
        server.wait(timeout=30)
