"""The manager dashboard's nightly figures as tables, so the dashboard reads a few hundred
rows however large the company is (computed by customers/figures/nightly.py).

- TierFigure: customers, annual value and revenue at risk by risk tier and team, from a
  scoring day's scores.
- ChurnFigure: per month, customers (and contract value) active at the start and lost
  during the month, by team, owner, region and segment.
- ExposureFigure: the key-person exposure report (handover/selectors.py) for the day."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


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
