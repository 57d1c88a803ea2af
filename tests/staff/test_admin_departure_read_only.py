"""The admin shows a person's departure but does not record one: set there, a past last
day ended the person's access at once, opened no handover plan and left their customers
with nobody. It points to the Departures page, where the rules hold and the handover
starts."""

import pytest
from django.urls import reverse

from handover.models import HandoverPlan
from staff.models import Employee
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_admin_cannot_set_a_departure_and_says_where_it_is_recorded(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    karla = EmployeeFactory(name="Karla", email="karla@example.com")
    url = reverse("admin:staff_employee_change", args=[karla.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'name="status"' not in page and 'name="departure_date"' not in page
    assert "A departure is recorded on the Departures page" in page
    assert reverse("handover:start") in page
    form = {
        "name": "Karla",
        "email": "karla@example.com",
        "role": karla.role,
        "hired_on": karla.hired_on.isoformat(),
        "status": "departed",
        "departure_date": "2025-01-01",
        "_save": "Save",
    }
    response = client.post(url, form, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code in (200, 302)
    karla.refresh_from_db()
    assert (karla.status, karla.departure_date) == (Employee.Status.ACTIVE, None)
    assert not HandoverPlan.objects.exists()
