"""Real processes for the fault tests: Celery workers (prefork: a main process and a pool
process) with embedded beat, a redis-server of the test's own, and ways to kill them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
FAULTY_APP = "faulty-worker"


def database_url() -> str:
    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/"
        f"{db['NAME']}?application_name={FAULTY_APP}"
    )


def new_queue() -> str:
    return f"fault-{uuid.uuid4().hex[:8]}"


class Worker:
    """`celery worker -B`: prefork with one pool process, its own queue, beat inside."""

    def __init__(
        self,
        queue: str,
        *,
        broker: str | None = None,
        pause: str = "",
        beat=True,
        environment: dict[str, str] | None = None,
    ):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=database_url(),
            REDIS_URL=broker or settings.CELERY_BROKER_URL,
            SECRET_KEY=env.get("SECRET_KEY", "test-worker-secret"),
            SCORING_CHUNK_SIZE="1",
            JOBS_HEARTBEAT_SECONDS="1",
            JOBS_STALE_SECONDS="4",
            JOBS_RESEND_SECONDS="4",
            JOBS_FAULT_PAUSE=pause,
        )
        env.update(environment or {})
        self.log_path = ROOT / "test-artifacts" / f"celery-{queue}-{uuid.uuid4().hex[:4]}.log"
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = self.log_path.open("w")
        command = [
            sys.executable, "-m", "celery", "-A", "retention", "worker", "-Q", queue,
            "--pool", "prefork", "-c", "1", "--loglevel", "INFO",
            "-n", f"{queue}-{uuid.uuid4().hex[:4]}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(Path(tempfile.mkdtemp()) / "beat-schedule")]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches main and pool
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL to the whole worker: main process, pool process and beat."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """At the end of a test: no warm shutdown to wait for (its queue is thrown away)."""
        self.kill()
        self.log.close()

    def tail(self) -> str:
        return self.log_path.read_text()[-4000:]


class Beat:
    """A standalone `celery beat` (a second one started by mistake, or on another host)."""

    def __init__(self):
        env = dict(os.environ, DATABASE_URL=database_url(), REDIS_URL=settings.CELERY_BROKER_URL)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "retention", "beat", "--loglevel", "INFO",
             "-s", str(Path(tempfile.mkdtemp()) / "beat-schedule")],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)


class RedisServer:
    """A redis-server of the test's own, append-only file on, restartable on its port."""

    def __init__(self, port: int):
        self.port, self.dir = port, tempfile.mkdtemp()
        self.process: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: _answers(self.port), 10, "redis-server to start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def free_port() -> int:
    """A free port for a test redis-server, in FAULT_REDIS_PORTS ("6330-6339" unless
    set: machines shared by several test runs give each its own range)."""
    first, _, last = os.environ.get("FAULT_REDIS_PORTS", "6330-6339").partition("-")
    for port in range(int(first), int(last or first) + 1):
        if not _answers(port):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port
    pytest.skip("no free port for a test redis-server")


def wait_for(condition: Callable[[], object], timeout: float, what: str, *, logs=()) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    tails = "\n".join(w.tail() for w in logs)
    pytest.fail(f"Timed out after {timeout} s waiting for {what}\n{tails}")


def beat_entries(queue: str, *, night_as_of: str | None, night_every: int = 2) -> None:
    """The beat schedule as an admin would set it for the test: the watchdog every 2 s
    and (optionally) the nightly run every `night_every` s, on the test's queue; the
    other entries off. Beat keeps these instead of resetting them from settings."""
    import json

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    def every(seconds: int) -> IntervalSchedule:
        return IntervalSchedule.objects.get_or_create(every=seconds, period="seconds")[0]

    PeriodicTask.objects.create(
        name="jobs-watchdog", task="retention.jobs.tasks.watchdog", interval=every(2), queue=queue
    )
    PeriodicTask.objects.create(
        name="nightly-jobs",
        task="retention.nightly.run_nightly_jobs",
        interval=every(night_every),
        queue=queue,
        kwargs=json.dumps({"as_of": night_as_of}),
        enabled=night_as_of is not None,
    )
    for name, task in [
        ("send-due-webhooks", "alerts.tasks.send_due_webhooks"),
        ("weekly-model-training", "customers.tasks.train_risk_model"),
        ("celery.backend_cleanup", "celery.backend_cleanup"),
    ]:
        PeriodicTask.objects.create(name=name, task=task, interval=every(3600), enabled=False)
