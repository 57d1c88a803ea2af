"""The customers list at scale: keyset pages that show every customer exactly once in
every sort, a count that stops at a limit and says "more than", and an owner box that
suggests only the people the viewer may filter by."""

import datetime as dt
import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import RiskModel, RiskScore, ScoringRun
from retention.paging import decode_cursor, encode_cursor
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def company():
    """North (managed by Mia): Ann and Bob own 61 customers, 59 scored today with many
    ties (revenue at risk takes 5 values, probability 4 with their tiers, annual value
    3, and the names repeat every 7), 2 not scored yet. South: Sue owns 5 customers Mia may not see."""
    mia = EmployeeFactory(name="Mia", role="manager", user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    south = TeamFactory(name="South")
    ann = EmployeeFactory(name="Ann Lee", team=north, user=UserFactory(username="ann"))
    bob = EmployeeFactory(name="Bob Lee", team=north)
    sue = EmployeeFactory(name="Sue Lee", team=south, role="manager")
    hal = EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(day=TODAY, model=model, status="complete")
    north_customers = []
    for i in range(59):
        customer = CustomerFactory(name=f"Co {i % 7}", primary_owner=ann if i % 2 else bob)
        RiskScore.objects.create(
            customer=customer,
            day=TODAY,
            model=model,
            probability=(i % 4) / 10,
            tier=4 - i % 4,  # tiers are ranks of probability: 0.3 is tier 1, 0 tier 4
            annual_value=Decimal(1000 + (i % 3) * 10),
            revenue_at_risk=Decimal((i % 5) * 100),
        )
        north_customers.append(customer)
    unscored = [CustomerFactory(name=f"New {i}", primary_owner=ann) for i in range(2)]
    for i in range(5):
        customer = CustomerFactory(name=f"Co {i}", primary_owner=sue)
        RiskScore.objects.create(
            customer=customer,
            day=TODAY,
            model=model,
            probability=0.9,
            tier=1,
            annual_value=Decimal(9000),
            revenue_at_risk=Decimal(900),
        )
    return {
        "mia": mia,
        "ann": ann,
        "bob": bob,
        "sue": sue,
        "hal": hal,
        "north": north_customers,
        "unscored": unscored,
    }


@pytest.fixture(params=["few", "walked"])
def plan(request, monkeypatch):
    """Both ways a page is read: a viewer's few customers read first and sorted, or a
    large set walked in the index's order (as an admin's million are)."""
    if request.param == "walked":
        monkeypatch.setattr("customers.selectors.FEW_CUSTOMERS", 0)
    return request.param


def walk(client, params, link="next"):
    """Follow the pager's `link` from the first page to the end: each page's customer
    ids, and the URL of every page."""
    pages, urls = [], []
    response = client.get(reverse("customers"), params)
    while True:
        assert response.status_code == 200
        pages.append([c.pk for c in response.context["customers"]])
        following = response.context["pager"]["links"].get(link)
        if following is None:
            return pages, urls
        urls.append(following)
        response = client.get(reverse("customers") + "?" + following)


def score_of(customer):
    return customer.risk_scores.get()


@pytest.mark.parametrize(
    ("sort", "key"),
    [
        ("risk", lambda c: (-score_of(c).revenue_at_risk, c.name, c.pk)),
        ("probability", lambda c: (-score_of(c).probability, c.name, c.pk)),
        ("value", lambda c: (-score_of(c).annual_value, c.name, c.pk)),
    ],
)
def test_keyset_pages_list_every_scored_customer_once_in_order(client, company, sort, key, plan):
    client.force_login(company["mia"].user)
    pages, urls = walk(client, {"sort": sort})
    # 59 scored customers of North, 25 a page: 25, 25, 9; the unscored and South's never.
    assert [len(page) for page in pages] == [25, 25, 9]
    expected = [c.pk for c in sorted(company["north"], key=key)]
    assert [pk for page in pages for pk in page] == expected
    assert all("after=" in url for url in urls)  # pages 2 and 3 continue, no offset


def test_keyset_pages_by_name_include_customers_not_scored_yet(client, company, plan):
    client.force_login(company["mia"].user)
    pages, _ = walk(client, {"sort": "name"})
    everyone = company["north"] + company["unscored"]
    assert [len(page) for page in pages] == [25, 25, 11]
    # "Co 0" .. "Co 6" then "New 0", "New 1"; equal names by id.
    assert [pk for page in pages for pk in page] == [
        c.pk for c in sorted(everyone, key=lambda c: (c.name, c.pk))
    ]


def test_previous_goes_back_through_the_same_pages(client, company, plan):
    client.force_login(company["mia"].user)
    forward, urls = walk(client, {"sort": "risk", "segment": "general"})
    last = client.get(reverse("customers") + "?" + urls[-1])
    assert last.context["pager"]["number"] == 3
    backward = [[c.pk for c in last.context["customers"]]]
    response = last
    while "previous" in response.context["pager"]["links"]:
        response = client.get(
            reverse("customers") + "?" + response.context["pager"]["links"]["previous"]
        )
        backward.append([c.pk for c in response.context["customers"]])
    assert backward[::-1] == forward
    assert response.context["pager"]["number"] == 1


def test_a_filter_narrows_every_keyset_page(client, company, plan):
    client.force_login(company["mia"].user)
    pages, _ = walk(client, {"sort": "risk", "owner": company["ann"].pk})
    # Ann owns the odd i: 29 scored customers.
    ann_scored = [c for c in company["north"] if c.primary_owner_id == company["ann"].pk]
    assert len(ann_scored) == 29
    assert sorted(pk for page in pages for pk in page) == sorted(c.pk for c in ann_scored)


def test_above_the_limit_the_count_says_more_than(client, company, settings):
    settings.LIST_EXACT_COUNT_UP_TO = 50
    client.force_login(company["mia"].user)
    page = unescape(client.get(reverse("customers"), {"sort": "name"}).content.decode())
    # 61 customers of North: more than 50, so no total and no "of N" pages.
    assert "More than 50 customers" in page
    assert re.search(r"page 1\.</caption>", page)
    assert "Page 1 of" not in page
    settings.LIST_EXACT_COUNT_UP_TO = 61
    page = client.get(reverse("customers"), {"sort": "name"}).content.decode()
    assert "61 customers" in page and "page 1 of 3" in page


def test_an_old_page_number_link_still_opens_that_page(client, company):
    client.force_login(company["mia"].user)
    by_name = sorted(company["north"] + company["unscored"], key=lambda c: (c.name, c.pk))
    response = client.get(reverse("customers"), {"sort": "name", "page": 2})
    assert [c.pk for c in response.context["customers"]] == [c.pk for c in by_name[25:50]]
    # Past the end: the last page.
    response = client.get(reverse("customers"), {"sort": "name", "page": 99})
    assert [c.pk for c in response.context["customers"]] == [c.pk for c in by_name[50:]]


def test_a_mangled_cursor_starts_the_list_again(client, company):
    client.force_login(company["mia"].user)
    first = client.get(reverse("customers"), {"sort": "risk"})
    again = client.get(reverse("customers"), {"sort": "risk", "after": "not-a-cursor"})
    assert [c.pk for c in again.context["customers"]] == [c.pk for c in first.context["customers"]]


def test_a_cursor_is_read_back_with_its_types():
    token = encode_cursor([Decimal("12.50"), "Acme", 7])
    assert decode_cursor(token, [Decimal, str, int]) == [Decimal("12.50"), "Acme", 7]
    assert decode_cursor(token, [Decimal, int, int]) is None  # a name is no id
    assert decode_cursor(token, [Decimal, str]) is None
    assert decode_cursor(token[:-3], [Decimal, str, int]) is None


def suggestions(client, q=""):
    response = client.get(reverse("customer_owners"), {"q": q})
    assert response.status_code == 200
    return [row["text"] for row in response.json()["results"]]


def test_owner_suggestions_are_the_people_of_the_teams_the_viewer_sees(client, company):
    client.force_login(company["mia"].user)
    assert suggestions(client, "lee") == ["Ann Lee (North)", "Bob Lee (North)"]
    assert suggestions(client, "Sue") == []  # South's manager is not Mia's to list
    client.force_login(company["hal"].user)  # HR sees every team's people
    assert suggestions(client, "lee") == ["Ann Lee (North)", "Bob Lee (North)", "Sue Lee (South)"]
    bob = company["bob"]
    assert suggestions(client, f" {bob.email.upper()} ") == ["Bob Lee (North)"]  # by e-mail
    client.force_login(company["ann"].user)  # an account manager filters by nobody
    assert suggestions(client, "") == []
    assert suggestions(client, "Sue") == []


def test_an_owner_outside_the_viewers_teams_lists_nobody(client, company):
    client.force_login(company["mia"].user)
    response = client.get(reverse("customers"), {"owner": company["sue"].pk, "sort": "name"})
    assert "owner" in response.context["form"].errors
    # Not the whole list unfiltered: nobody, and the message says why.
    assert list(response.context["customers"]) == []
    assert "No such owner among the people you may filter by." in response.content.decode()


def test_the_owner_box_shows_the_chosen_owner_and_no_select_of_everyone(client, company):
    client.force_login(company["mia"].user)
    page = client.get(reverse("customers"), {"owner": company["ann"].pk}).content.decode()
    assert 'value="Ann Lee (North)"' in page
    assert f'type="hidden" name="owner" value="{company["ann"].pk}"' in page
    assert "Bob Lee" not in page  # no option list of every owner


def test_by_next_renewal_pages_walk_contracts_then_customers_without_one(company):
    from customers.models import Customer
    from customers.selectors import customer_list_page

    ann = company["ann"]
    soon = [CustomerFactory(name=n, primary_owner=ann) for n in ("Rb", "Ra", "Rc")]
    ends = {"Ra": [10, 50], "Rb": [10], "Rc": [30]}
    for customer in soon:
        for days in ends[customer.name]:
            ContractFactory(
                customer=customer, start_date=TODAY, end_date=TODAY + dt.timedelta(days=days)
            )
    # A cancelled contract ending sooner does not count; an ended one neither.
    ContractFactory(
        customer=soon[2],
        start_date=TODAY,
        end_date=TODAY + dt.timedelta(days=5),
        status="cancelled",
    )
    ContractFactory(
        customer=soon[2],
        start_date=TODAY - dt.timedelta(days=90),
        end_date=TODAY - dt.timedelta(days=1),
    )
    mine = Customer.objects.filter(primary_owner=ann)  # walked: no ids read first
    everyone = [c.pk for c in soon] + [
        c.pk
        for c in sorted(
            [c for c in company["north"] + company["unscored"] if c.primary_owner_id == ann.pk],
            key=lambda c: (c.name, c.pk),
        )
    ]
    # Ra and Rb both renew in 10 days (by name), then Rc in 30, then the rest by name.
    expected = [soon[1].pk, soon[0].pk, soon[2].pk, *everyone[3:]]
    walked = []
    for offset in range(0, len(expected) + 2, 2):
        page, more = customer_list_page(
            mine, None, sort="renewal", today=TODAY, size=2, offset=offset
        )
        walked += [c.pk for c in page]
        assert more == (offset + 2 < len(expected))
    assert walked == expected
    assert page == [] or len(walked) == len(expected)
