"""The handover tasks through a real Celery worker on Redis and PostgreSQL."""

import pytest

from handover.models import HandoverPlan, HandoverStep
from handover.tasks import process_handovers, raise_handover_tasks
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
        kwargs={"as_of": LAST_DAY.isoformat()}, queue=celery_worker_queue
    )
    summary = nightly.get(timeout=60)
    assert (summary["handed_over"], summary["locked_out"]) == (3, 1)
    team.leo.refresh_from_db()
    assert team.leo.status == "departed"
