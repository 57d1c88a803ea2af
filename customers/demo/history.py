"""Two years of one chunk of customers: who they are, their contacts, contracts,
owners, and interactions, with the trouble that makes some of them churn (vectorised
with numpy, written with COPY)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils import timezone

from customers.demo.names import (
    FIRST_NAMES,
    HISTORY_DAYS,
    INDUSTRIES,
    LAST_NAMES,
    ORDINARY_KINDS,
    ORDINARY_SHARES,
    RATED,
    TROUBLE_CONTACT,
    TROUBLE_DISENGAGE,
    TROUBLE_NONE,
    TROUBLE_OWNER,
    TROUBLE_PRICE,
    TROUBLE_REASON,
    TROUBLE_SERVICE,
    company_names,
)
from customers.demo.staff import DemoSummary, StaffPlan
from customers.models import (
    ChurnReason,
    Contact,
    Contract,
    Customer,
    Interaction,
    OwnerRole,
    OwnershipPeriod,
    OwnershipReason,
    Segment,
)
from retention.bulk import write_frame


def generate_chunk(
    rng,
    offset: int,
    n: int,
    staff: StaffPlan,
    start: dt.date,
    as_of: dt.date,
    per_customer_target: float,
    ids_next: dict[str, int],
    summary: DemoSummary,
) -> None:
    H = HISTORY_DAYS
    cust_id = np.arange(offset + 1, offset + n + 1)

    # --- who they are -------------------------------------------------------------------
    # Tenure: 75% were customers before the history window, 25% joined during it.
    joined_before = rng.random(n) < 0.75
    since = np.where(joined_before, -rng.integers(1, 2500, n), rng.integers(0, H - 45, n))
    value = np.round(np.exp(rng.normal(9.9, 1.1, n)), -2).clip(1200, 2_000_000)
    rank = value.argsort().argsort() / max(n - 1, 1)
    segment = np.where(
        rank >= 0.90, Segment.CORE, np.where(rank >= 0.60, Segment.IMPORTANT, Segment.GENERAL)
    )
    auto_renew = rng.random(n) < 0.25
    activity = np.exp(rng.normal(0, 0.35, n))
    base_rate = (
        np.select([segment == Segment.CORE, segment == Segment.IMPORTANT], [2.2, 1.5], 1.0)
        * activity
    )

    # Owners: key employees get most of the core customers (that is what makes them key).
    am = np.flatnonzero(staff.is_am)
    weights_core = np.where(staff.key[am], 4.0, 1.0)
    primary = np.where(
        segment == Segment.CORE,
        rng.choice(am, n, p=weights_core / weights_core.sum()),
        rng.choice(am, n),
    )
    # Customers who joined after their would-be owner left go to the successor.
    left_before = (staff.departed_on[primary] >= 0) & (staff.departed_on[primary] <= since)
    primary = np.where(left_before, staff.successor[primary], primary)
    wants_secondary = rng.random(n) < np.select(
        [segment == Segment.CORE, segment == Segment.IMPORTANT], [0.6, 0.35], 0.1
    )
    secondary = rng.choice(am, n)
    secondary = np.where(
        wants_secondary & (secondary != primary) & (staff.departed_on[secondary] < 0), secondary, -1
    )

    # --- trouble ------------------------------------------------------------------------
    trouble = np.full(n, TROUBLE_NONE)
    onset = np.full(n, 10**6)
    first_day = np.maximum(since, 0)
    troubled = rng.random(n) < 0.30
    onset_candidate = (
        first_day + 60 + (rng.random(n) * np.maximum(H - first_day - 40, 1)).astype(int)
    )
    kinds = rng.choice(
        [TROUBLE_DISENGAGE, TROUBLE_SERVICE, TROUBLE_PRICE, TROUBLE_CONTACT],
        n,
        p=[0.35, 0.25, 0.25, 0.15],
    )
    troubled &= onset_candidate < H
    trouble = np.where(troubled, kinds, trouble)
    onset = np.where(troubled, onset_candidate, onset)
    # An owner leaving shakes single-threaded customers far more than well-covered ones.
    owner_left = staff.departed_on[primary]
    owner_switch = np.where(owner_left >= 0, owner_left, 10**6)
    shaken = (
        (owner_left >= 0)
        & (owner_left > since)
        & (rng.random(n) < np.where(secondary < 0, 0.55, 0.2))
    )
    owner_onset = owner_left + rng.integers(0, 30, n)
    take_owner = shaken & (owner_onset < onset)
    trouble = np.where(take_owner, TROUBLE_OWNER, trouble)
    onset = np.where(take_owner, owner_onset, onset)
    has_trouble = trouble != TROUBLE_NONE
    will_churn = has_trouble & (rng.random(n) < 0.7)

    # Contracts renew yearly on the anniversary of `since`.
    # First contract end after onset + 45 days (the customer says no at the renewal).
    after = onset + 45
    k = np.ceil((after - since) / 365.0)
    next_end = since + k * 365
    explicit = (
        will_churn & (next_end - onset <= 330) & (rng.random(n) < np.where(auto_renew, 0.5, 0.85))
    )
    churn_day = np.where(explicit, next_end, onset + rng.integers(60, 200, n))
    churn_day = np.where(will_churn, churn_day, 10**6)
    # Background churn of healthy customers (business closed and the like): ~2% a year.
    quiet = ~has_trouble & (rng.random(n) < 0.04)
    quiet_day = first_day + (rng.random(n) * (H - first_day)).astype(int)
    churn_day = np.where(quiet, quiet_day, churn_day)
    churned = churn_day < H
    active_until = np.where(churned, churn_day, H)

    reasons = np.empty(n, dtype=object)
    for code, options in TROUBLE_REASON.items():
        mask = trouble == code
        reasons[mask] = rng.choice(np.array([o.value for o in options]), int(mask.sum()))
    reasons = np.where(
        explicit & churned & (trouble != TROUBLE_OWNER), ChurnReason.CONTRACT_EXPIRED.value, reasons
    )

    # Current owner after departures (the successor took the book on the departure day).
    current_primary = np.where(owner_switch <= H, staff.successor[primary], primary)
    secondary = np.where(secondary == current_primary, -1, secondary)
    has_secondary = secondary >= 0
    customers_df = pd.DataFrame(
        {
            "id": cust_id,
            "name": company_names(rng, cust_id),
            "external_id": [f"C{i:07d}" for i in cust_id],
            "segment": segment,
            "industry": rng.choice(INDUSTRIES, n),
            "region": [staff.team_region[t] for t in staff.team_of[current_primary]],
            "customer_since": _dates(start, since),
            "primary_owner_id": staff.ids[current_primary],
            "secondary_owner_id": np.where(
                secondary >= 0, staff.ids[np.maximum(secondary, 0)], None
            ),
            "status": np.where(
                churned, Customer.Status.CHURNED.value, Customer.Status.ACTIVE.value
            ),
            "churned_on": np.where(churned, _dates(start, np.minimum(churn_day, H)), None),
            "churn_reason": np.where(churned, reasons, ""),
            "churn_reason_detail": "",
        }
    )
    _stamp(customers_df)
    write_frame(Customer, customers_df)
    summary.customers += n
    summary.churned += int(churned.sum())

    # --- ownership history ----------------------------------------------------------------
    rows = []
    started_primary = np.maximum(since, -3650)
    switched = owner_switch <= H
    rows.append(
        pd.DataFrame(
            {
                "customer_id": cust_id,
                "employee_id": staff.ids[primary],
                "role": OwnerRole.PRIMARY.value,
                "started_on": _dates(start, started_primary),
                "ended_on": np.where(switched, _dates(start, np.minimum(owner_switch, H)), None),
                "reason": "",
            }
        )
    )
    if switched.any():
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": cust_id[switched],
                    "employee_id": staff.ids[staff.successor[primary[switched]]],
                    "role": OwnerRole.PRIMARY.value,
                    "started_on": _dates(start, owner_switch[switched]),
                    "ended_on": None,
                    "reason": OwnershipReason.OWNER_LEFT,
                }
            )
        )
    rows.append(
        pd.DataFrame(
            {
                "customer_id": cust_id[has_secondary],
                "employee_id": staff.ids[secondary[has_secondary]],
                "role": OwnerRole.SECONDARY.value,
                "started_on": _dates(start, started_primary[has_secondary]),
                "ended_on": None,
                "reason": "",
            }
        )
    )
    ownership = pd.concat(rows, ignore_index=True)
    ownership.insert(
        0, "id", np.arange(ids_next["ownership"], ids_next["ownership"] + len(ownership))
    )
    ownership["changed_by_id"] = None
    ownership["created_at"] = timezone.now()
    ids_next["ownership"] += len(ownership)
    write_frame(OwnershipPeriod, ownership)
    summary.ownership_periods += len(ownership)

    # --- contacts ---------------------------------------------------------------------------
    n_contacts = np.select([segment == Segment.CORE, segment == Segment.IMPORTANT], [4, 3], 2) - (
        rng.random(n) < 0.4
    )
    contact_customer = np.repeat(np.arange(n), n_contacts)
    position = np.arange(len(contact_customer)) - np.repeat(
        np.cumsum(n_contacts) - n_contacts, n_contacts
    )
    contact_ids = np.arange(ids_next["contact"], ids_next["contact"] + len(contact_customer))
    ids_next["contact"] += len(contact_customer)
    # The decision-maker (position 0) leaves for "contact" trouble; a few others leave anyway.
    dm_left = (position == 0) & (trouble[contact_customer] == TROUBLE_CONTACT)
    other_left = (position > 1) & (rng.random(len(contact_customer)) < 0.15)
    left_day = np.where(
        dm_left,
        onset[contact_customer],
        first_day[contact_customer]
        + (rng.random(len(contact_customer)) * (H - first_day[contact_customer])).astype(int),
    )
    left = (dm_left | other_left) & (left_day < H)
    # A customer always keeps one steady contact (position 1, or 0 where nobody leaves).
    first = rng.choice(FIRST_NAMES, len(contact_customer))
    last = rng.choice(LAST_NAMES, len(contact_customer))
    contacts_df = pd.DataFrame(
        {
            "id": contact_ids,
            "customer_id": cust_id[contact_customer],
            "external_id": [f"P{i:08d}" for i in contact_ids],
            "name": np.char.add(np.char.add(first.astype(str), " "), last.astype(str)),
            "role": np.where(
                position == 0,
                "Managing Director",
                np.where(position == 1, "Purchasing", "Operations"),
            ),
            "email": [f"contact{i}@customer.example" for i in contact_ids],
            "phone": "",
            "is_decision_maker": position == 0,
            "status": np.where(left, Contact.Status.LEFT.value, Contact.Status.ACTIVE.value),
            "left_on": np.where(left, _dates(start, np.minimum(left_day, H - 1)), None),
            "known_since": _dates(start, since[contact_customer]),
        }
    )
    _stamp(contacts_df)
    write_frame(Contact, contacts_df)
    summary.contacts += len(contacts_df)
    steady_contact = contact_ids[np.cumsum(n_contacts) - n_contacts + np.minimum(1, n_contacts - 1)]

    # --- contracts: yearly terms on the anniversary of `since`, from a year before the window ---
    last_day = np.where(churned, np.where(explicit, churn_day - 1, churn_day), H)
    y_first = np.maximum(0, np.floor((-365 - since) / 365.0)).astype(int)
    y_last = np.floor((last_day - since) / 365.0).astype(int)
    n_years = np.maximum(y_last - y_first + 1, 1)
    contract_customer = np.repeat(np.arange(n), n_years)
    year = (
        y_first[contract_customer]
        + np.arange(len(contract_customer))
        - np.repeat(np.cumsum(n_years) - n_years, n_years)
    )
    c_start = since[contract_customer] + year * 365
    c_end = c_start + 364
    is_last = year == y_last[contract_customer]
    c_churned = churned[contract_customer]
    c_explicit = explicit[contract_customer]
    cancelled = is_last & c_churned & ~c_explicit
    expired = is_last & c_churned & c_explicit
    status = np.where(
        ~is_last,
        Contract.Status.RENEWED.value,
        np.where(
            cancelled,
            Contract.Status.CANCELLED.value,
            np.where(expired, Contract.Status.EXPIRED.value, Contract.Status.ACTIVE.value),
        ),
    )
    # Cancelled mid-term: the contract ends on the churn date.
    c_end = np.where(cancelled, np.maximum(churn_day[contract_customer], c_start), c_end)
    growth = 1.03 ** (year - y_first[contract_customer])
    contract_ids = np.arange(ids_next["contract"], ids_next["contract"] + len(contract_customer))
    ids_next["contract"] += len(contract_customer)
    contracts_df = pd.DataFrame(
        {
            "id": contract_ids,
            "customer_id": cust_id[contract_customer],
            "external_id": [f"K{i:08d}" for i in contract_ids],
            "start_date": _dates(start, c_start),
            "end_date": _dates(start, c_end),
            "annual_value": np.round(value[contract_customer] * growth, 2),
            "currency": settings.REPORTING_CURRENCY,
            "annual_value_reporting": np.round(value[contract_customer] * growth, 2),
            "kind": Contract.Kind.SUBSCRIPTION.value,
            "status": status,
            "auto_renew": auto_renew[contract_customer],
            "renewal_of_id": np.where(
                year > y_first[contract_customer], (contract_ids - 1).astype(object), None
            ),
        }
    )
    _stamp(contracts_df)
    write_frame(Contract, contracts_df)
    summary.contracts += len(contracts_df)

    # --- interactions -------------------------------------------------------------------------
    window_start = first_day
    window_end = np.minimum(active_until, H)
    days = np.maximum(window_end - window_start, 0)
    # Scale ordinary rates so the whole company lands near the requested interaction total.
    expected = base_rate * days
    scale = per_customer_target * n / max(expected.sum(), 1.0)
    ordinary_count = rng.poisson(expected * scale)
    icust = np.repeat(np.arange(n), ordinary_count)
    t = window_start[icust] + rng.random(len(icust)) * days[icust]
    # Disengagement and owner loss thin out contact after the onset; other trouble less so.
    keep_after = np.select(
        [
            trouble[icust] == TROUBLE_DISENGAGE,
            trouble[icust] == TROUBLE_OWNER,
            trouble[icust] == TROUBLE_CONTACT,
        ],
        [0.25, 0.4, 0.6],
        0.85,
    )
    keep = (t < onset[icust]) | (rng.random(len(icust)) < keep_after)
    icust, t = icust[keep], t[keep]
    kind = rng.choice(ORDINARY_KINDS, len(icust), p=ORDINARY_SHARES)

    extra_c, extra_t, extra_k = [], [], []

    def add(mask: np.ndarray, count: np.ndarray, lo: np.ndarray, hi: np.ndarray, what: str) -> None:
        count = np.where(mask, count, 0)
        who = np.repeat(np.arange(n), count)
        span = np.maximum(hi[who] - lo[who], 1)
        extra_c.append(who)
        extra_t.append(lo[who] + rng.random(len(who)) * span)
        extra_k.append(np.full(len(who), what))

    end_of_trouble = np.minimum(window_end, onset + 150)
    add(trouble == TROUBLE_SERVICE, rng.integers(2, 5, n), onset, end_of_trouble, "complaint")
    add(trouble == TROUBLE_SERVICE, rng.integers(2, 5, n), onset, end_of_trouble, "support_ticket")
    add(
        trouble == TROUBLE_PRICE,
        rng.integers(1, 3, n),
        onset,
        np.minimum(window_end, onset + 70),
        "discount_request",
    )
    add(trouble == TROUBLE_OWNER, rng.integers(0, 2, n), onset, end_of_trouble, "complaint")
    # Noise: healthy customers complain or haggle now and then too.
    add(rng.random(n) < 0.25, np.ones(n, dtype=int), window_start, window_end, "complaint")
    add(rng.random(n) < 0.12, np.ones(n, dtype=int), window_start, window_end, "discount_request")
    # Renewal talks 30-150 days before each contract end, unless the customer is in trouble.
    renewal_end = c_end[~cancelled]
    renewal_cust = contract_customer[~cancelled]
    talk_at = renewal_end - rng.integers(30, 150, len(renewal_end))
    in_trouble_then = talk_at >= onset[renewal_cust]
    talks = (
        (rng.random(len(renewal_end)) < np.where(in_trouble_then, 0.15, 0.9))
        & (talk_at >= window_start[renewal_cust])
        & (talk_at < window_end[renewal_cust])
    )
    extra_c.append(renewal_cust[talks])
    extra_t.append(talk_at[talks] + rng.random(int(talks.sum())))
    extra_k.append(np.full(int(talks.sum()), "renewal_talk"))

    icust = np.concatenate([icust, *extra_c])
    t = np.concatenate([t, *extra_t])
    kind = np.concatenate([kind, *extra_k])
    valid = (t >= window_start[icust]) & (t < np.minimum(window_end[icust] + 1, H))
    icust, t, kind = icust[valid], t[valid], kind[valid]
    m = len(icust)

    # Who handled it: the owner of the day, sometimes the secondary or a teammate; none for usage.
    owner_then = np.where(t >= owner_switch[icust], staff.successor[primary[icust]], primary[icust])
    roll = rng.random(m)
    sec = secondary[icust]
    handler = np.where((roll < 0.2) & (sec >= 0), sec, owner_then)
    teammate = rng.choice(am, m)
    handler = np.where((roll > 0.95) & (secondary[icust] >= 0), teammate, handler)
    employee = np.where(kind == "usage", None, staff.ids[handler].astype(object))
    direction = np.select(
        [
            kind == "usage",
            np.isin(kind, ["complaint", "support_ticket", "discount_request"]),
            kind == "note",
        ],
        ["internal", "inbound", "internal"],
        "outbound",
    )
    troubled_now = t >= onset[icust]
    satisfaction_mean = np.where(troubled_now & (trouble[icust] != TROUBLE_PRICE), 4.0, 8.0)
    satisfaction = np.clip(np.round(rng.normal(satisfaction_mean, 1.3)), 1, 10).astype(int)
    rated = np.isin(kind, list(RATED)) & (rng.random(m) < np.where(kind == "survey", 1.0, 0.3))
    satisfaction = np.where(kind == "complaint", np.clip(satisfaction - 3, 1, 10), satisfaction)
    contact = np.where(
        np.isin(kind, ["call", "meeting", "visit", "email", "renewal_talk"])
        & (rng.random(m) < 0.7),
        steady_contact[icust].astype(object),
        None,
    )
    happened = pd.Timestamp(start, tz=dt.UTC) + pd.to_timedelta(
        np.minimum(t, H - 1e-6) * 86400.0, unit="s"
    ).round("s")
    interaction_ids = np.arange(ids_next["interaction"], ids_next["interaction"] + m)
    ids_next["interaction"] += m
    interactions_df = pd.DataFrame(
        {
            "id": interaction_ids,
            "customer_id": cust_id[icust],
            "employee_id": employee,
            "contact_id": contact,
            "kind": kind,
            "direction": direction,
            "happened_at": happened,
            "satisfaction": np.where(rated, satisfaction.astype(object), None),
            "notes": "",
            "external_id": np.char.add("I", interaction_ids.astype(str)),
            "created_at": timezone.now(),
        }
    )
    write_frame(Interaction, interactions_df)
    summary.interactions += m


def _dates(start: dt.date, offsets: np.ndarray) -> np.ndarray:
    base = np.datetime64(start, "D")
    return (base + np.asarray(offsets).astype("int64").astype("timedelta64[D]")).astype(object)


def _stamp(df: pd.DataFrame) -> None:
    now = timezone.now()
    df["created_at"] = now
    df["updated_at"] = now
