"""The manager dashboard's figures, computed once a night after scoring so the dashboard
reads a few hundred rows however large the company is.

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

import pandas as pd
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from customers.scoring.models import RiskScore
from retention.jobs import steps
from retention.months import month_starts, next_month


class TierFigure(models.Model):
    day = models.DateField()
    team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tier = models.PositiveSmallIntegerField()
    customers = models.PositiveIntegerField()
    annual_value = models.DecimalField(max_digits=18, decimal_places=2)
    revenue_at_risk = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["day", "team"], name="tierfigure_day_team")]

    def __str__(self) -> str:
        return f"{self.day} team #{self.team_id} tier {self.tier}: {self.customers}"


class ChurnFigure(models.Model):
    class Dimension(models.TextChoices):
        TEAM = "team", _("Team")
        OWNER = "owner", _("Owner")
        REGION = "region", _("Region")
        SEGMENT = "segment", _("Segment")

    month = models.DateField(help_text=_("First day of the month."))
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    key = models.CharField(
        max_length=160, blank=True, help_text=_("Team or owner id, region, segment.")
    )
    team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    active_start = models.PositiveIntegerField()
    value_start = models.DecimalField(max_digits=18, decimal_places=2)
    lost = models.PositiveIntegerField()
    value_lost = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        indexes = [models.Index(fields=["dimension", "month"], name="churnfigure_dim_month")]

    def __str__(self) -> str:
        return f"{self.month} {self.dimension}={self.key}: {self.lost}/{self.active_start}"


class ExposureFigure(models.Model):
    day = models.DateField()
    employee = models.ForeignKey("staff.Employee", on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(
        "staff.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    customers = models.PositiveIntegerField()
    annual_value = models.DecimalField(max_digits=18, decimal_places=2)
    value_share = models.FloatField()
    value_at_risk = models.DecimalField(max_digits=18, decimal_places=2)
    single_threaded = models.PositiveIntegerField()
    one_contact = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["day", "annual_value"], name="exposurefigure_day_value")]

    def __str__(self) -> str:
        return f"{self.day} {self.employee_id}: {self.annual_value}"


CHURN_MONTHS = 24


def _month_rows(first: dt.date, until: dt.date) -> pd.DataFrame:
    """One GROUP BY over every customer for one month: active at its start (and the value
    of their contracts in force then, whatever became of them later), and of those, lost
    before the month ended (or `until`)."""
    from customers.models import Contract, Customer
    from staff.models import Employee

    end = min(next_month(first), until + dt.timedelta(days=1))
    sql = f"""
        SELECT e.team_id, c.primary_owner_id, c.region, c.segment,
               COUNT(*) AS active_start,
               COALESCE(SUM(v.value), 0) AS value_start,
               SUM(CASE WHEN c.churned_on < %s THEN 1 ELSE 0 END) AS lost,
               COALESCE(SUM(CASE WHEN c.churned_on < %s THEN v.value END), 0) AS value_lost
        FROM {Customer._meta.db_table} c
        LEFT JOIN {Employee._meta.db_table} e ON e.id = c.primary_owner_id
        LEFT JOIN (
            SELECT customer_id, SUM(annual_value_reporting) AS value
            FROM {Contract._meta.db_table}
            WHERE start_date <= %s AND end_date >= %s
            GROUP BY customer_id
        ) v ON v.customer_id = c.id
        WHERE c.customer_since <= %s AND (c.churned_on IS NULL OR c.churned_on >= %s)
        GROUP BY e.team_id, c.primary_owner_id, c.region, c.segment
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [end, end, first, first, first, first])
        columns = [column[0] for column in cursor.description]
        frame = pd.DataFrame(cursor.fetchall(), columns=columns)
    frame["month"] = first
    return frame


def churn_figures(as_of: dt.date, months: int = CHURN_MONTHS) -> list[ChurnFigure]:
    """ChurnFigure rows for the months up to as_of (the current one to date)."""
    frames = [_month_rows(first, as_of) for first in month_starts(as_of, months)]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
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
        RiskScore.objects.filter(day=day, tier__isnull=False)
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


def compute(*, day: dt.date) -> dict[str, int]:
    """Recompute every dashboard figure for `day` (the scoring day). All of it is replaced
    in one transaction, so a re-run, or a run after a killed one, leaves exactly one set."""
    tiers, churn, exposure = tier_figures(day), churn_figures(day), exposure_figures(day)
    with transaction.atomic():
        TierFigure.objects.filter(day=day).delete()
        TierFigure.objects.filter(day__lt=day - dt.timedelta(days=35)).delete()
        refused = _write(TierFigure, tiers, 2000)
        ChurnFigure.objects.all().delete()
        refused += _write(ChurnFigure, churn, 5000)
        ExposureFigure.objects.exclude(day__gt=day).delete()
        refused += _write(ExposureFigure, exposure, 2000)
    return {
        "tier_rows": len(tiers),
        "churn_rows": len(churn),
        "exposure_rows": len(exposure),
        "set_aside": len(refused),
    }


def _write(model, rows: list, batch_size: int) -> list:
    """One bulk insert; a row the database refuses (its team or person deleted since the
    figures were read, a value its column cannot hold) is set aside, the rest written."""
    return steps.write_or_set_aside(
        rows,
        lambda part: model.objects.bulk_create(part, batch_size=batch_size),
        describe=lambda row: {
            "model": str(model._meta.verbose_name),
            "key": str(row)[:200],
        },
    )
