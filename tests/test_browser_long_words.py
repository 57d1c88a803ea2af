"""Names, regions and notes people type have no upper bound on word length (a pasted
URL, a long compound, a name repeated by a broken sync). At a phone's width (390 px),
in a real browser, the customer page, My book and the customers list of such a customer
still never scroll sideways: long words wrap inside their box."""

import datetime as dt

import pytest

from customers.models import Interaction
from tests.factories import (
    ContactFactory,
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    InteractionFactory,
    UserFactory,
)
from tests.test_browser_pages import sign_in
from tests.test_browser_phone import OVERFLOW, WIDTH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LONG = "Supercalifragilisticexpialidocious" * 4


def test_it_wraps_long_words_at_a_phone_width(browser_page, live_server):
    page, base = browser_page, live_server.url
    owner = EmployeeFactory(name="Ann Long", user=UserFactory(username="ann"))
    customer = CustomerFactory(
        name=f"{LONG} GmbH", region="R" * 80, industry="I" * 80, primary_owner=owner
    )
    ContactFactory(customer=customer, name=LONG[:100], email=f"{'x' * 60}@example.com")
    ContractFactory(customer=customer, end_date=dt.date.today() + dt.timedelta(days=40))
    InteractionFactory(customer=customer, kind=Interaction.Kind.CALL, notes=f"See {LONG}{LONG}")
    page.set_viewport_size({"width": WIDTH, "height": 844})
    sign_in(page, base, "ann")
    too_wide = {}
    for path in (f"/customers/{customer.pk}/", "/", "/customers/"):
        response = page.goto(base + path)
        assert response.status == 200, path
        assert LONG in page.content()
        scroll = page.evaluate("document.scrollingElement.scrollWidth")
        if scroll > WIDTH:
            too_wide[path] = (scroll, page.evaluate(OVERFLOW, WIDTH))
    assert too_wide == {}
