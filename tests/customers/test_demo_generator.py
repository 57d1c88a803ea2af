"""The demo company: deterministic, valid, and churn really follows the warning signals."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count, Exists, F, OuterRef

from customers import demo
from customers.models import Contract, Customer, Interaction, OwnershipPeriod
from staff.models import Employee

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def company():
    return demo.generate(
        customers=600, interactions=40_000, seed=7, as_of=AS_OF, chunk_customers=250
    )


def test_counts_match_the_request(company):
    assert Customer.objects.count() == 600
    # Interactions are drawn at random around the requested total; within 10% of it.
    assert 36_000 <= Interaction.objects.count() <= 44_000
    assert company.interactions == Interaction.objects.count()


def test_same_seed_gives_the_same_company(company):
    first = list(
        Customer.objects.order_by("id").values_list("name", "segment", "status", "churned_on")
    )
    first_interactions = Interaction.objects.count()
    demo.wipe()
    demo.generate(customers=600, interactions=40_000, seed=7, as_of=AS_OF, chunk_customers=250)
    assert (
        list(Customer.objects.order_by("id").values_list("name", "segment", "status", "churned_on"))
        == first
    )
    assert Interaction.objects.count() == first_interactions


def test_every_row_passes_model_validation(company):
    for model in (Customer, Contract, Interaction):
        for instance in model.objects.order_by("?")[:150]:
            instance.full_clean()


def test_every_contract_keeps_the_contract_date_rules_so_the_roll_renews_them_all(company):
    # Written with COPY, past clean(): the contract rules (an auto-renewing term of a month
    # at least, dates from 1900 to a century ahead) checked on every row.
    rows = Contract.objects.values("external_id", "start_date", "end_date", "auto_renew", "status")
    assert [row for row in rows if Contract.row_errors(row)] == []
    assert Contract.objects.filter(auto_renew=True, status="active").exists()


def test_every_churned_customer_has_a_reason_and_no_activity_after_churning(company):
    churned = Customer.objects.filter(status="churned")
    assert churned.exists()
    assert not churned.filter(churn_reason="").exists()
    late = Interaction.objects.filter(
        customer__status="churned", happened_at__date__gt=F("customer__churned_on")
    )
    assert not late.exists()


def test_every_active_customer_has_one_open_primary_owner_who_has_not_left(company):
    active = Customer.objects.filter(status="active")
    assert not active.filter(primary_owner__status=Employee.Status.DEPARTED).exists()
    open_primary = OwnershipPeriod.objects.filter(role="primary", ended_on__isnull=True)
    assert open_primary.count() == Customer.objects.count()
    mismatched = open_primary.exclude(employee_id=OuterRef("primary_owner_id")).filter(
        customer_id=OuterRef("pk")
    )
    assert not Customer.objects.filter(Exists(mismatched)).exists()


def test_company_has_departed_departing_and_key_employees(company):
    statuses = dict(Employee.objects.values_list("status").annotate(n=Count("id")))
    assert statuses.get("departed", 0) >= 4 and statuses.get("departing", 0) >= 2
    assert Employee.objects.filter(is_key_employee=True).count() >= 2
    assert set(Employee.objects.values_list("role", flat=True)) == {
        "account_manager",
        "manager",
        "hr",
        "admin",
    }


def test_contracts_that_lapsed_had_fewer_renewal_talks_than_those_renewed(company):
    """At contract end, the domain's signal is there to be found: a contract that was not
    renewed rarely had a renewal talk in its last 180 days; a renewed one usually did."""

    def share_with_talk(status: str) -> float:
        contracts = Contract.objects.filter(
            status=status, end_date__gte=AS_OF - dt.timedelta(days=700)
        )
        talk = Interaction.objects.filter(
            customer=OuterRef("customer_id"),
            kind="renewal_talk",
            happened_at__date__gte=OuterRef("end_date") - dt.timedelta(days=180),
            happened_at__date__lte=OuterRef("end_date"),
        )
        return contracts.filter(Exists(talk)).count() / contracts.count()

    assert share_with_talk("expired") < 0.5 * share_with_talk("renewed")


def test_churned_customers_complained_more_before_leaving(company):
    def share_with_complaint(status: str) -> float:
        customers = Customer.objects.filter(status=status)
        end = OuterRef("churned_on") if status == "churned" else AS_OF
        complaint = Interaction.objects.filter(
            customer=OuterRef("pk"),
            kind="complaint",
            happened_at__date__gte=end - dt.timedelta(days=180),
        )
        return customers.filter(Exists(complaint)).count() / customers.count()

    assert share_with_complaint("churned") > 1.5 * share_with_complaint("active")


def test_seed_command_refuses_to_write_over_an_existing_company(company):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="already holds"):
        call_command("seed_demo", customers=20, interactions=100)
    call_command("seed_demo", customers=20, interactions=100, if_empty=True)
    assert Customer.objects.count() == 600


def test_every_active_customer_has_a_contract_covering_the_last_day(company):
    covered = Contract.objects.filter(
        customer=OuterRef("pk"), status="active", start_date__lte=AS_OF, end_date__gte=AS_OF
    )
    assert not Customer.objects.filter(status="active").exclude(Exists(covered)).exists()


def test_a_reset_starts_over_after_the_demo_has_handovers(company):
    from handover.models import HandoverPlan

    # The demo's departing people get their handover plans, with successors on the tasks:
    # both refer to employees the reset deletes.
    assert demo.open_handovers(as_of=AS_OF) > 0
    old_plans = set(HandoverPlan.objects.values_list("pk", flat=True))
    call_command("seed_demo", reset=True, customers=50, interactions=2_000, verbosity=0)
    assert Customer.objects.count() == 50
    assert not HandoverPlan.objects.filter(pk__in=old_plans).exists()


def test_a_reset_is_refused_over_an_audit_trail_and_changes_nothing(company):
    from django.core.management import CommandError

    from staff.models import AuditEvent

    viewer = Employee.objects.filter(user__isnull=False).first()
    AuditEvent.objects.create(
        action=AuditEvent.Action.VIEW,
        employee=viewer,
        user=viewer.user,
        actor=viewer.name,
        object_type="customer",
    )
    with pytest.raises(CommandError, match=r"audit trail \(1 events\), which is never deleted"):
        call_command("seed_demo", reset=True, customers=50, interactions=2_000, verbosity=0)
    assert Customer.objects.count() == 600
