"""The features read from the interactions' daily roll-ups equal the features computed
from the interactions themselves, after late, back-dated, moved and deleted interactions
(customers/scoring/interaction_days.py). Expected values worked out by hand from the
fixture below ("offset" = days before AS_OF = 2026-06-30, UTC unless a test says)."""

import datetime as dt

import pandas as pd
import pytest
from django.db import connection
from django.test import override_settings

from customers import upsert
from customers.models import Interaction, InteractionDay
from customers.scoring import interaction_days
from customers.scoring.features import compute_features
from tests.customers.scoring_world import AS_OF, IN, INTERNAL, OUT, K, at, build_world
from tests.factories import CustomerFactory, EmployeeFactory, InteractionFactory

pytestmark = pytest.mark.django_db


class Company:
    def __init__(self):
        self.a = EmployeeFactory(name="A")
        self.b = EmployeeFactory(name="B")
        self.d = CustomerFactory(
            name="Delta", external_id="D", customer_since=dt.date(2025, 1, 1), primary_owner=self.a
        )
        self.e = CustomerFactory(
            name="Echo", external_id="E", customer_since=dt.date(2024, 1, 1), primary_owner=self.b
        )
        d, e, a, b = self.d, self.e, self.a, self.b
        rows = [
            (d, 0, 9, 0, K.SURVEY, IN, None, 9),
            (d, 0, 23, 30, K.CALL, OUT, a, 6),
            (d, 3, 12, 0, K.COMPLAINT, IN, b, None),
            (d, 3, 15, 0, K.USAGE, INTERNAL, None, None),
            (d, 45, 12, 0, K.DISCOUNT_REQUEST, IN, a, None),
            (d, 100, 12, 0, K.EMAIL, OUT, a, 4),
            (d, 150, 12, 0, K.RENEWAL_TALK, OUT, a, None),
            (d, 400, 12, 0, K.COMPLAINT, IN, b, None),
            (d, 500, 12, 0, K.DISCOUNT_REQUEST, IN, a, None),
            (e, 200, 12, 0, K.CALL, OUT, b, None),
            (e, 250, 12, 0, K.SURVEY, IN, None, 7),
        ]
        self.interactions = {}
        for customer, offset, hour, minute, kind, direction, employee, score in rows:
            self.interactions[(customer.name, offset, hour)] = InteractionFactory(
                customer=customer,
                happened_at=at(offset, hour, minute),
                kind=kind,
                direction=direction,
                employee=employee,
                satisfaction=score,
            )


@pytest.fixture
def company():
    return Company()


def both_ways(as_of=AS_OF) -> pd.DataFrame:
    """The features from the roll-ups, after checking they equal those from scratch."""
    from_days = compute_features(as_of, rollups=True)
    from_interactions = compute_features(as_of, rollups=False)
    pd.testing.assert_frame_equal(from_days, from_interactions)
    return from_days


def test_a_days_roll_up_sums_its_interactions(company):
    interaction_days.refresh()
    day = InteractionDay.objects.get(customer_id=company.d.pk, day=AS_OF)
    # The 09:00 survey (inbound, nobody, 9) and the 23:30 call (outbound, A, 6).
    assert (day.interactions, day.outbound, day.complaints, day.usage) == (2, 1, 0, 0)
    assert (day.employee_low, day.employee_high) == (company.a.pk, company.a.pk)
    assert (day.satisfaction_latest, day.satisfaction_previous) == (6, 9)
    three_days_ago = InteractionDay.objects.get(
        customer_id=company.d.pk, day=AS_OF - dt.timedelta(days=3)
    )
    assert (three_days_ago.interactions, three_days_ago.complaints, three_days_ago.usage) == (
        2,
        1,
        1,
    )
    assert (three_days_ago.employee_low, three_days_ago.employee_high) == (company.b.pk,) * 2
    # 11 interactions: Delta on 7 days (two on AS_OF, two 3 days before), Echo on 2.
    assert InteractionDay.objects.count() == 9


def test_features_from_roll_ups_equal_the_computation_from_scratch(company):
    features = both_ways()
    d = features.loc[company.d.pk]
    assert (d["interactions_30d"], d["interactions_90d"]) == (4, 5)
    assert d["engagement_ratio"] == pytest.approx(4 / (2 / 3))  # offsets 45 and 100 before
    assert (d["days_since_last_interaction"], d["days_since_last_outbound"]) == (0, 0)
    assert (d["complaints_30d"], d["complaints_90d"], d["days_since_complaint"]) == (1, 1, 3)
    assert (d["discount_requests_60d"], d["days_since_discount_request"]) == (1, 45)
    assert (d["usage_30d"], d["renewal_talks_180d"], d["single_threaded"]) == (1, 1, 0)
    assert (d["latest_satisfaction"], d["previous_satisfaction"]) == (6, 9)

    e = features.loc[company.e.pk]  # nothing in the 180-day window
    assert (e["interactions_90d"], e["renewal_talks_180d"]) == (0, 0)
    assert (e["days_since_last_interaction"], e["days_since_last_outbound"]) == (200, 200)
    assert e["latest_satisfaction"] == 7
    assert pd.isna(e["previous_satisfaction"]) and pd.isna(e["days_since_complaint"])


def test_a_late_back_dated_interaction_through_the_bulk_upsert_counts(company):
    both_ways()  # the roll-ups are up to date before the late rows arrive
    outcome = upsert.upsert(
        "interactions",
        [
            {
                "external_id": "late-1",
                "customer": "D",
                "kind": "complaint",
                "direction": "inbound",
                "happened_at": at(20, 10).isoformat(),
                "satisfaction": 2,
            },
            {
                "external_id": "late-2",
                "customer": "E",
                "kind": "email",
                "direction": "inbound",
                "happened_at": at(190, 8).isoformat(),
            },
        ],
    )
    assert not outcome.errors
    features = both_ways()
    d = features.loc[company.d.pk]
    assert (d["complaints_30d"], d["interactions_30d"], d["days_since_complaint"]) == (2, 5, 3)
    assert (d["latest_satisfaction"], d["previous_satisfaction"]) == (6, 9)  # older than both
    e = features.loc[company.e.pk]
    assert (e["days_since_last_interaction"], e["days_since_last_outbound"]) == (190, 200)


def test_a_deleted_interaction_no_longer_counts(company):
    both_ways()
    company.interactions[("Delta", 0, 23)].delete()
    d = both_ways().loc[company.d.pk]
    assert (d["interactions_30d"], d["days_since_last_interaction"]) == (3, 0)
    # The next outbound contact is the e-mail 100 days ago; its score is now the previous.
    assert d["days_since_last_outbound"] == 100
    assert (d["latest_satisfaction"], d["previous_satisfaction"]) == (9, 4)


def test_a_moved_interaction_leaves_its_old_day_and_counts_on_its_new_one(company):
    both_ways()
    complaint = company.interactions[("Delta", 3, 12)]
    complaint.happened_at = at(70)
    complaint.save()
    d = both_ways().loc[company.d.pk]
    assert (d["complaints_30d"], d["complaints_90d"], d["days_since_complaint"]) == (0, 1, 70)
    assert (d["interactions_30d"], d["interactions_prior_90d"]) == (3, 3)


def test_a_delete_outside_the_app_is_noticed_too(company):
    both_ways()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM customers_interaction WHERE customer_id = %s", [company.e.pk])
    assert interaction_days.pending_changes() == 1
    e = both_ways().loc[company.e.pk]
    assert pd.isna(e["days_since_last_interaction"]) and pd.isna(e["latest_satisfaction"])
    assert not InteractionDay.objects.filter(customer_id=company.e.pk).exists()
    assert interaction_days.pending_changes() == 0


def test_refreshing_twice_changes_nothing(company):
    interaction_days.refresh()
    before = list(InteractionDay.objects.order_by("customer_id", "day").values())
    assert interaction_days.refresh() == {"customers": 0, "days": 0, "rebuilt": 0}
    assert list(InteractionDay.objects.order_by("customer_id", "day").values()) == before


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_days_follow_the_configured_time_zone(company):
    # 23:30 UTC on the day is 07:30 on 2026-07-01 in Shanghai: after AS_OF, so Delta's
    # latest outbound contact on AS_OF is the e-mail 100 days ago.
    assert interaction_days.refresh()["rebuilt"] == 1
    d = both_ways().loc[company.d.pk]
    assert (d["interactions_30d"], d["days_since_last_outbound"]) == (3, 100)
    assert (d["latest_satisfaction"], d["previous_satisfaction"]) == (9, 4)


def test_the_scoring_world_reads_the_same_from_roll_ups():
    build_world()
    both_ways()
    both_ways(AS_OF - dt.timedelta(days=40))  # a past day, as training reads it
    assert Interaction.objects.exists()


def test_a_truncate_of_the_interactions_makes_the_next_refresh_rebuild(company):
    interaction_days.refresh()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as the demo's reset does
        cursor.execute("TRUNCATE customers_interaction CASCADE")
    # Ids start again after a reset: the old customers' days must not stay behind.
    assert interaction_days.refresh() == {"customers": 0, "days": 0, "rebuilt": 1}
    assert not InteractionDay.objects.exists()
