"""A company nobody here tuned the features for: monthly subscriptions, product usage as
daily totals, a few e-mails, no satisfaction ratings, no contacts. Deterministic per seed.

Churners fade first: in the 60 days before they leave their "reports_run" falls to a
tenth and their logins to a half; their monthly contract is not renewed after the churn
date (its last month ends on the churn date). Everyone else renews every month."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from customers.models import Contract, Customer, Interaction, UsageDay
from retention.bulk import write_frame
from tests.factories import EmployeeFactory

AS_OF = dt.date(2026, 6, 30)


@dataclass
class Company:
    start: dt.date
    customers: int
    churned: int


def build_company(
    *,
    customers: int = 240,
    days: int = 300,
    monthly_churn: float = 0.04,
    contracts: bool = True,
    interactions: bool = True,
    seed: int = 3,
    as_of: dt.date = AS_OF,
) -> Company:
    rng = np.random.default_rng(seed)
    start = as_of - dt.timedelta(days=days)
    owner = EmployeeFactory(name="Sim Owner")
    since = [start + dt.timedelta(days=int(d)) for d in rng.integers(0, 30, customers)]
    # Churn day: exponential hazard from the start; beyond as_of = still a customer.
    lifetime = rng.exponential(30 / monthly_churn, customers).astype(int) + 45
    churn_on = [s + dt.timedelta(days=int(life)) for s, life in zip(since, lifetime, strict=True)]
    churned = [c if c <= as_of else None for c in churn_on]
    Customer.objects.bulk_create(
        [
            Customer(
                name=f"Sim {i}",
                external_id=f"SIM-{i:05d}",
                segment="general",
                customer_since=since[i],
                primary_owner=owner,
                status=Customer.Status.CHURNED if churned[i] else Customer.Status.ACTIVE,
                churned_on=churned[i],
                churn_reason="price" if churned[i] else "",
            )
            for i in range(customers)
        ]
    )
    ids = dict(Customer.objects.values_list("external_id", "id"))
    customer_ids = [ids[f"SIM-{i:05d}"] for i in range(customers)]

    if contracts:
        rows = []
        for i in range(customers):
            begin = pd.Timestamp(since[i])
            end_of_life = pd.Timestamp(churned[i] or as_of + dt.timedelta(days=40))
            month = 0
            while True:
                first = begin + pd.DateOffset(months=month)
                if first > end_of_life or first.date() > as_of:
                    break
                last = begin + pd.DateOffset(months=month + 1) - pd.Timedelta(days=1)
                if churned[i] and last > end_of_life:
                    last = end_of_life
                rows.append(
                    {
                        "customer_id": customer_ids[i],
                        "external_id": f"SIM-K-{i}-{month}",
                        "start_date": first.date(),
                        "end_date": last.date(),
                        "annual_value": 1200,
                        "currency": "EUR",
                        "kind": Contract.Kind.SUBSCRIPTION,
                        "status": Contract.Status.ACTIVE,
                        "auto_renew": True,
                        "created_at": pd.Timestamp.now(tz="UTC"),
                        "updated_at": pd.Timestamp.now(tz="UTC"),
                    }
                )
                month += 1
        write_frame(Contract, pd.DataFrame(rows))

    usage = []
    for i in range(customers):
        last_day = churned[i] or as_of
        span = pd.date_range(since[i], last_day, freq="D")
        if not len(span):
            continue
        used = span[rng.random(len(span)) < 0.6]
        fade_from = pd.Timestamp(churned[i] - dt.timedelta(days=60)) if churned[i] else None
        base_reports = rng.uniform(2, 8)
        base_logins = rng.uniform(3, 12)
        for day in used:
            fading = fade_from is not None and day >= fade_from
            reports = rng.poisson(base_reports * (0.1 if fading else 1.0))
            logins = rng.poisson(base_logins * (0.5 if fading else 1.0))
            if reports:
                usage.append((customer_ids[i], day.date(), "reports_run", float(reports)))
            if logins:
                usage.append((customer_ids[i], day.date(), "logins", float(logins)))
    frame = pd.DataFrame(usage, columns=["customer_id", "day", "event", "quantity"])
    frame["updated_at"] = pd.Timestamp.now(tz="UTC")
    write_frame(UsageDay, frame)

    if interactions:
        notes = []
        for i in range(customers):
            last_day = churned[i] or as_of
            count = max(1, (last_day - since[i]).days // 45)
            for k in range(count):
                offset = int(rng.integers(0, max(1, (last_day - since[i]).days)))
                moment = dt.datetime.combine(
                    since[i] + dt.timedelta(days=offset), dt.time(10), tzinfo=dt.UTC
                )
                notes.append(
                    {
                        "customer_id": customer_ids[i],
                        "employee_id": owner.pk,
                        "kind": Interaction.Kind.EMAIL,
                        "direction": Interaction.Direction.OUTBOUND,
                        "happened_at": moment,
                        "notes": "",
                        "external_id": f"SIM-I-{i}-{k}",
                        "created_at": pd.Timestamp.now(tz="UTC"),
                    }
                )
        write_frame(Interaction, pd.DataFrame(notes))
    return Company(start=start, customers=customers, churned=sum(1 for c in churned if c))
