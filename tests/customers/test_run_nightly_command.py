"""`manage.py run_nightly` runs the nightly jobs now, for a chosen day."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

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
    assert "customers.tasks.roll_contracts: {'expired': 1, 'renewed': 0}" in out.getvalue()
