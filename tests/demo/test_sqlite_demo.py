"""The README's first command on the embedded default: `make demo`'s steps on SQLite with
tasks in-process (no DATABASE_URL to PostgreSQL, no REDIS_URL), then every main page and
API list as each demo login. The suite runs on PostgreSQL, so the demo runs in
subprocesses on its own SQLite file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3",
        DEBUG="true",
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
    manage = str(ROOT / "manage.py")
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
