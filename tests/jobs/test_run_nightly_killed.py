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
from django.utils import timezone

from alerts.models import DigestSent
from retention.jobs.models import JobStep
from tests.support.faults import ROOT, database_url, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_nightly(day: dt.date, mail_dir, *, pause: str = "") -> subprocess.Popen:
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
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
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
    first = run_nightly(day, mail_dir, pause="digest_block=300")
    try:
        # The first block of 25 handed over (and committed), the run holding after it.
        wait_for(
            lambda: DigestSent.objects.filter(day=day, handed_over=True).count() >= 25,
            240,
            "the first block of digests to be marked sent",
        )
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    assert len(digests_in(mail_dir)) == 25
    again = run_nightly(day, mail_dir)
    assert again.wait(timeout=300) == 0
    assert JobStep.objects.filter(day=day).exclude(status=JobStep.Status.DONE).count() == 0
    sent = digests_in(mail_dir)
    people = DigestSent.objects.filter(day=day, handed_over=True).count()
    assert people > 25 and len(sent) == people and len(set(sent)) == people
