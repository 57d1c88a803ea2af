"""Property-based checks of the whole API against its own OpenAPI schema, on a live
server: generated requests (valid and invalid) must never cause a server error, and
every response must match the schema (status code, content type, body)."""

import datetime as dt

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from alerts.models import Alert
from staff.models import ApiToken
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, EmployeeFactory

KEY: dict[str, str] = {}


@pytest.fixture
def api_schema(live_server, transactional_db, settings):
    # Some 1,000 requests a minute over every operation: the rate limits have their own
    # tests (tests/api/), and a 429 here would hide what the schema check is for.
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "100000/minute", "address": "100000/minute"},
    }
    owner = EmployeeFactory(email="owner@example.com")
    customer = CustomerFactory(external_id="C-1", primary_owner=owner)
    ContactFactory(customer=customer, external_id="P-1")
    ContractFactory(customer=customer, external_id="K-1")
    Alert.objects.create(
        customer=customer,
        signal="complaint",
        text="Complaint today",
        owner=owner,
        opened_on=dt.date(2026, 6, 1),
        figures_on=dt.date(2026, 6, 1),
    )
    from customers.models import RiskModel, RiskScore, ScoringRun

    day = dt.date(2026, 6, 1)
    model = RiskModel.objects.create(
        version=1, kind="rules", as_of=day, horizon_days=90, window_start=day, window_end=day
    )
    ScoringRun.objects.create(day=day, model=model, status="complete")
    RiskScore.objects.create(
        customer=customer,
        day=day,
        model=model,
        probability=0.4,
        tier=2,
        annual_value=1000,
        revenue_at_risk=400,
        reasons=[{"signal": "complaint", "text": "Complaint today"}],
    )
    from alerts.models import RetentionAction

    RetentionAction.objects.create(customer=customer, kind="call", taken_on=day, owner=owner)
    _, KEY["admin"] = ApiToken.issue(name="schema check", role="admin")
    return schemathesis.openapi.from_url(
        f"{live_server.url}/api/v1/schema/?format=json",
        headers={"Authorization": f"Bearer {KEY['admin']}"},
    )


def test_the_api_keeps_to_its_schema_and_never_fails(api_schema):
    headers = {"Authorization": f"Bearer {KEY['admin']}"}
    failures, operations = [], 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,  # the same cases every run: CI does not flicker
            suppress_health_check=list(HealthCheck),
        )
        def check(case):
            # Every check except "schema-valid data is accepted": a request can match the
            # schema and still break a business rule (an unknown customer id, a churn date
            # before the start), which is rightly refused with a 400 naming the field.
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except (
            Exception,
            BaseExceptionGroup,
        ) as failure:  # report every operation's failure, not just the first
            failures.append(f"{operation.label}: {failure}")
    assert operations >= 30
    assert not failures, "\n\n".join(failures)
