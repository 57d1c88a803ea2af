"""What the customer page shows: how much of the record a person may see, the risk
header and history, and the timeline of interactions, contracts and owner changes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from customers.models import Contract, Customer, Interaction, OwnershipPeriod, RiskScore
from customers.selectors import risk_histories
from customers.templatetags.risk import money
from staff.access import customer_scope, employee_of, role_of

FULL, VALUES, NAME = "full", "values", "name"


def access_level(user, customer: Customer) -> str | None:
    """How much of `customer` the user sees: the whole record (owners, their managers,
    admins), names and values (HR, for customers in a handover plan), the name only
    (other account managers and managers: who owns it, nothing more), or nothing."""
    role = role_of(user)
    scope = customer_scope(role, employee_of(user))
    in_scope = scope is None or Customer.objects.filter(scope, pk=customer.pk).exists()
    if in_scope:
        return VALUES if role == "hr" else FULL
    if role in ("account_manager", "manager"):
        return NAME
    return None


def contract_value(customer: Customer, as_of: dt.date | None = None):
    """The annual value of the customer's contracts in force today, in the reporting
    currency (what a reader who sees values but not scores is shown); None without one."""
    from django.db.models import Sum
    from django.utils import timezone

    as_of = as_of or timezone.localdate()
    return customer.contracts.filter(start_date__lte=as_of, end_date__gte=as_of).aggregate(
        value=Sum("annual_value_reporting")
    )["value"]


@dataclass
class RiskView:
    score: RiskScore | None
    history: list[tuple[dt.date, float]] = field(default_factory=list)
    as_of: dt.date | None = None  # the latest run's day (the score may have begun earlier)

    @property
    def change_30_days(self) -> float | None:
        """Probability now minus 30 days before (or the oldest score within them)."""
        if self.score is None or len(self.history) < 2:
            return None
        cutoff = (self.as_of or self.score.day) - dt.timedelta(days=30)
        earlier = next((p for day, p in self.history if day >= cutoff), None)
        return None if earlier is None else self.score.probability - earlier


def risk_view(customer: Customer, *, run_day: dt.date | None, days: int = 180) -> RiskView:
    """The customer's score in the latest run and their daily history before it."""
    if run_day is None:
        return RiskView(None)
    history = risk_histories([customer.pk], until=run_day, days=days)[customer.pk]
    current = RiskScore.objects.on_day(run_day).filter(customer=customer).first()
    return RiskView(current, history, as_of=run_day)


@dataclass
class Event:
    at: dt.datetime | dt.date
    kind: str  # interaction | contract | owner
    title: str
    detail: str = ""
    who: str = ""
    satisfaction: int | None = None

    @property
    def sort_key(self) -> dt.datetime:
        if isinstance(self.at, dt.datetime):
            return self.at.replace(tzinfo=None)
        return dt.datetime.combine(self.at, dt.time.max)


def timeline(
    customer: Customer, *, page: str | None, per_page: int = 25, notes: bool = True
) -> tuple[Page, list[Event]]:
    """One page of the customer's interactions, newest first, with the contracts and
    owner changes that fall between them: the story of the relationship."""
    interactions = (
        Interaction.objects.filter(customer=customer)
        .select_related("employee", "contact")
        .order_by("-happened_at", "-id")
    )
    current = Paginator(interactions, per_page).get_page(page)
    rows = list(current.object_list)
    newest = rows[0].happened_at.date() if rows and current.has_previous() else None
    oldest = rows[-1].happened_at.date() if rows and current.has_next() else None

    def in_window(day: dt.date) -> bool:
        return (newest is None or day <= newest) and (oldest is None or day >= oldest)

    events = [
        Event(
            at=row.happened_at,
            kind="interaction",
            title=(
                _("%(kind)s with %(contact)s")
                % {"kind": row.get_kind_display(), "contact": row.contact.name}
                if row.contact
                else row.get_kind_display()
            ),
            detail=row.notes if notes else "",
            who=row.employee.name if row.employee else "",
            satisfaction=row.satisfaction,
        )
        for row in rows
    ]
    for contract in Contract.objects.filter(customer=customer):
        if in_window(contract.start_date):
            events.append(
                Event(
                    at=contract.start_date,
                    kind="contract",
                    title=_("Contract %(id)s started (%(kind)s)")
                    % {
                        "id": contract.external_id,
                        "kind": str(contract.get_kind_display()).lower(),
                    },
                    detail=_("%(amount)s a year until %(end)s; %(status)s")
                    % {
                        "amount": money(contract.annual_value, contract.currency),
                        "end": date_format(contract.end_date),
                        "status": str(contract.get_status_display()).lower(),
                    },
                )
            )
    for period in OwnershipPeriod.objects.filter(customer=customer).select_related(
        "employee", "changed_by"
    ):
        if in_window(period.started_on):
            events.append(
                Event(
                    at=period.started_on,
                    kind="owner",
                    title=_("%(name)s became %(role)s")
                    % {
                        "name": period.employee.name,
                        "role": str(period.get_role_display()).lower(),
                    },
                    detail=period.reason_text,
                    who=period.changed_by.name if period.changed_by else "",
                )
            )
    events.sort(key=lambda event: event.sort_key, reverse=True)
    return current, events
