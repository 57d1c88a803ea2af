"""The nightly job through a real Celery worker on the real Redis broker and PostgreSQL."""

import datetime as dt

import pytest

from customers.models import Contract
from customers.tasks import roll_contracts
from tests.factories import ContractFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_worker_rolls_contracts_and_the_database_shows_it(celery_worker_queue):
    ended = ContractFactory(
        external_id="W-1", start_date=dt.date(2025, 1, 1), end_date=dt.date(2025, 12, 31)
    )
    renews = ContractFactory(
        external_id="W-2",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        auto_renew=True,
    )

    result = roll_contracts.apply_async(kwargs={"as_of": "2026-01-10"}, queue=celery_worker_queue)

    assert result.get(timeout=60) == {"expired": 1, "renewed": 1}
    ended.refresh_from_db()
    renews.refresh_from_db()
    assert (ended.status, renews.status) == ("expired", "renewed")
    assert Contract.objects.get(external_id="W-2-R").start_date == dt.date(2026, 1, 1)
