"""Monthly churn per owner: the ranking, and owners at the bottom three months running."""

import datetime as dt

import pytest
from django.urls import reverse

from alerts.reports import owner_churn, owner_churn_report
from customers.models import Customer, OwnerRole, OwnershipPeriod
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def book(owner, count):
    customers = []
    for _ in range(count):
        customer = CustomerFactory(primary_owner=owner, customer_since=dt.date(2025, 1, 1))
        OwnershipPeriod.objects.filter(customer=customer).delete()
        OwnershipPeriod.objects.create(
            customer=customer,
            employee=owner,
            role=OwnerRole.PRIMARY,
            started_on=dt.date(2025, 1, 1),
        )
        customers.append(customer)
    return customers


@pytest.fixture
def owners():
    xena, yuri = EmployeeFactory(name="Xena"), EmployeeFactory(name="Yuri")
    lost = book(xena, 5)[:3]
    book(yuri, 5)
    # Xena loses one customer in each of January, February and March 2026.
    for customer, day in zip(
        lost, (dt.date(2026, 1, 15), dt.date(2026, 2, 10), dt.date(2026, 3, 31)), strict=True
    ):
        Customer.objects.filter(pk=customer.pk).update(
            status="churned", churned_on=day, churn_reason="price"
        )
    return xena, yuri


def test_the_month_ranks_owners_by_churn_rate(owners):
    march = {r.name: r for r in owner_churn(dt.date(2026, 3, 1))}
    # On 1 March Xena had 3 customers left (lost 1 each in January and February).
    assert (march["Xena"].customers, march["Xena"].churned, march["Xena"].rate) == (3, 1, 1 / 3)
    assert (march["Yuri"].rank, march["Yuri"].rate) == (1, 0)
    assert march["Xena"].rank is None  # fewer than 5 customers: listed, not ranked
    january = {r.name: r for r in owner_churn(dt.date(2026, 1, 1))}
    assert (january["Xena"].rank, january["Xena"].rate, january["Xena"].bottom) == (2, 0.2, True)


def test_owners_at_the_bottom_three_months_running_are_flagged(owners):
    from alerts import reports

    reports.MIN_CUSTOMERS = 1
    try:
        rows = {r.name: r for r in owner_churn_report(dt.date(2026, 3, 1))}
        assert rows["Xena"].bottom_three_months and not rows["Yuri"].bottom_three_months
        # April: nobody churned, so nobody is worse than the company.
        rows = {r.name: r for r in owner_churn_report(dt.date(2026, 4, 1))}
        assert not rows["Xena"].bottom and not rows["Xena"].bottom_three_months
    finally:
        reports.MIN_CUSTOMERS = 5


def test_the_page_is_for_managers(client, owners):
    amy = EmployeeFactory(user=UserFactory(username="amy"))
    client.force_login(amy.user)
    assert client.get(reverse("alerts:monthly")).status_code == 403
    boss = EmployeeFactory(role="manager", user=UserFactory(username="boss"))
    client.force_login(boss.user)
    page = client.get(reverse("alerts:monthly"), {"month": "2026-01"}).content.decode()
    assert "Churn by owner, January 2026" in page and "Xena" not in page  # not boss's team
    xena = owners[0]
    xena.team.manager = boss
    xena.team.save()
    page = client.get(reverse("alerts:monthly"), {"month": "2026-01"}).content.decode()
    assert "Xena" in page and "Yuri" not in page


def test_the_churn_warning_list_pages_owners_and_keeps_each_ones_riskiest():
    from alerts.reports import churn_warning_list, churn_warning_owners
    from customers.models import RiskModel, RiskScore, ScoringRun

    day = dt.date(2026, 6, 30)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=day, horizon_days=90, window_start=day, window_end=day
    )
    ScoringRun.objects.create(day=day, model=model, status="complete")
    ann, bob = EmployeeFactory(name="Ann"), EmployeeFactory(name="Bob")

    def scored(owner, tier, at_risk, name):
        customer = CustomerFactory(name=name, primary_owner=owner)
        RiskScore.objects.create(
            customer=customer,
            day=day,
            model=model,
            probability=0.5,
            tier=tier,
            annual_value=2 * at_risk,
            revenue_at_risk=at_risk,
        )

    scored(ann, 2, 100, "A100")
    scored(ann, 1, 300, "A300")
    scored(ann, 2, 200, "A200")
    scored(ann, 4, 900, "A-low")  # low risk: not a warning
    scored(bob, 1, 50, "B50")
    scored(None, 2, 70, "Nobody's")
    owners = list(churn_warning_owners())
    assert [(o["owner"], o["customers"], o["revenue_at_risk"]) for o in owners] == [
        ("Ann", 3, 600),
        ("Bob", 1, 50),
        (None, 1, 70),
    ]
    lists = churn_warning_list([ann.pk, None], limit_per_owner=2)
    assert {owner: [s.customer.name for s in scores] for owner, scores in lists.items()} == {
        ann.pk: ["A300", "A200"],
        None: ["Nobody's"],
    }


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1899-12"])
def test_a_month_outside_the_calendar_shows_last_months_report(client, owners, month):
    boss = EmployeeFactory(role="manager", user=UserFactory(username="boss"))
    client.force_login(boss.user)
    response = client.get(reverse("alerts:monthly"), {"month": month}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    last_month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    page = response.content.decode()
    assert f"Churn by owner, {last_month:%B %Y}" in page
    assert "There is no report for that month; this is last month&#x27;s." in page


def test_the_churn_warning_list_is_risk_hr_does_not_read_it(client):
    """HR reads the churn ranking, never scores or their reasons (staff.access); a manager
    reads the warnings of their teams' customers only."""
    from customers.models import RiskModel, RiskScore, ScoringRun
    from staff.models import Team

    day = dt.date(2026, 6, 30)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=day, horizon_days=90, window_start=day, window_end=day
    )
    ScoringRun.objects.create(day=day, model=model, status="complete")
    boss = EmployeeFactory(name="Boss", role="manager", user=UserFactory(username="boss"))
    ann = EmployeeFactory(name="Ann", team=Team.objects.create(name="North", manager=boss))
    sue = EmployeeFactory(name="Sue")
    for owner, name in ((ann, "Ann's Falcon"), (sue, "Sue's Heron")):
        RiskScore.objects.create(
            customer=CustomerFactory(name=name, primary_owner=owner),
            day=day,
            model=model,
            probability=0.9,
            tier=1,
            annual_value=1000,
            revenue_at_risk=900,
            reasons=[{"signal": "complaints", "text": "Complaints: 3 in the last 90 days"}],
        )
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    client.force_login(hal.user)
    page = client.get(reverse("alerts:monthly"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Churn by owner" in page
    assert "Churn-warning list" not in page
    assert "Falcon" not in page and "Heron" not in page and "Complaints" not in page
    client.force_login(boss.user)
    page = client.get(reverse("alerts:monthly"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Churn-warning list" in page
    assert "Ann&#x27;s Falcon" in page and "Heron" not in page
