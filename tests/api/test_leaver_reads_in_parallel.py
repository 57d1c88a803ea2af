"""A leaver's daily allowance holds against requests sent in parallel: each read is
checked and counted one at a time (staff.reads.read_within_allowance), so requests sent
at once cannot all pass the check before any of them is counted. Real requests to a
live server, each on its own database connection."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db.models import Sum

from staff import reads
from staff.models import ApiToken, AuditEvent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_parallel_reads_of_a_leaver_stop_at_the_allowance(live_server, settings, monkeypatch, lea):
    settings.BULK_READ_DAILY_ALLOWANCE = 12
    _, key = ApiToken.issue(name="Lea's script", user=lea.user)

    # Every check takes a while, as on a busy server: without one-at-a-time, every
    # request below would pass its check before the first one is counted.
    checked = reads.approval_needed

    def slow_check(*args, **kwargs):
        answer = checked(*args, **kwargs)
        time.sleep(0.3)
        return answer

    monkeypatch.setattr(reads, "approval_needed", slow_check)

    def read(_):
        return requests.get(
            f"{live_server.url}/api/v1/contacts/?page_size=5",
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(read, range(6)))
    # 12 rows a day, 5 a request: two requests are answered (10 rows), the other four
    # wait for the manager's approval; 10 rows are counted, no more.
    assert sorted(answers) == [200, 200, 403, 403, 403, 403]
    counted = AuditEvent.objects.filter(employee=lea, action="view").aggregate(rows=Sum("rows"))
    assert counted["rows"] == 10
