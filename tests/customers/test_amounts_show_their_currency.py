"""Every amount on the main pages says its currency: the reporting currency for figures
(values, revenue at risk, handover priorities), a contract's own for its value. In a
small company every grouped number (1,000 and up) on these pages is an amount, so each
must come right after a currency code."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from alerts.models import Alert
from customers.figures import nightly as figures
from customers.models import RiskModel, RiskScore, ScoringRun
from handover import services as handover
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
GROUPED = re.compile(r"(?<![\d,.])(\d{1,3}(?:,\d{3})+)(?![\d,])")
TAG = re.compile(r"<script.*?</script>|<[^>]+>", re.S)


@pytest.fixture
def company(settings):
    settings.REPORTING_CURRENCY = "EUR"
    mia = EmployeeFactory(name="Mia", role=Employee.Role.MANAGER, user=UserFactory(username="mia"))
    north = TeamFactory(name="North", manager=mia)
    ann = EmployeeFactory(name="Ann", team=north, user=UserFactory(username="ann"))
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=TODAY, horizon_days=90, window_start=TODAY, window_end=TODAY
    )
    ScoringRun.objects.create(
        day=TODAY,
        model=model,
        status="complete",
        customers_scored=1,
        revenue_at_risk=Decimal(24_800),
        tier_sizes={"Very high": 1},
    )
    acme = CustomerFactory(name="Acme", primary_owner=ann)
    ContractFactory(
        customer=acme,
        start_date=TODAY - dt.timedelta(days=300),
        end_date=TODAY + dt.timedelta(days=65),
        annual_value=Decimal(40_000),
    )
    RiskScore.objects.create(
        customer=acme,
        day=TODAY,
        model=model,
        probability=0.62,
        tier=1,
        annual_value=40_000,
        revenue_at_risk=Decimal(24_800),  # 62% of 40,000
        reasons=[{"signal": "no_recent_contact", "text": "No contact for 75 days"}],
    )
    Alert.objects.create(
        customer=acme,
        signal="no_recent_contact",
        text="No contact for 75 days",
        tier=1,
        owner=ann,
        opened_on=TODAY,
        figures_on=TODAY,
        revenue_at_risk=24_800,
    )
    figures.compute(day=TODAY)
    plan = handover.start_departure(
        employee=ann,
        last_day=TODAY + dt.timedelta(days=30),
        reason="Moving",
        voluntary=True,
        by=mia,
    )
    handover.raise_tasks(plan=plan)
    return ann, mia, acme, plan


def amounts_without_currency(html: str) -> tuple[list[str], list[str]]:
    """(grouped numbers with a currency code before them, those without)."""
    text = TAG.sub(" ", html).replace("&nbsp;", " ")
    priced, bare = [], []
    for match in GROUPED.finditer(text):
        before = text[: match.start()].rstrip()
        (priced if re.search(r"\b[A-Z]{3}$", before) else bare).append(match.group(1))
    return priced, bare


def test_the_checker_tells_an_amount_with_its_currency_from_one_without():
    assert amounts_without_currency("<td>EUR 40,000</td><td>24,800</td><td>2026</td>") == (
        ["40,000"],
        ["24,800"],
    )


def test_every_amount_on_the_main_pages_shows_its_currency(company, client):
    ann, mia, acme, plan = company
    pages = {
        ann.user: ["/", f"/customers/{acme.pk}/", "/alerts/"],
        mia.user: [
            "/dashboard/",
            "/customers/",
            "/renewals/",
            f"/handover/plans/{plan.pk}/",
            "/handover/exposure/",
            f"/handover/what-if/{ann.pk}/",
            "/alerts/monthly/",
            "/model/",
        ],
    }
    for user, paths in pages.items():
        client.force_login(user)
        for path in paths:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200, path
            priced, bare = amounts_without_currency(response.content.decode())
            assert bare == [], f"{path}: amounts without their currency"
            assert priced, f"{path} shows no amount at all"
            # Acme's value or its revenue at risk is on every one of these pages.
            assert {"40,000", "24,800"} & set(priced), path
