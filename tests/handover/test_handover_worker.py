"""The handover tasks through a real Celery worker on Redis and PostgreSQL."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import OwnershipPeriod
from handover.models import HandoverPlan, HandoverStep
from handover.tasks import process_handovers, raise_handover_tasks
from staff.models import Employee
from tests.factories import CustomerFactory
from tests.handover.world import LAST_DAY, build_team

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_worker_raises_the_tasks_and_runs_the_last_day(celery_worker_queue):
    team = build_team()
    plan = HandoverPlan.objects.create(
        employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True
    )

    raised = raise_handover_tasks.apply_async(
        kwargs={"plan_id": plan.pk}, queue=celery_worker_queue
    )
    assert raised.get(timeout=60) == {"plan": plan.pk, "tasks_raised": 3}
    assert HandoverStep.objects.filter(task__plan=plan).count() == 3 * 6

    nightly = process_handovers.apply_async(
        kwargs={"as_of": (LAST_DAY + dt.timedelta(days=1)).isoformat()},
        queue=celery_worker_queue,
    )
    summary = nightly.get(timeout=60)
    assert (summary["handed_over"], summary["locked_out"]) == (3, 1)
    team.leo.refresh_from_db()
    assert team.leo.status == "departed"


def test_worker_hands_over_a_customer_given_after_the_last_day(celery_worker_queue):
    """The demo's fault: the period of a customer given to the leaver today, after the
    last day, ends the day it started instead of breaking the whole plan."""
    team = build_team()
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    plan = HandoverPlan.objects.create(
        employee=team.leo, last_day=yesterday, reason="New job", voluntary=True
    )
    Employee.objects.filter(pk=team.leo.pk).update(
        status="departing", departure_date=yesterday, departure_announced_on=yesterday
    )
    OwnershipPeriod.objects.filter(customer=team.c1).update(started_on=dt.date(2024, 1, 1))
    c4 = CustomerFactory(name="C4", primary_owner=team.leo)

    nightly = process_handovers.apply_async(
        kwargs={"as_of": today.isoformat()}, queue=celery_worker_queue
    )
    summary = nightly.get(timeout=60)

    assert (summary["handed_over"], summary["to_manager"], summary["locked_out"]) == (4, 4, 1)
    periods = OwnershipPeriod.objects.filter(customer=c4).order_by("id")
    assert [(p.employee.name, p.started_on, p.ended_on) for p in periods] == [
        ("Leo", today, today),
        ("Mona", today, None),
    ]
    assert OwnershipPeriod.objects.get(customer=team.c1, employee=team.leo).ended_on == yesterday
    plan.refresh_from_db()
    assert plan.last_day_processed_at is not None
