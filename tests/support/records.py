"""A customer with one of each of its records, for the access tests."""

from __future__ import annotations

import datetime as dt

from alerts.models import Alert, RetentionAction
from customers.models import RiskModel, RiskScore
from tests.factories import ContactFactory, ContractFactory, CustomerFactory, InteractionFactory


def customer_with_records(owner, model: RiskModel, name: str, day: dt.date) -> dict:
    """Keys: customer, contact, contract, interaction, score, alert, action."""
    customer = CustomerFactory(name=name, primary_owner=owner)
    return {
        "customer": customer,
        "contact": ContactFactory(customer=customer),
        "contract": ContractFactory(customer=customer),
        "interaction": InteractionFactory(customer=customer, employee=owner),
        "score": RiskScore.objects.create(
            customer=customer,
            day=day,
            model=model,
            probability=0.3,
            tier=3,
            annual_value=100,
            revenue_at_risk=30,
        ),
        "alert": Alert.objects.create(
            customer=customer,
            signal="complaint",
            text="x",
            owner=owner,
            opened_on=day,
            figures_on=day,
        ),
        "action": RetentionAction.objects.create(
            customer=customer, kind="call", taken_on=day, owner=owner
        ),
    }
