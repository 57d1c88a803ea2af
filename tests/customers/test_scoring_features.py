"""Each scoring feature against numbers worked out by hand from tests/customers/scoring_world.py."""

import datetime as dt
import math

import pandas as pd
import pytest

from customers.scoring.features import CustomerSelection, compute_features
from tests.customers.scoring_world import AS_OF, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def features(world):
    return compute_features(AS_OF)


def test_only_customers_active_on_the_day_are_described(world, features):
    # "Gone" churned on 2026-06-01 and "Later" joined on 2026-07-01; Bravo churns after.
    assert sorted(features.index) == sorted([world.alpha.pk, world.bravo.pk])


def test_customer_and_contract_features(world, features):
    alpha = features.loc[world.alpha.pk]
    # 2025-01-01 .. 2026-06-30: 365 + 180 days.
    assert alpha["tenure_days"] == 545
    assert (alpha["segment_core"], alpha["segment_important"]) == (1, 0)
    # In force on the day: 12,000 (to 2026-12-31) and 3,000 (to 2026-08-31, auto-renew);
    # the 2025 contract had ended.
    assert alpha["annual_value"] == 15000
    assert alpha["active_contracts"] == 2
    assert alpha["days_to_contract_end"] == 62  # 2026-06-30 -> 2026-08-31
    assert alpha["auto_renew"] == 1
    assert alpha["renewal_talks_180d"] == 1  # 149 days ago

    bravo = features.loc[world.bravo.pk]
    assert bravo["tenure_days"] == 171  # 2026-01-10 .. 2026-06-30
    assert (bravo["segment_core"], bravo["segment_important"]) == (0, 0)
    assert bravo["annual_value"] == 5000
    assert bravo["days_to_contract_end"] == 193  # -> 2027-01-09
    assert bravo["auto_renew"] == 0
    assert bravo["renewal_talks_180d"] == 0


def test_interaction_counts_and_recency(world, features):
    alpha = features.loc[world.alpha.pk]
    # Offsets 0, 5, 9, 10, 20 are in the last 30 days (the 23:30 note on the day counts).
    assert alpha["interactions_30d"] == 5
    assert alpha["interactions_90d"] == 11
    # Offsets 30..119 hold 41, 46, 60, 71, 76, 81, 102, 107: 8, a monthly average of 8/3.
    assert alpha["engagement_ratio"] == pytest.approx(5 / (8 / 3))
    assert alpha["days_since_last_interaction"] == 0
    assert alpha["days_since_last_outbound"] == 5

    bravo = features.loc[world.bravo.pk]
    assert bravo["interactions_30d"] == 1
    assert bravo["interactions_90d"] == 9  # 12 and 32..88
    assert bravo["engagement_ratio"] == pytest.approx(1 / 3)  # 9 prior calls: 3 a month
    assert bravo["days_since_last_interaction"] == 12
    assert bravo["days_since_last_outbound"] == 32  # the e-mail 12 days ago was inbound


def test_complaints_tickets_discounts(world, features):
    alpha = features.loc[world.alpha.pk]
    # Complaints 9 and 102 days ago; a ticket 41 days ago; a discount request 46 days ago.
    assert (alpha["complaints_30d"], alpha["complaints_60d"], alpha["complaints_90d"]) == (1, 1, 1)
    assert (
        alpha["support_tickets_30d"],
        alpha["support_tickets_60d"],
        alpha["support_tickets_90d"],
    ) == (0, 1, 1)
    assert alpha["discount_requests_60d"] == 1
    assert alpha["days_since_complaint"] == 9
    assert alpha["days_since_discount_request"] == 46
    bravo = features.loc[world.bravo.pk]
    assert (bravo["complaints_90d"], bravo["discount_requests_60d"]) == (0, 0)
    assert math.isnan(bravo["days_since_complaint"])


def test_satisfaction_latest_and_change(world, features):
    alpha = features.loc[world.alpha.pk]
    assert alpha["latest_satisfaction"] == 6  # 5 days ago
    assert alpha["satisfaction_change"] == -3  # from 9, 60 days ago
    assert math.isnan(features.loc[world.bravo.pk, "latest_satisfaction"])


def test_usage_trend(world, features):
    alpha = features.loc[world.alpha.pk]
    # Usage 10 days ago; 71, 76 and 107 days ago before that: 1 against 3/3 a month.
    assert alpha["usage_30d"] == 1
    assert alpha["usage_ratio"] == pytest.approx(1.0)
    assert math.isnan(features.loc[world.bravo.pk, "usage_ratio"])  # nothing to compare


def test_contacts(world, features):
    alpha = features.loc[world.alpha.pk]
    # One active, one leaving only on 2026-08-01; the decision-maker left 2026-05-01.
    assert alpha["active_contacts"] == 2
    assert alpha["decision_maker_left_90d"] == 1
    assert alpha["decision_maker_left_on"] == pd.Timestamp("2026-05-01")
    assert features.loc[world.bravo.pk, "decision_maker_left_90d"] == 0


def test_owner_features(world, features):
    alpha = features.loc[world.alpha.pk]
    # E0 owned Alpha until 2026-05-10 and left the company that day; E1 announced on
    # 2026-06-15 that they leave on 2026-07-31.
    assert alpha["owner_changed_90d"] == 1
    assert alpha["owner_departed_180d"] == 1
    assert alpha["owner_departed_on"] == pd.Timestamp("2026-05-10")
    assert alpha["owner_departing"] == 1
    assert alpha["owner_leaves_on"] == pd.Timestamp("2026-07-31")
    assert alpha["single_threaded"] == 0  # E1 and E2 both dealt with Alpha

    bravo = features.loc[world.bravo.pk]
    assert (bravo["owner_changed_90d"], bravo["owner_departed_180d"]) == (0, 0)
    assert bravo["owner_departing"] == 0
    assert bravo["single_threaded"] == 1  # only E3 in 180 days


def test_departure_announced_after_the_day_is_not_yet_departing(world):
    before_announcement = compute_features(dt.date(2026, 6, 14))
    assert before_announcement.loc[world.alpha.pk, "owner_departing"] == 0


def test_a_chunk_describes_only_its_id_range(world):
    chunk = compute_features(AS_OF, CustomerSelection(id_from=world.bravo.pk, id_to=world.bravo.pk))
    assert list(chunk.index) == [world.bravo.pk]
    assert chunk.loc[world.bravo.pk, "interactions_90d"] == 9


def test_a_departed_owner_counts_for_180_days_after_they_left():
    from customers.models import OwnerRole, OwnershipPeriod
    from staff.models import Employee
    from tests.factories import CustomerFactory, EmployeeFactory

    left = EmployeeFactory(status=Employee.Status.DEPARTED, departure_date=dt.date(2026, 1, 31))
    customer = CustomerFactory(customer_since=dt.date(2024, 1, 1))
    OwnershipPeriod.objects.create(
        customer=customer,
        employee=left,
        role=OwnerRole.PRIMARY,
        started_on=dt.date(2024, 1, 1),
        ended_on=dt.date(2026, 1, 31),
    )
    # "The last 180 days" of 2026-07-29 are 2026-01-31 .. 2026-07-29; of 2026-07-30 not.
    last_day_in = compute_features(dt.date(2026, 7, 29)).loc[customer.pk]
    first_day_out = compute_features(dt.date(2026, 7, 30)).loc[customer.pk]
    assert (last_day_in["owner_departed_180d"], first_day_out["owner_departed_180d"]) == (1, 0)
    assert last_day_in["owner_departed_on"] == pd.Timestamp("2026-01-31")
    assert last_day_in["owner_changed_90d"] == 0  # the change itself was long before
