"""Every API list refuses a query parameter it does not know (400, naming it and listing
what it accepts), so `?q=acme` for a filter that is not there never answers every row;
every parameter it lists is really accepted, so the list cannot drift from the views."""

from __future__ import annotations

import pytest

from retention.api.urls import router
from tests.api.helpers import integration_client, user_client
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTS = [(prefix, viewset) for prefix, viewset, _ in router.registry if hasattr(viewset, "list")]


@pytest.fixture
def api():
    return user_client(UserFactory(username="root", is_superuser=True, is_staff=True))[0]


def test_the_walk_covers_the_lists_of_the_router():
    # 16 resources; departures only takes a POST.
    assert len(LISTS) == 15
    assert "departures" not in [prefix for prefix, _ in LISTS]


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _ in LISTS])
def test_an_unknown_parameter_is_refused_and_every_listed_one_is_accepted(api, prefix, viewset):
    response = api.get(f"/api/v1/{prefix}/?q=acme", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "unknown_parameter"
    assert error["unknown"] == ["q"]
    accepted = error["accepted"]
    assert error["message"] == (
        f"Unknown query parameter q; this endpoint accepts: {', '.join(accepted)}."
    )
    # What the view reads, found from the view's own classes rather than the rule's code.
    expected = {"cursor", "page_size", "ordering", "format", "lang"}
    if getattr(viewset, "filterset_class", None) is not None:
        expected |= set(viewset.filterset_class.base_filters)
    assert set(accepted) == expected
    # Each one, empty (no filter applied), and all at once, is taken.
    for name in accepted:
        assert api.get(f"/api/v1/{prefix}/?{name}=").status_code == 200, (prefix, name)
    everything = "&".join(f"{name}=" for name in accepted)
    assert api.get(f"/api/v1/{prefix}/?{everything}").status_code == 200


def test_the_customer_list_names_its_parameters():
    api, _ = integration_client()
    CustomerFactory(name="Acme")
    CustomerFactory(name="Bolt")
    error = api.get("/api/v1/customers/?q=acme&Status=active").json()["error"]
    assert error["unknown"] == ["Status", "q"]
    assert error["accepted"] == [
        "cursor",
        "external_id",
        "format",
        "lang",
        "ordering",
        "owner",
        "page_size",
        "region",
        "segment",
        "status",
        "sync_token",
        "team",
        "tier",
        "updated_since",
    ]
    assert len(api.get("/api/v1/customers/?ordering=name").json()["results"]) == 2


def test_the_refusal_follows_the_readers_language():
    api, _ = integration_client()
    response = api.get("/api/v1/contracts/?ends=2026-01-01", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert message.startswith("未知的查询参数 ends；此接口接受：")
    assert "ends_after" in message


def test_a_record_takes_its_filters_but_not_paging_or_unknown_names():
    api, _ = integration_client()
    customer = CustomerFactory(status="active")
    url = f"/api/v1/customers/{customer.pk}/"
    assert api.get(f"{url}?status=active").status_code == 200
    assert api.get(f"{url}?status=churned").status_code == 404  # the filter applies
    refused = api.get(f"{url}?page_size=10").json()["error"]
    assert refused["unknown"] == ["page_size"]
    assert "cursor" not in refused["accepted"] and "status" in refused["accepted"]


def test_a_bulk_request_with_a_parameter_in_the_address_writes_nothing():
    from customers.models import Customer

    api, _ = integration_client()
    rows = [{"external_id": "C-1", "name": "Acme", "customer_since": "2024-01-01"}]
    response = api.post("/api/v1/customers/bulk/?dry_run=true", {"rows": rows}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["unknown"] == ["dry_run"]
    assert response.json()["error"]["accepted"] == ["format", "lang"]
    assert not Customer.objects.exists()


@pytest.mark.parametrize(("prefix", "viewset"), LISTS, ids=[p for p, _ in LISTS])
def test_a_parameter_given_twice_is_refused_by_name(api, prefix, viewset):
    """A filter reads one value: `?segment=core&segment=general` would silently answer
    the general customers only."""
    name = "format" if getattr(viewset, "filterset_class", None) is None else None
    name = name or sorted(viewset.filterset_class.base_filters)[0]
    response = api.get(f"/api/v1/{prefix}/?{name}=&{name}=", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["error"] == {
        "status": 400,
        "code": "repeated_parameter",
        "message": f"The query parameter {name} is given 2 times; give it once.",
    }


def test_a_repeated_filter_is_refused_not_read_as_its_last_value():
    api, _ = integration_client()
    CustomerFactory(name="Acme", segment="core")
    CustomerFactory(name="Bolt", segment="general")
    response = api.get(
        "/api/v1/customers/?segment=core&segment=general", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "查询参数 segment 给出了 2 次；请只给一次。"
    assert [c["name"] for c in api.get("/api/v1/customers/?segment=core").json()["results"]] == [
        "Acme"
    ]


def test_a_bulk_request_with_a_repeated_format_writes_nothing():
    from customers.models import Customer

    api, _ = integration_client()
    rows = [{"external_id": "C-1", "name": "Acme", "customer_since": "2024-01-01"}]
    response = api.post(
        "/api/v1/customers/bulk/?format=json&format=json", {"rows": rows}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "repeated_parameter"
    assert not Customer.objects.exists()


@pytest.mark.parametrize("ordering", ["-updatedat", "bogus", "name,-nmae"])
def test_an_ordering_the_list_cannot_take_is_refused_naming_it(ordering):
    api, _ = integration_client()
    CustomerFactory(name="Acme")
    response = api.get(f"/api/v1/customers/?ordering={ordering}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    error = response.json()["error"]
    wrong = ", ".join(t for t in ordering.split(",") if t.lstrip("-") not in ("name",))
    assert error["fields"]["ordering"][0].startswith(
        f"Cannot order by {wrong}; this list orders by: "
    )
    assert "updated_at" in error["fields"]["ordering"][0]
    assert api.get("/api/v1/customers/?ordering=-updated_at").status_code == 200


@pytest.mark.parametrize("size", ["abc", "0", "-1", "1001", "1.5"])
def test_a_page_size_out_of_range_is_refused_not_replaced(size):
    api, _ = integration_client()
    response = api.get(f"/api/v1/customers/?page_size={size}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["page_size"] == [
        f"'{size}' is not a page size; give a whole number from 1 to 1000."
    ]


def test_page_sizes_from_one_to_the_most_are_taken():
    api, _ = integration_client()
    for n in range(3):
        CustomerFactory(name=f"C{n}")
    assert len(api.get("/api/v1/customers/?page_size=1").json()["results"]) == 1
    assert len(api.get("/api/v1/customers/?page_size=1000").json()["results"]) == 3


@pytest.mark.parametrize("query", ["tier=1.5", "tier=6", "tier=0", "team=1.5", "tier=abc"])
def test_a_tier_or_id_that_is_not_a_whole_number_in_range_is_refused(query):
    api, _ = integration_client()
    response = api.get(f"/api/v1/customers/?{query}", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.json()
    name = query.split("=")[0]
    assert list(response.json()["error"]["fields"]) == [name]


@pytest.mark.parametrize(
    "query", ["page_size=٥", "page_size=５", "customer=١٠", "tier=３", "team=٣"]
)
def test_a_number_in_other_digits_is_refused_naming_the_parameter(query):
    api, _ = integration_client()
    resource = "interactions" if query.startswith("customer") else "customers"
    response = api.get(f"/api/v1/{resource}/?{query}")
    assert response.status_code == 400, response.json()
    name, value = query.split("=")
    assert response.json()["error"]["message"] == (
        f"{name}={value}: write numbers with the digits 0-9."
    )


def test_text_in_other_digits_is_still_read_as_text():
    api, _ = integration_client()
    assert api.get("/api/v1/customers/?external_id=C-１").status_code == 200
