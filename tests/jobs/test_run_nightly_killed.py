"""`manage.py run_nightly` without workers, killed with SIGKILL while the digests go out,
then run again: every person gets their digest and nobody gets it twice (each block of
digests is marked sent as the mail server takes it, committed at once: in this process
too, the night's steps commit as they go)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from alerts.models import DigestSent
from retention.jobs.models import JobStep
from tests.support.faults import ROOT, database_url, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


class Night:
    """A `run_nightly` process with its output in a file, shown when a wait fails."""

    def __init__(self, day: dt.date, mail_dir, log_path, *, pause: str = ""):
        self.log_path = log_path
        with log_path.open("w") as log:
            self.process = run_nightly(day, mail_dir, log, pause=pause)

    def tail(self) -> str:
        steps = "\n".join(
            f"{s.name} {s.subject}: {s.status} {s.error}" for s in JobStep.objects.order_by("id")
        )
        with connection.cursor() as cursor:  # who waits on what, if anything holds it up
            cursor.execute(
                "SELECT pid, application_name, state, wait_event_type, wait_event, "
                "left(query, 120) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            sessions = "\n".join(str(row) for row in cursor.fetchall())
        output = self.log_path.read_text()[-6000:]
        return f"steps:\n{steps}\nsessions:\n{sessions}\nrun_nightly's output:\n{output}"

    def running(self) -> bool:
        return self.process.poll() is None


def run_nightly(day: dt.date, mail_dir, log, *, pause: str = "") -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "CACHE_URL")}
    env.update(
        DATABASE_URL=database_url(),
        SECRET_KEY="test-night-secret",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(mail_dir),
        JOBS_FAULT_PAUSE=pause,
    )
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_nightly", "--as-of", day.isoformat()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def digests_in(mail_dir) -> list[str]:
    """The addressees of every digest the mail server was handed, in order."""
    sent = []
    for path in sorted(mail_dir.iterdir()):
        for line in path.read_text().splitlines():
            if line.startswith("To: "):
                sent.append(line[4:])
    return sent


def test_run_nightly_killed_between_digest_blocks_sends_no_digest_twice(tmp_path):
    call_command("seed_demo", customers=300, interactions=12000)
    day = timezone.localdate() + dt.timedelta(days=1)
    mail_dir = tmp_path / "mail"
    first = Night(day, mail_dir, tmp_path / "first.log", pause="digest_block=300")
    try:
        # The first block of 25 handed over (and committed), the run holding after it.
        wait_for(
            lambda: (
                DigestSent.objects.filter(day=day, handed_over=True).count() >= 25
                or not first.running()
            ),
            240,
            "the first block of digests to be marked sent",
            logs=[first],
        )
        assert first.running(), f"run_nightly stopped before its first block\n{first.tail()}"
    finally:
        if first.running():
            os.killpg(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    assert len(digests_in(mail_dir)) == 25
    again = Night(day, mail_dir, tmp_path / "again.log")
    assert again.process.wait(timeout=300) == 0, again.tail()
    assert JobStep.objects.filter(day=day).exclude(status=JobStep.Status.DONE).count() == 0, (
        again.tail()
    )
    sent = digests_in(mail_dir)
    people = DigestSent.objects.filter(day=day, handed_over=True).count()
    assert people > 25 and len(sent) == people and len(set(sent)) == people
