"""The renewal calendar: contracts ending in the next 180 days with risk and the last
renewal talk, filtered by team and month, and each account manager sees their own."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from customers.selectors import renewal_calendar
from staff.models import Employee
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def book():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    sid = EmployeeFactory(name="Sid", team=south)
    soon = CustomerFactory(name="Soon", primary_owner=ann)
    later = CustomerFactory(name="Later", primary_owner=sid)
    far = CustomerFactory(name="Far", primary_owner=ann)
    ContractFactory(
        customer=soon, start_date=days(-300), end_date=days(20), annual_value=Decimal(5000)
    )
    ContractFactory(customer=later, start_date=days(-200), end_date=days(170))
    ContractFactory(customer=far, start_date=days(-100), end_date=days(200))  # beyond 180 days
    ContractFactory(customer=far, start_date=days(-400), end_date=days(-30))  # already ended
    InteractionFactory(
        customer=soon, kind="renewal_talk", happened_at=timezone.now() - dt.timedelta(days=3)
    )
    return {"ann": ann, "sid": sid, "north": north}


def test_lists_contracts_ending_in_the_next_180_days_soonest_first(book):
    rows = list(renewal_calendar(as_of=TODAY))
    assert [c.customer.name for c in rows] == ["Soon", "Later"]
    assert rows[0].last_renewal_talk is not None and rows[1].last_renewal_talk is None


def test_filters_by_team_and_month(book):
    assert [c.customer.name for c in renewal_calendar(as_of=TODAY, team_id=book["north"].pk)] == [
        "Soon"
    ]
    month = days(170).replace(day=1)
    assert [c.customer.name for c in renewal_calendar(as_of=TODAY, month=month)] == ["Later"]


def test_an_account_manager_sees_only_their_own_renewals(client, book):
    client.force_login(book["ann"].user)
    page = client.get(reverse("renewals")).content.decode()
    assert "Soon" in page and "Later" not in page
    # The North team's manager sees North's renewals, not South's; an admin sees all.
    boss = EmployeeFactory(role=Employee.Role.MANAGER, user=UserFactory(username="boss"))
    book["north"].manager = boss
    book["north"].save()
    client.force_login(boss.user)
    page = client.get(reverse("renewals")).content.decode()
    assert "Soon" in page and "Later" not in page
    client.force_login(UserFactory(username="root", is_superuser=True))
    page = client.get(reverse("renewals")).content.decode()
    assert "Soon" in page and "Later" in page and "none logged" in page


def test_a_bad_month_is_refused_with_a_message(client, book):
    client.force_login(book["ann"].user)
    page = client.get(reverse("renewals"), {"month": "soon"}).content.decode()
    assert "Give the month as YYYY-MM" in page


def test_shows_the_state_of_the_contract_ending_alert(book):
    from alerts.models import Alert

    soon = Customer.objects.get(name="Soon")
    Alert.objects.create(
        customer=soon,
        signal="contract_ending_90",
        status="snoozed",
        snoozed_until=days(7),
        text="Contract ends in 20 days, no renewal talk logged",
        opened_on=TODAY,
        figures_on=TODAY,
    )
    Alert.objects.create(  # closed alerts and other signs are not renewal state
        customer=soon, signal="complaint", text="x", opened_on=TODAY, figures_on=TODAY
    )
    rows = {c.customer.name: c for c in renewal_calendar(as_of=TODAY)}
    assert (rows["Soon"].renewal_alert_status, rows["Soon"].renewal_alert_until) == (
        "snoozed",
        days(7),
    )
    assert rows["Later"].renewal_alert_status is None


def test_the_page_counts_up_to_the_limit_and_then_says_more_than(client, book, settings):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    page = client.get(reverse("renewals")).content.decode()
    assert "2 contracts" in page  # Soon and Later; Far ends after 180 days
    settings.LIST_EXACT_COUNT_UP_TO = 1
    page = client.get(reverse("renewals")).content.decode()
    assert "More than 1 contracts end in this window" in page
    assert "2 contracts" not in page
