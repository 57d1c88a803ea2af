"""The renewal calendar's pages read either way (customers/renewals.py): a viewer's few
customers read first and their contracts sorted, or the company's contracts walked by
end date. Both list the same contracts in the same order, page for page, with the same
count."""

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from staff.models import Employee
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def company():
    """North (Mia manages Ann and Bob): 52 customers N00..N51, each with a contract ending
    in (i % 13) + 1 days, so four share each day, and the four of a day sort by name.
    Not listed: a churned North customer's contract, a cancelled one, one that starts
    tomorrow (a renewal already signed), one ending in 181 days. South (Sue): 3 customers
    whose contracts end in 1, 2 and 3 days, which Mia does not see."""
    mia = EmployeeFactory(name="Mia", role=Employee.Role.MANAGER, user=UserFactory(username="mia"))
    north, south = TeamFactory(name="North", manager=mia), TeamFactory(name="South")
    ann, bob = EmployeeFactory(name="Ann", team=north), EmployeeFactory(name="Bob", team=north)
    sue = EmployeeFactory(name="Sue", team=south)
    listed = []
    # Created in reverse name order, so the ids do not give the order away.
    for i in reversed(range(52)):
        customer = CustomerFactory(name=f"N{i:02d}", primary_owner=ann if i % 2 else bob)
        ContractFactory(customer=customer, start_date=days(-300), end_date=days(i % 13 + 1))
        listed.append((i % 13 + 1, f"N{i:02d}"))
    churned = CustomerFactory(
        name="Gone", primary_owner=ann, status="churned", churned_on=TODAY, churn_reason="price"
    )
    ContractFactory(customer=churned, start_date=days(-300), end_date=days(1))
    ContractFactory(
        customer=CustomerFactory(name="Cancelled", primary_owner=ann),
        start_date=days(-300),
        end_date=days(1),
        status="cancelled",
    )
    ContractFactory(
        customer=CustomerFactory(name="Signed", primary_owner=bob),
        start_date=days(1),
        end_date=days(30),
    )
    ContractFactory(
        customer=CustomerFactory(name="Far", primary_owner=bob),
        start_date=days(-100),
        end_date=days(181),
    )
    for i in range(3):
        ContractFactory(
            customer=CustomerFactory(name=f"S{i}", primary_owner=sue),
            start_date=days(-300),
            end_date=days(i + 1),
        )
    return {
        "mia": mia,
        "north": north,
        "north_ends": sorted(listed),
        "north_order": [name for _, name in sorted(listed)],
    }


@pytest.fixture(params=["few", "walked"])
def plan(request, monkeypatch):
    if request.param == "walked":
        monkeypatch.setattr("customers.selectors.FEW_CUSTOMERS", 0)
    return request.param


def calendar(client, **params):
    response = client.get(reverse("renewals"), params)
    assert response.status_code == 200
    return [contract.customer.name for contract in response.context["page"]], unescape(
        response.content.decode()
    )


def test_a_managers_pages_list_their_contracts_soonest_then_by_name(client, company, plan):
    client.force_login(company["mia"].user)
    first, page = calendar(client)
    second, _ = calendar(client, page=2)

    # N00, N13, N26, N39 end tomorrow; N01, N14, ... the day after; and so on.
    assert first[:8] == ["N00", "N13", "N26", "N39", "N01", "N14", "N27", "N40"]
    assert first + second == company["north_order"]
    assert (len(first), len(second)) == (50, 2)
    assert "52 contracts" in page


def test_a_team_and_a_month_narrow_the_same_way(client, company, plan):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    names, page = calendar(client, team=company["north"].pk)
    assert names == company["north_order"][:50] and "52 contracts" in page

    every, page = calendar(client)
    # The admin's calendar: South's three join the first days.
    assert every[:6] == ["N00", "N13", "N26", "N39", "S0", "N01"]
    assert "55 contracts" in page

    client.force_login(company["mia"].user)
    month = days(13).replace(day=1)
    names, _ = calendar(client, month=f"{month:%Y-%m}")
    in_month = [n for d, n in company["north_ends"] if days(d).replace(day=1) == month]
    assert names == in_month[:50]
    later = days(60).replace(day=1)
    names, page = calendar(client, month=f"{later:%Y-%m}")
    assert names == [] and "No contracts end in this window." in page


def test_above_the_limit_the_few_are_counted_as_more_than(client, company, plan, settings):
    settings.LIST_EXACT_COUNT_UP_TO = 40
    client.force_login(company["mia"].user)
    names, page = calendar(client)

    assert "More than 40 contracts end in this window" in page
    assert not re.search(r"\b52 contracts\b", page)
    # The pages stop at the limit, as the walked list's do.
    assert names == company["north_order"][:40]
