"""Rules across records hold at the doors that can break them: a renewal names a
contract of its own customer, a successor is neither the leaver nor someone who left or
cannot sign in, teams do not go round in a circle; the admin refuses what the services
and imports refuse, with the same words."""

import datetime as dt

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from customers.models import Contract, Customer
from handover import services
from handover.models import HandoverTask
from staff.models import Employee, Team
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    EmployeeFactory,
    TeamFactory,
    UserFactory,
)
from tests.handover.world import LAST_DAY, build_team

pytestmark = pytest.mark.django_db


def admin_form(model, data, instance=None):
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    model_admin = admin.site._registry[model]
    return model_admin.get_form(request, instance)(data, instance=instance)


def contract_data(contract: Contract, **changes) -> dict:
    data = {
        "customer": contract.customer_id,
        "external_id": contract.external_id,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "annual_value": contract.annual_value,
        "currency": contract.currency,
        "kind": contract.kind,
        "status": contract.status,
    }
    return {**data, **changes}


def test_a_renewal_of_another_customer_s_contract_is_refused_in_the_admin():
    first, second = CustomerFactory(), CustomerFactory()
    theirs = ContractFactory(customer=first, external_id="K-THEIRS")
    ours = ContractFactory(
        customer=second,
        external_id="K-OURS",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    form = admin_form(Contract, contract_data(ours, renewal_of=theirs.pk), ours)
    assert not form.is_valid()
    assert form.errors["renewal_of"] == ["The contract it renews belongs to another customer."]
    own_earlier = ContractFactory(customer=second, external_id="K-OURS-2025")
    form = admin_form(Contract, contract_data(ours, renewal_of=own_earlier.pk), ours)
    assert form.is_valid(), form.errors
    ours.renewal_of = ours
    with pytest.raises(ValidationError) as refused:
        ours.full_clean()
    assert refused.value.message_dict["renewal_of"] == ["A contract cannot be a renewal of itself."]


@pytest.fixture
def team():
    return build_team()


@pytest.fixture
def plan(team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.start_departure(
            employee=team.leo, last_day=LAST_DAY, reason="New job", voluntary=True, by=team.mona
        )


def successor_form(task: HandoverTask, successor: Employee):
    data = {
        "plan": task.plan_id,
        "customer": task.customer_id,
        "role": task.role,
        "annual_value": task.annual_value,
        "risk": task.risk,
        "dependence": task.dependence,
        "interaction_share": task.interaction_share,
        "exclusive_contacts": task.exclusive_contacts,
        "priority": task.priority,
        "recommendation_reasons": "[]",
        "successor": successor.pk,
        "status": task.status,
    }
    return admin_form(HandoverTask, data, task)


def test_the_admin_and_the_handover_page_refuse_the_same_successors(team, plan):
    task = plan.tasks.get(customer=team.c1)
    gone = EmployeeFactory(
        name="Gus", status=Employee.Status.DEPARTED, departure_date=dt.date(2026, 1, 31)
    )
    locked = EmployeeFactory(name="Lou", user=UserFactory(username="lou", is_active=False))
    expected = {
        team.leo: "The leaver cannot be their own successor.",
        team.dan: "Dan is departing and cannot take customers over.",
        gone: "Gus has left and cannot take customers over.",
        locked: "Lou's login is disabled; they cannot own customers.",
    }
    for person, message in expected.items():
        form = successor_form(task, person)
        assert not form.is_valid()
        assert form.errors["successor"] == [message]
        with pytest.raises(ValidationError) as refused:
            services.accept_successors(plan=plan, by=team.mona, choices={task.pk: person.pk})
        assert refused.value.message_dict["successor"] == [f"C1: {message}"]
    task.refresh_from_db()
    assert task.successor_id is None  # nothing written
    form = successor_form(task, team.ada)
    assert form.is_valid(), form.errors
    assert form.save().successor == team.ada


def test_a_successor_who_left_after_being_accepted_does_not_block_other_changes(team, plan):
    task = plan.tasks.get(customer=team.c1)
    services.accept_successors(plan=plan, by=team.mona, choices={task.pk: team.ada.pk})
    Employee.objects.filter(pk=team.ada.pk).update(
        status=Employee.Status.DEPARTED, departure_date=dt.date(2026, 1, 31)
    )
    task = HandoverTask.objects.get(pk=task.pk)
    task.full_clean()  # kept as it was: the last-day job and the page deal with it


def test_the_admin_refuses_a_parent_team_below_the_team():
    top = TeamFactory(name="Top")
    middle = TeamFactory(name="Middle", parent=top)
    bottom = TeamFactory(name="Bottom", parent=middle)
    form = admin_form(Team, {"name": "Top", "region": "North", "parent": bottom.pk}, top)
    assert not form.is_valid()
    assert form.errors["parent"] == ["'Bottom' is below 'Top': teams would go round in a circle."]
    form = admin_form(Team, {"name": "Bottom", "region": "North", "parent": top.pk}, bottom)
    assert form.is_valid(), form.errors


def test_an_owner_who_has_left_is_refused_in_the_admin():
    gone = EmployeeFactory(
        name="Gus", status=Employee.Status.DEPARTED, departure_date=dt.date(2026, 1, 31)
    )
    customer = CustomerFactory()
    data = {
        "name": customer.name,
        "external_id": customer.external_id,
        "segment": "general",
        "customer_since": "2021-01-01",
        "status": "active",
        "primary_owner": gone.pk,
    }
    form = admin_form(type(customer), data, customer)
    assert not form.is_valid()
    assert form.errors["primary_owner"] == ["Gus has left the company and cannot own customers."]


def test_a_contract_or_contact_named_under_another_customer_is_refused_at_every_door(tmp_path):
    from customers import csv_io
    from customers.models import Contact
    from tests.api.helpers import integration_client

    first = CustomerFactory(external_id="C-1")
    CustomerFactory(external_id="C-2")
    contract = ContractFactory(customer=first, external_id="K-1")
    Contact.objects.create(customer=first, external_id="P-1", name="Ida")
    client = integration_client()[0]
    rows = [
        {
            "external_id": "K-1",
            "customer": "C-2",
            "start_date": "2025-01-01",
            "end_date": "2025-12-31",
            "annual_value": "12000",
        }
    ]
    moved = "Contract 'K-1' belongs to customer 'C-1'; it cannot move to another customer."
    response = client.post("/api/v1/contracts/bulk/", {"rows": rows}, format="json")
    assert response.json()["error"]["rows"] == [{"index": 0, "field": "customer", "message": moved}]
    rows = [{"external_id": "P-1", "customer": "C-2", "name": "Ida"}]
    response = client.post("/api/v1/contacts/bulk/", {"rows": rows}, format="json")
    assert response.json()["error"]["rows"] == [
        {
            "index": 0,
            "field": "customer",
            "message": "Contact 'P-1' belongs to customer 'C-1'; it cannot move to another "
            "customer.",
        }
    ]
    path = tmp_path / "contracts.csv"
    path.write_text(
        "external_id,customer,start_date,end_date,annual_value\n"
        "K-1,C-2,2025-01-01,2025-12-31,12000\n"
    )
    report = csv_io.check(
        "contracts", path, csv_io.default_mapping("contracts", csv_io.sniff(path)[1])
    )
    assert [(p["line"], p["column"], p["message"]) for p in report.problems] == [
        (2, "customer", moved)
    ]
    form = admin_form(
        Contract,
        contract_data(contract, customer=Customer.objects.get(external_id="C-2").pk),
        contract,
    )
    assert not form.is_valid() and form.errors["customer"] == [moved]
    # the same rows under their own customer are fine
    same = dict(rows[0], customer="C-1")
    assert client.post("/api/v1/contacts/bulk/", {"rows": [same]}, format="json").status_code == 200
    contract.refresh_from_db()
    assert contract.customer == first


def test_the_admin_does_not_close_a_step_at_all(team, plan):
    """A step is done on the handover pages (its note required, the ownership change
    performed, nobody's own plan), never by ticking a date in the admin: its done date,
    note and satisfaction are read-only there."""
    from handover.admin import HandoverStepInline

    task = plan.tasks.get(customer=team.c1)
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    inline = HandoverStepInline(HandoverTask, admin.site)
    form = inline.get_formset(request, task).form
    assert not {"done_at", "note", "satisfaction"} & set(form.base_fields)
    assert {"done_at", "note", "satisfaction"} <= set(inline.get_readonly_fields(request, task))
