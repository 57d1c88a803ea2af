"""The interaction features read only the last 180 days plus the latest moments before
them: the result must equal a plain count over every interaction, at any day."""

import datetime as dt

import pytest
from django.utils import timezone

from customers.models import Interaction
from customers.scoring.features import compute_features
from tests.customers.scoring_world import AS_OF, IN, OUT, K, at, build_world
from tests.factories import CustomerFactory, EmployeeFactory, InteractionFactory

pytestmark = pytest.mark.django_db

COUNTS = {
    # column: (kinds or None for all, window in days, days excluded at the recent end)
    "interactions_30d": (None, 30, 0),
    "interactions_90d": (None, 90, 0),
    "interactions_prior_90d": (None, 120, 30),
    "complaints_30d": ({K.COMPLAINT}, 30, 0),
    "complaints_60d": ({K.COMPLAINT}, 60, 0),
    "complaints_90d": ({K.COMPLAINT}, 90, 0),
    "support_tickets_30d": ({K.SUPPORT_TICKET}, 30, 0),
    "support_tickets_60d": ({K.SUPPORT_TICKET}, 60, 0),
    "support_tickets_90d": ({K.SUPPORT_TICKET}, 90, 0),
    "discount_requests_60d": ({K.DISCOUNT_REQUEST}, 60, 0),
    "usage_30d": ({K.USAGE}, 30, 0),
    "usage_prior_90d": ({K.USAGE}, 120, 30),
    "renewal_talks_180d": ({K.RENEWAL_TALK}, 180, 0),
}
LATEST = {
    "days_since_last_interaction": lambda row: True,
    "days_since_last_outbound": lambda row: row.direction == OUT,
    "days_since_complaint": lambda row: row.kind == K.COMPLAINT,
    "days_since_discount_request": lambda row: row.kind == K.DISCOUNT_REQUEST,
}


def reference(as_of: dt.date, customer_ids) -> dict[int, dict]:
    """Every interaction feature, one customer and one interaction at a time."""
    out = {}
    for customer_id in customer_ids:
        rows = [
            (row, (as_of - timezone.localtime(row.happened_at).date()).days)
            for row in Interaction.objects.filter(customer_id=customer_id)
        ]
        rows = [(row, ago) for row, ago in rows if ago >= 0]  # nothing after the day
        values = {}
        for column, (kinds, days, skip) in COUNTS.items():
            values[column] = sum(
                1
                for row, ago in rows
                if skip <= ago < days and (kinds is None or row.kind in kinds)
            )
        for column, wanted in LATEST.items():
            agos = [ago for row, ago in rows if wanted(row)]
            values[column] = min(agos) if agos else None
        people = {row.employee_id for row, ago in rows if ago < 180 and row.employee_id}
        values["single_threaded"] = int(len(people) == 1)
        out[customer_id] = values
    return out


def old_world():
    """The scoring world and two customers whose latest moments lie before the window."""
    world = build_world()
    e5 = EmployeeFactory(name="E5")
    since = dt.date(2024, 1, 1)
    charlie = CustomerFactory(name="Charlie", customer_since=since, primary_owner=e5)
    delta = CustomerFactory(name="Delta", customer_since=since, primary_owner=e5)

    def log(customer, offset, kind, direction, hour=12):
        InteractionFactory(
            customer=customer,
            kind=kind,
            direction=direction,
            employee=e5,
            happened_at=at(offset, hour),
        )

    # Charlie: nothing in the last 180 days (offsets 0..179).
    log(charlie, 180, K.COMPLAINT, IN)
    log(charlie, 190, K.EMAIL, IN)
    log(charlie, 250, K.CALL, OUT)
    log(charlie, 500, K.DISCOUNT_REQUEST, IN)
    # Delta: inbound only in the window; outbound, a complaint, a discount request before.
    log(delta, 10, K.COMPLAINT, IN)
    log(delta, 179, K.EMAIL, IN, hour=1)
    log(delta, 181, K.DISCOUNT_REQUEST, IN)
    log(delta, 200, K.COMPLAINT, IN)
    log(delta, 365, K.CALL, OUT)
    return world, charlie, delta


def test_latest_moments_before_the_window_worked_out_by_hand():
    _, charlie, delta = old_world()
    features = compute_features(AS_OF)

    c = features.loc[charlie.pk]
    assert c["days_since_last_interaction"] == 180  # the complaint, just outside
    assert c["days_since_last_outbound"] == 250
    assert c["days_since_complaint"] == 180
    assert c["days_since_discount_request"] == 500
    assert (c["interactions_90d"], c["complaints_90d"], c["renewal_talks_180d"]) == (0, 0, 0)
    assert c["single_threaded"] == 0  # nobody in 180 days

    d = features.loc[delta.pk]
    assert d["days_since_last_interaction"] == 10
    assert d["days_since_last_outbound"] == 365
    assert d["days_since_complaint"] == 10  # the one in the window, not the one at 200
    assert d["days_since_discount_request"] == 181
    assert d["complaints_30d"] == 1
    assert d["single_threaded"] == 1  # E5 alone, at offsets 10 and 179


@pytest.mark.parametrize(
    "as_of",
    [AS_OF, AS_OF - dt.timedelta(days=179), AS_OF - dt.timedelta(days=300), dt.date(2026, 9, 1)],
)
def test_interaction_features_equal_a_plain_count_at_any_day(as_of):
    old_world()
    features = compute_features(as_of)
    assert len(features) >= 2
    expected = reference(as_of, features.index)
    for customer_id, values in expected.items():
        row = features.loc[customer_id]
        for column, value in values.items():
            got = row[column]
            if value is None:
                assert got != got, (customer_id, column)  # NaN: never
            else:
                assert got == value, (as_of, customer_id, column, got, value)
