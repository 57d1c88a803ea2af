"""The manager dashboard's figures (customers/figures/models.py), computed once a night
after scoring so the dashboard reads a few hundred rows however large the company is.

- TierFigure: customers, annual value and revenue at risk by risk tier and team, from a
  scoring day's scores.
- ChurnFigure: per month, customers (and contract value) active at the start and lost
  during the month, by team, owner, region and segment. A quarter or year is its first
  month's start and the sum of its months' losses, so one table serves all three.
- ExposureFigure: the key-person exposure report (handover/selectors.py) for the day.

Customers count towards the team of their current primary owner (and that owner)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import reduce
from operator import or_

import numpy as np
import pandas as pd
from django.db import models, transaction
from django.db.models import Q

from customers.figures import changes
from customers.figures.changes import ChurnPlan
from customers.figures.models import ChurnFigure, ExposureFigure, TierFigure
from customers.scoring.models import RiskScore, ScoringRun
from retention.jobs import steps
from retention.months import month_starts, next_month

CHURN_MONTHS = 24


def _month_rows(firsts: list[dt.date], until: dt.date, teams=None) -> pd.DataFrame:
    """Per month and (team, owner, region, segment): the customers active at its start
    (and the value of their contracts in force then, whatever became of them later), and
    of those, the ones lost before the month ended (or `until`). `teams`: only the
    customers counted towards those teams (None: every customer).

    Customers and the contracts that overlap the months are read once (two COPYs) and
    every month is counted in numpy: one pass over each table instead of a GROUP BY over
    all customers and contracts per month. Money is summed in whole cents, exactly."""
    from customers.figures.changes import of_teams
    from customers.models import Contract, Customer
    from retention.bulk import read_frame

    if not firsts:
        return pd.DataFrame()
    keys = ["team_id", "primary_owner_id", "region", "segment"]
    chosen, chosen_contracts = Customer.objects.all(), Contract.objects.all()
    if teams is not None:
        chosen = chosen.filter(of_teams(teams))
        chosen_contracts = chosen_contracts.filter(of_teams(teams, prefix="customer__"))
    customers = read_frame(
        chosen.order_by("id").values_list(
            "id",
            "customer_since",
            "churned_on",
            "primary_owner__team_id",
            "primary_owner_id",
            "region",
            "segment",
        ),
        ["id", "since", "churned", *keys],
        text=("region", "segment"),
    )
    if customers.empty:
        return pd.DataFrame()
    customers["region"] = customers["region"].fillna("")
    contracts = read_frame(
        chosen_contracts.filter(end_date__gte=firsts[0], start_date__lte=firsts[-1])
        .order_by()
        .values_list("customer_id", "start_date", "end_date", "annual_value_reporting"),
        ["customer_id", "start", "end", "value"],
    )
    ids = customers["id"].to_numpy(dtype="int64")
    since = _days(customers["since"])
    churned = _days(customers["churned"])  # NaT -> the largest date: never churned
    owner_of = np.searchsorted(ids, contracts["customer_id"].to_numpy(dtype="int64"))
    start, end = _days(contracts["start"]), _days(contracts["end"])
    cents = np.rint(contracts["value"].astype("float64").fillna(0.0).to_numpy() * 100)
    # One code per (team, owner, region, segment) combination.
    group = customers.groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
    first_row = pd.Series(np.arange(len(customers))).groupby(group).first().to_numpy()
    labels = customers[keys].iloc[first_row].reset_index(drop=True)
    n_groups = len(first_row)

    frames = []
    for first in firsts:
        stop = min(next_month(first), until + dt.timedelta(days=1))
        day, stop_day = _day_number(first), _day_number(stop)
        in_force = (start <= day) & (end >= day)
        value = np.bincount(owner_of[in_force], weights=cents[in_force], minlength=len(ids))
        active = (since <= day) & (churned >= day)
        lost = active & (churned < stop_day)
        counts = np.bincount(group[active], minlength=n_groups)
        frame = labels.copy()
        frame["active_start"] = counts
        frame["value_start"] = np.bincount(group[active], weights=value[active], minlength=n_groups)
        frame["lost"] = np.bincount(group[lost], minlength=n_groups)
        frame["value_lost"] = np.bincount(group[lost], weights=value[lost], minlength=n_groups)
        frame["month"] = first
        frames.append(frame[counts > 0])
    data = pd.concat(frames, ignore_index=True)
    if max(data["value_start"].max(), 0) >= 2**53:
        raise OverflowError("Contract values too large to sum exactly in cents.")
    for column in ("value_start", "value_lost"):
        data[column] = [Decimal(int(c)) / 100 for c in data[column]]
    return data


EPOCH = np.datetime64("1970-01-01", "D")
NEVER = np.iinfo("int64").max


def _day_number(day: dt.date) -> int:
    return int((np.datetime64(day, "D") - EPOCH).astype("int64"))


def _days(dates: pd.Series) -> np.ndarray:
    """Dates as day numbers; an empty date as NEVER."""
    values = pd.to_datetime(dates).to_numpy().astype("datetime64[D]")
    days = (values - EPOCH).astype("int64")
    return np.where(np.isnat(values), NEVER, days)


def churn_figures(
    as_of: dt.date, months: int = CHURN_MONTHS, plan: ChurnPlan | None = None
) -> list[ChurnFigure]:
    """ChurnFigure rows for the months up to as_of (the current one to date); with a plan
    that is not whole, only its teams' rows from its first month (changes.py)."""
    firsts = month_starts(as_of, months)
    teams = None
    if plan is not None and not plan.whole:
        if not plan.teams:
            return []
        teams = set(plan.teams)
        firsts = [first for first in firsts if first >= plan.first_month]
    data = _month_rows(firsts, as_of, teams)
    if data.empty:
        return []
    for column in ("value_start", "value_lost"):
        data[column] = data[column].map(lambda v: Decimal(str(v or 0)))
    data["team_id"] = data["team_id"].astype("Int64")
    data["primary_owner_id"] = data["primary_owner_id"].astype("Int64")
    sums = ["active_start", "value_start", "lost", "value_lost"]
    rows = []
    for dimension, keys in (
        ("team", ["team_id"]),
        ("owner", ["primary_owner_id", "team_id"]),
        ("region", ["region", "team_id"]),
        ("segment", ["segment", "team_id"]),
    ):
        grouped = data.groupby(["month", *keys], dropna=False)[sums].sum().reset_index()
        for record in grouped.to_dict("records"):
            key = record[keys[0]]
            team = record["team_id"]
            rows.append(
                ChurnFigure(
                    month=record["month"],
                    dimension=dimension,
                    key="" if pd.isna(key) else str(key),
                    team_id=None if pd.isna(team) else int(team),
                    active_start=int(record["active_start"]),
                    value_start=record["value_start"],
                    lost=int(record["lost"]),
                    value_lost=record["value_lost"],
                )
            )
    return rows


def tier_figures(day: dt.date) -> list[TierFigure]:
    rows = (
        _scores_on(day)
        .filter(tier__isnull=False)
        .values("customer__primary_owner__team_id", "tier")
        .annotate(
            customers=models.Count("id"),
            annual_value=models.Sum("annual_value"),
            revenue_at_risk=models.Sum("revenue_at_risk"),
        )
    )
    return [
        TierFigure(
            day=day,
            team_id=row["customer__primary_owner__team_id"],
            tier=row["tier"],
            customers=row["customers"],
            annual_value=row["annual_value"] or 0,
            revenue_at_risk=row["revenue_at_risk"] or 0,
        )
        for row in rows
    ]


def _scores_on(day: dt.date):
    """The scores that held on `day`. On the latest scored day (the nightly case) those
    are the open rows, read through their partial index instead of the whole history."""
    later = RiskScore.objects.filter(day__gt=day).exists()
    if later or RiskScore.objects.filter(valid_until__gt=day).exists():
        return RiskScore.objects.on_day(day)
    return RiskScore.objects.current()


def exposure_figures(day: dt.date) -> list[ExposureFigure]:
    from handover.selectors import exposure_report
    from staff.models import Employee

    teams = dict(Employee.objects.values_list("id", "team_id"))
    return [
        ExposureFigure(
            day=day,
            employee_id=row.employee_id,
            team_id=teams.get(row.employee_id),
            customers=row.customers,
            annual_value=Decimal(str(round(row.annual_value, 2))),
            value_share=row.value_share,
            value_at_risk=Decimal(str(round(row.value_at_risk, 2))),
            single_threaded=row.single_threaded,
            one_contact=row.one_contact,
        )
        for row in exposure_report(as_of=day)
    ]


def compute(*, day: dt.date) -> dict[str, int | str]:
    """The dashboard figures for `day` (the scoring day): tiers and exposure computed
    again; of the churn figures, the teams and months that changed since the last pass
    (changes.py), the same rows a whole recomputation gives. Written in one transaction
    (the noted changes are taken in it too), so a re-run, or a run after a killed one,
    leaves exactly one set. A day older than the latest complete scoring run (a night
    run late, or again) changes nothing: the figures follow the latest day, as the
    alerts do."""
    if ScoringRun.objects.filter(day__gt=day, status=ScoringRun.Status.COMPLETE).exists():
        return {"skipped": f"a later scoring run than {day} exists; the figures follow the latest"}
    tiers, exposure = tier_figures(day), exposure_figures(day)
    first_month = month_starts(day, CHURN_MONTHS)[0]
    with transaction.atomic():
        plan = changes.plan(day, first_month)
        churn = churn_figures(day, plan=plan)
        TierFigure.objects.filter(day=day).delete()
        TierFigure.objects.filter(day__lt=day - dt.timedelta(days=35)).delete()
        refused = _write(TierFigure, tiers)
        if plan.whole:
            ChurnFigure.objects.all().delete()
        else:
            redone = [Q(team_id=team, month__gte=month) for team, month in plan.teams.items()]
            if redone:
                ChurnFigure.objects.filter(reduce(or_, redone)).delete()
            churn = [row for row in churn if row.month >= plan.teams[row.team_id]]
        refused += _write(ChurnFigure, churn)
        ExposureFigure.objects.exclude(day__gt=day).delete()
        refused += _write(ExposureFigure, exposure)
        changes.remember(day, first_month)
    return {
        "tier_rows": len(tiers),
        "churn_rows": len(churn),
        "churn_whole": int(plan.whole),
        "churn_teams": len(plan.teams),
        "exposure_rows": len(exposure),
        "set_aside": len(refused),
    }


def _write(model, rows: list) -> list:
    """One COPY; a row the database refuses (its team or person deleted since the
    figures were read, a value its column cannot hold) is set aside, the rest written."""
    return steps.write_or_set_aside(
        rows,
        lambda part: _insert(model, part),
        describe=lambda row: {
            "model": str(model._meta.verbose_name),
            "key": str(row)[:200],
        },
    )


def _insert(model, objects: list) -> None:
    """Write unsaved figures with COPY (bulk_create spent seconds preparing 100,000 rows'
    values one field at a time)."""
    from retention.bulk import write_frame

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    rows = [[getattr(o, f.attname) for f in fields] for o in objects]
    write_frame(model, pd.DataFrame(rows, columns=[f.column for f in fields], dtype=object))
