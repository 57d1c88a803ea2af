"""`manage.py run_nightly` runs the nightly jobs now, for a chosen day."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from customers.models import ScoringRun
from retention.jobs.models import JobStep
from tests.factories import ContractFactory

pytestmark = pytest.mark.django_db


def test_it_runs_the_contract_roll_for_the_given_day():
    lapsed = ContractFactory(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    out = StringIO()

    call_command("run_nightly", as_of=dt.date(2025, 12, 31), stdout=out)
    lapsed.refresh_from_db()
    assert lapsed.status == "active"  # ends that day: not yet lapsed

    call_command("run_nightly", as_of=dt.date(2026, 1, 1), stdout=out)
    lapsed.refresh_from_db()
    assert lapsed.status == "expired"
    assert "customers.tasks.roll_contracts: done {'expired': 1, 'renewed': 0}" in out.getvalue()


def test_a_second_run_for_the_same_night_runs_nothing_again():
    ContractFactory(start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31))
    call_command("run_nightly", as_of=dt.date(2026, 1, 1), stdout=StringIO())
    before = dict(JobStep.objects.values_list("name", "attempts"))

    call_command("run_nightly", as_of=dt.date(2026, 1, 1), stdout=StringIO())

    # Every step of the night ran once (one attempt each), whatever asked twice.
    assert dict(JobStep.objects.values_list("name", "attempts")) == before
    assert set(before.values()) == {1}
    assert set(JobStep.objects.values_list("status", flat=True)) == {"done"}
    assert ScoringRun.objects.get(day=dt.date(2026, 1, 1)).status == "complete"
