"""An owner the customers list cannot filter by (another team's person, a name that is
nobody, an id out of range) shows no customers and says why, on the page and in the
export from it: never the whole list unfiltered."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.customers.test_customer_list import world  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db
REFUSED = "Owner: No such owner among the people you may filter by."


@pytest.mark.parametrize("owner", ["sue", "Nobody At All", "999999"])
def test_an_owner_out_of_reach_lists_nobody_and_says_so(client, world, owner):  # noqa: F811
    from staff.models import Employee

    value = str(Employee.objects.get(name="Sue").pk) if owner == "sue" else owner
    client.force_login(world["mia"].user)
    response = client.get(reverse("customers"), {"owner": value})
    assert response.status_code == 200
    assert list(response.context["customers"]) == []
    assert [str(m) for m in get_messages(response.wsgi_request)] == [REFUSED]
    export = client.post(
        reverse("export", args=["customers"]), {"owner": value, "reason": "Review"}
    )
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1  # the header only: Acme, Apex, Birch are not exported


def test_an_owner_in_reach_still_filters(client, world):  # noqa: F811
    client.force_login(world["mia"].user)
    response = client.get(reverse("customers"), {"owner": world["ann"].pk, "sort": "name"})
    assert [c.name for c in response.context["customers"]] == ["Acme", "Apex"]
    assert list(get_messages(response.wsgi_request)) == []


def test_owner_suggestions_leave_out_who_owns_nobody_any_more_and_label_leavers(
    client,
    world,  # noqa: F811
):
    import datetime as dt

    from django.utils import timezone

    from tests.factories import CustomerFactory, EmployeeFactory

    today = timezone.localdate()
    north = world["north"]
    EmployeeFactory(name="Abe", team=north, status="departed", departure_date=today)
    EmployeeFactory(
        name="Ada", team=north, status="departing", departure_date=today - dt.timedelta(days=1)
    )
    # Gone too, but a customer is still his (his handover is not done): still a filter.
    gus = EmployeeFactory(
        name="Gus", team=north, status="departed", departure_date=today - dt.timedelta(days=2)
    )
    CustomerFactory(name="Left over", primary_owner=gus)
    EmployeeFactory(name="Ava", team=north, status="departing", departure_date=dt.date(2099, 3, 5))
    client.force_login(world["mia"].user)
    rows = client.get(reverse("customer_owners"), {"q": "a"}).json()["results"]
    # Abe (departed today) and Ada (last day yesterday) own nobody: not offered.
    assert [row["text"] for row in rows] == ["Ann (North)", "Ava (North), leaving 5 Mar 2099"]
    gus_rows = client.get(reverse("customer_owners"), {"q": "gus"}).json()["results"]
    left = f"{gus.departure_date.day} {gus.departure_date:%b %Y}"
    assert [row["text"] for row in gus_rows] == [f"Gus (North), left {left}"]
