"""`make demo` gives every demo login something to work on, and says the logins last."""

import io

import pytest
from django.core.management import call_command

from alerts.actions import save_rates
from alerts.models import RetentionAction
from handover.models import HandoverPlan
from staff.access import managed_team_ids
from staff.models import Employee

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded():
    out = io.StringIO()
    call_command("seed_demo", customers=300, interactions=20_000, no_logins=True, stdout=out)
    return out.getvalue()


def test_the_demo_manager_has_a_handover_to_work_on(seeded):
    manager = Employee.objects.get(user__username="manager")
    teams = managed_team_ids(manager)
    plans = HandoverPlan.objects.filter(status="open", employee__team__in=teams)
    assert plans.exists()
    assert plans.first().tasks.exists()  # customers to hand over, with successors to pick


def test_the_demo_has_retention_actions_with_outcomes(seeded):
    actions = RetentionAction.objects.all()
    assert actions.count() > 0
    assert actions.exclude(outcome="pending").exists()  # settled: the save rate has figures
    assert set(actions.values_list("signal", flat=True)) <= {
        "complaint",
        "discount_request",
        "support_escalation",
    }
    day = max(actions.values_list("taken_on", flat=True))
    rows = save_rates(start=day.replace(year=day.year - 1), end=day, by="signal")
    assert sum(row["saved"] + row["lost"] for row in rows) > 0


def test_seeding_is_quiet_about_logins_and_demo_logins_prints_them(seeded):
    assert "Demo logins" not in seeded
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Demo logins (password demo-retention-2026):"
    assert [line.split()[0] for line in lines[1:]] == ["am", "manager", "hr", "admin"]
