"""The HR page (/hr/): HR and admins only; departures in three groups with their handover
progress, staff turnover by month and by team, and churn after departures."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import OwnerRole, OwnershipPeriod
from handover.models import HandoverPlan, HandoverStep, HandoverTask
from staff.models import Employee
from staff.turnover import month_start, previous_month
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
Kind = HandoverStep.Kind


def login(client, role: str, name: str, **fields) -> Employee:
    employee = EmployeeFactory(
        name=name, role=role, user=UserFactory(username=name.lower()), **fields
    )
    client.force_login(employee.user)
    return employee


def plan_for(employee, *, last_day, status=HandoverPlan.Status.OPEN, voluntary=True, **fields):
    return HandoverPlan.objects.create(
        employee=employee,
        last_day=last_day,
        reason="New job",
        voluntary=voluntary,
        status=status,
        **fields,
    )


def task_with_steps(plan, *, done: int, open_: int, cancelled: int = 0) -> HandoverTask:
    task = HandoverTask.objects.create(
        plan=plan,
        customer=CustomerFactory(primary_owner=plan.employee),
        role="primary",
        risk=0.1,
        dependence=1,
        priority=1,
    )
    # (done, cancelled) per step
    kinds = [(True, False)] * done + [(False, False)] * open_ + [(False, True)] * cancelled
    HandoverStep.objects.bulk_create(
        HandoverStep(
            task=task,
            kind=Kind.FOLLOW_UP,
            days_after_last_day=day,
            due_on=plan.last_day,
            done_at=timezone.now() if is_done else None,
            cancelled=is_cancelled,
        )
        for day, (is_done, is_cancelled) in enumerate(kinds)
    )
    return task


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("hr"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [Employee.Role.ACCOUNT_MANAGER, Employee.Role.MANAGER])
def test_account_managers_and_managers_are_refused(client, role):
    login(client, role, "Amy")
    assert client.get(reverse("hr")).status_code == 403


def test_admins_may_open_it(client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(reverse("hr")).status_code == 200


def test_departures_are_grouped_upcoming_in_progress_and_done(client):
    login(client, Employee.Role.HR, "Hana")
    team = TeamFactory(name="North")
    leaver = EmployeeFactory(name="Uma", team=team, is_key_employee=True)
    plan_for(leaver, last_day=TODAY + dt.timedelta(days=10))
    plan_for(EmployeeFactory(name="Ian"), last_day=TODAY - dt.timedelta(days=3))
    # Past the last-day job with an open step: still in progress.
    in_progress = plan_for(
        EmployeeFactory(name="Ivy"),
        last_day=TODAY - dt.timedelta(days=5),
        last_day_processed_at=timezone.now(),
    )
    task_with_steps(in_progress, done=1, open_=1)
    # Past the last-day job with every step done: done (the nightly job closes it).
    finished = plan_for(
        EmployeeFactory(name="Dee"),
        last_day=TODAY - dt.timedelta(days=20),
        last_day_processed_at=timezone.now(),
    )
    task_with_steps(finished, done=2, open_=0, cancelled=1)
    plan_for(
        EmployeeFactory(name="Don"),
        last_day=TODAY - dt.timedelta(days=60),
        status=HandoverPlan.Status.COMPLETE,
    )
    plan_for(
        EmployeeFactory(name="Cal"),
        last_day=TODAY + dt.timedelta(days=5),
        status=HandoverPlan.Status.CANCELLED,
    )

    response = client.get(reverse("hr"))

    assert response.status_code == 200
    groups = {
        title: [p.employee.name for p in plans] for _, title, _, plans in response.context["groups"]
    }
    assert groups == {
        "Upcoming": ["Uma"],
        "In progress": ["Ivy", "Ian"],  # earliest last day first
        "Done": ["Cal", "Dee", "Don"],  # latest last day first
    }
    page = response.content.decode()
    assert (
        f'href="{reverse("handover:plan", args=[leaver.handover_plans.get().pk])}">Uma</a>' in page
    )
    assert "All steps done" in page and "Cancelled (the employee stays)" in page


def test_a_row_shows_team_last_day_kind_key_and_progress_of_steps(client):
    """Two customers: one with 2 steps (1 done) and a cancelled one, one with 1 open step:
    1 of 3 steps done, 2 customers."""
    login(client, Employee.Role.HR, "Hana")
    leaver = EmployeeFactory(name="Uma", team=TeamFactory(name="North"), is_key_employee=True)
    plan = plan_for(leaver, last_day=dt.date(2099, 1, 31), voluntary=False)
    task_with_steps(plan, done=1, open_=1, cancelled=1)
    task_with_steps(plan, done=0, open_=1)

    response = client.get(reverse("hr"))

    (row,) = response.context["groups"][0][3]
    assert (row.steps_done, row.steps_total, row.customers) == (1, 3, 2)
    page = response.content.decode()
    assert (
        'aria-valuenow="1" aria-valuemin="0" aria-valuemax="3" '
        'aria-valuetext="1 of 3 steps done"' in page
    )
    assert 'style="width: 33%"' in page and ">1/3</span>" in page
    row_html = page[page.index(">Uma</a>") : page.index("</tr>", page.index(">Uma</a>"))]
    for cell in (
        "<td>North</td>",
        "<td>31 Jan 2099</td>",
        "<td>Involuntary</td>",
        "<td>Yes</td>",
    ):
        assert cell in row_html


def test_done_departures_are_paginated_twenty_to_a_page(client):
    login(client, Employee.Role.HR, "Hana")
    leaver = EmployeeFactory(name="Rex")
    for days in range(21):  # closed plans: one employee may have many
        plan_for(
            leaver,
            last_day=TODAY - dt.timedelta(days=30 + days),
            status=HandoverPlan.Status.COMPLETE,
        )

    first = client.get(reverse("hr")).context["groups"][2][3]
    second = client.get(reverse("hr"), {"page": 2}).context["groups"][2][3]

    assert (len(first), len(second), first.paginator.count) == (20, 1, 21)
    assert second[0].last_day == TODAY - dt.timedelta(days=50)  # the oldest


def test_it_shows_last_months_turnover(client):
    """Ten on the staff since 2020 (HR's Hana among them), five per team; last month one
    North key employee resigned and one South employee was let go: 2 / 10 = 20.0%, and
    each team 1 / 5 = 20.0% over the twelve months."""
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    login(client, Employee.Role.HR, "Hana", team=north)
    for team, count in ((north, 3), (south, 4)):
        for _ in range(count):
            EmployeeFactory(team=team)
    left_on = previous_month(month_start(TODAY)) + dt.timedelta(days=4)
    for team, voluntary, key in ((north, True, True), (south, False, False)):
        EmployeeFactory(
            team=team,
            status=Employee.Status.DEPARTED,
            departure_date=left_on,
            departure_voluntary=voluntary,
            is_key_employee=key,
        )

    response = client.get(reverse("hr"))

    last_month = response.context["months"][-2]
    assert (last_month.headcount_at_start, last_month.leavers) == (10, 2)
    assert (last_month.voluntary, last_month.involuntary, last_month.key_leavers) == (1, 1, 1)
    teams = {t.label: (t.headcount_at_start, t.leavers, t.rate) for t in response.context["teams"]}
    assert teams == {"North": (5, 1, 0.2), "South": (5, 1, 0.2)}
    total = response.context["teams_total"]
    assert (total.headcount_at_start, total.leavers, total.key_leavers) == (10, 2, 1)
    page = response.content.decode()
    assert page.count("20.0%") == 4  # last month, North, South, all teams
    data = json.loads(
        page.split('<script id="turnover-data" type="application/json">')[1].split("</script>")[0]
    )
    assert (data["voluntary"][-2], data["involuntary"][-2], data["rate"][-2]) == (1, 1, 20.0)
    assert len(data["labels"]) == 12
    assert "vendor/chart.js/chart.umd.min.js" in page and "app/hr.js" in page


def test_it_summarises_churn_after_departures_and_links_to_the_details(client):
    """Eve left 200 days ago and handed over K1 (churned 30 days later) and K2; O1 and O2
    are the rest of the company. 90 days: 1 of 2 handed-over customers churned (50.0%)
    against 1 of the 4 customers active on her last day (25.0%)."""
    login(client, Employee.Role.HR, "Hana")
    last_day = TODAY - dt.timedelta(days=200)
    eve = EmployeeFactory(
        name="Eve",
        status=Employee.Status.DEPARTED,
        departure_date=last_day,
        departure_announced_on=last_day - dt.timedelta(days=30),
        departure_voluntary=True,
    )
    successor = EmployeeFactory(name="Sid")
    k1 = CustomerFactory(
        name="K1",
        primary_owner=successor,
        status="churned",
        churned_on=last_day + dt.timedelta(days=30),
        churn_reason="price",
    )
    k2 = CustomerFactory(name="K2", primary_owner=successor)
    for customer in (k1, k2):
        OwnershipPeriod.objects.create(
            customer=customer,
            employee=eve,
            role=OwnerRole.PRIMARY,
            started_on=dt.date(2021, 1, 1),
            ended_on=last_day,
        )
    CustomerFactory(name="O1", primary_owner=successor)
    CustomerFactory(name="O2", primary_owner=successor)

    response = client.get(reverse("hr"))

    summaries = response.context["summaries"]
    assert list(summaries) == [90, 180]
    assert summaries[90][0] == {
        "group": "All departures",
        "departures": 1,
        "customers": 2,
        "churned": 1,
        "rate": 0.5,
        "baseline": 0.25,
    }
    page = response.content.decode()
    assert "90 days after the last day" in page and "180 days after the last day" in page
    assert page.count("50.0%") >= 2 and "25.0%" in page
    assert f'href="{reverse("handover:outcomes")}"' in page


def test_the_query_count_does_not_grow_with_the_number_of_plans(client):
    login(client, Employee.Role.HR, "Hana")

    def add_plans(count: int) -> None:
        for _ in range(count):
            for status, last_day in (
                (HandoverPlan.Status.OPEN, TODAY + dt.timedelta(days=10)),
                (HandoverPlan.Status.OPEN, TODAY - dt.timedelta(days=10)),
                (HandoverPlan.Status.COMPLETE, TODAY - dt.timedelta(days=40)),
            ):
                plan = plan_for(EmployeeFactory(), last_day=last_day, status=status)
                task_with_steps(plan, done=1, open_=1)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("hr")).status_code == 200
        return len(captured)

    add_plans(1)
    with_three = queries()
    add_plans(5)
    assert queries() == with_three


def test_hr_start_on_the_hr_page_and_are_offered_no_book_or_alerts(client):
    login(client, Employee.Role.HR, "Hana")
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("hr")
    page = client.get(reverse("hr")).content.decode()
    assert f'href="{reverse("alerts:inbox")}"' not in page
    assert ">My book</a>" not in page
    assert f'href="{reverse("customers")}"' in page  # the customers in handovers
    # An account manager has both.
    login(client, Employee.Role.ACCOUNT_MANAGER, "Abe")
    page = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("alerts:inbox")}"' in page and ">My book</a>" in page
