"""Names sort as people read them, whatever the server's default collation: accents and
case as in a dictionary, Chinese names by pinyin (an ICU collation on the name columns)."""

import pytest

from customers.models import Contact, Customer
from staff.models import Employee, Team
from tests.api.helpers import integration_client
from tests.factories import CustomerFactory, EmployeeFactory, TeamFactory

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]
NAMES = ["Zeta AG", "apple GmbH", "Émile SARL", "Ebert KG", "上海贸易", "阿里巴巴", "北京星辰科技"]
READ = ["apple GmbH", "Ebert KG", "Émile SARL", "Zeta AG", "阿里巴巴", "北京星辰科技", "上海贸易"]


def test_customers_contacts_employees_and_teams_sort_as_people_read_them():
    for i, name in enumerate(NAMES):
        customer = CustomerFactory(name=name, external_id=f"C-{i}")
        Contact.objects.create(customer=customer, name=name)
        EmployeeFactory(name=name)
        TeamFactory(name=name)
    assert list(Customer.objects.order_by("name").values_list("name", flat=True)) == READ
    assert list(Contact.objects.order_by("name").values_list("name", flat=True)) == READ
    for model in (Employee, Team):  # factories add people and teams of their own
        named = model.objects.filter(name__in=NAMES).order_by("name")
        assert list(named.values_list("name", flat=True)) == READ


def test_the_api_pages_through_names_in_reading_order():
    for i, name in enumerate(NAMES):
        CustomerFactory(name=name, external_id=f"C-{i}")
    client = integration_client()[0]
    url, names = "/api/v1/customers/?ordering=name&page_size=3", []
    while url:
        page = client.get(url).json()
        names += [row["name"] for row in page["results"]]
        url = page["next"]
    assert names == READ
