"""A name typed in the customers list's owner box and not picked from the suggestions
(or sent with scripts off) still filters: by the one person the viewer may filter by
whose name or e-mail address it is, in any case; a name of several people or of nobody
shows no customers and says which, on the page and in the export, never everyone."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.customers.test_customer_list import world  # noqa: F401 (the fixture)
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


def listed(client, language="en", **params):
    response = client.get(reverse("customers"), params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    said = [str(m) for m in get_messages(response.wsgi_request)]
    return sorted(c.name for c in response.context["customers"]), said, response


@pytest.mark.parametrize("typed", ["ann", " ANN ", "Ann (North)", "email"])
def test_a_typed_name_or_e_mail_of_one_owner_filters_by_them(client, world, typed):  # noqa: F811
    ann = world["ann"]
    if typed == "email":
        typed = ann.email.upper()
    client.force_login(world["mia"].user)
    customers, said, response = listed(client, owner="", owner_name=typed)
    assert (customers, said) == (["Acme", "Apex"], [])
    page = response.content.decode()
    # The visible box is sent as owner_name and now shows the owner; the hidden field
    # carries their id, so the next search keeps them.
    assert 'type="search" name="owner_name" id="owner-name"' in page
    assert 'value="Ann (North)"' in page
    assert f'<input type="hidden" name="owner" value="{ann.pk}" id="id_owner">' in page


def test_a_picked_owner_wins_over_the_text_beside_it(client, world):  # noqa: F811
    client.force_login(world["mia"].user)
    customers, said, _ = listed(client, owner=world["ann"].pk, owner_name="Bob")
    assert (customers, said) == (["Acme", "Apex"], [])


def test_a_name_of_nobody_the_viewer_may_filter_by_lists_nobody_and_says_so(
    client,
    world,  # noqa: F811
):
    client.force_login(world["mia"].user)
    for typed in ("Sue", "Zed"):  # Sue is South's, not Mia's to filter by
        customers, said, response = listed(client, owner="", owner_name=typed)
        assert customers == []
        assert said == [
            f"Owner: Nobody you may filter by is called “{typed}” (name or e-mail address)."
        ]
        page = response.content.decode()
        assert f'value="{typed}"' in page  # kept to correct it
        # The empty list is about the filter, not about what Mia may see.
        assert "No customer you may see matches these filters." in page
        assert "You may see no customers yet" not in page
    export = client.post(
        reverse("export", args=["customers"]), {"owner_name": "Zed", "reason": "Review"}
    )
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1  # the header only


def test_a_name_of_several_people_lists_nobody_and_says_so(client, world):  # noqa: F811
    EmployeeFactory(name="ann", team=world["north"])
    client.force_login(world["mia"].user)
    customers, said, _ = listed(client, owner="", owner_name="Ann")
    assert customers == []
    assert said == [
        "Owner: Several people you may filter by are called “Ann”; pick one of the suggestions."
    ]
    # Picked from the suggestions, either one is a filter.
    assert listed(client, owner=world["ann"].pk, owner_name="Ann")[0] == ["Acme", "Apex"]


def test_the_export_follows_a_typed_owner(client, world):  # noqa: F811
    client.force_login(world["mia"].user)
    export = client.post(
        reverse("export", args=["customers"]), {"owner_name": "ann", "reason": "Review"}
    )
    lines = b"".join(export.streaming_content).decode().strip().splitlines()
    assert len(lines) == 3  # the header, Acme and Apex
    assert "Birch" not in "".join(lines)


def test_the_owner_box_speaks_chinese(client, world):  # noqa: F811
    EmployeeFactory(name="Ann", team=world["north"])
    client.force_login(world["mia"].user)
    assert listed(client, "zh-hans", owner_name="Zed")[1] == [
        "负责人: 可供筛选的人中没有名为 “Zed” 的人（按姓名或电子邮件地址）。"
    ]
    customers, said, response = listed(client, "zh-hans", owner_name="ann")
    assert customers == []
    assert said == ["负责人: 可供筛选的人中有多位名为 “ann”；请从建议中选择一位。"]
    assert 'placeholder="姓名或电子邮件"' in response.content.decode()
