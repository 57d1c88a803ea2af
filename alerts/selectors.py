"""Reads for alerts between nightly runs.

A sign is computed from the night's figures; what people log during the day can already
meet the condition it names (a renewal talk answers "no renewal talk logged", a call
answers "no contact for N days"). `conditions_met` says so, from the interactions logged
since the latest complete scoring run started, so the pages stop asking for what was
done and offer to resolve the alert in place. The next nightly run closes it for good."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Interaction
from customers.selectors import latest_scoring_run

Kind = Interaction.Kind
RENEWAL = frozenset({Kind.RENEWAL_TALK})
CONTACT = frozenset({Kind.CALL, Kind.MEETING, Kind.VISIT, Kind.RENEWAL_TALK, Kind.EMAIL})

# sign -> the interaction kinds that meet its condition, and what to say.
MET_BY = {
    "contract_ending_90": (RENEWAL, _("Renewal talk logged on %(day)s")),
    "contract_ending_180": (RENEWAL, _("Renewal talk logged on %(day)s")),
    "no_recent_contact": (CONTACT, _("Contact logged on %(day)s")),
}


@dataclass(frozen=True)
class ConditionMet:
    signal: str
    day: dt.date

    @property
    def text(self) -> str:
        from django.utils.formats import date_format

        return str(MET_BY[self.signal][1] % {"day": date_format(self.day)})


def conditions_met(
    customer_ids: list[int], signals: set[str] | None = None
) -> dict[tuple[int, str], ConditionMet]:
    """(customer id, sign) -> what met the sign's condition since the latest run; one
    query over the interactions of these customers (index customer, happened_at)."""
    run = latest_scoring_run()
    wanted = {s: MET_BY[s] for s in (signals or MET_BY) if s in MET_BY}
    if run is None or not customer_ids or not wanted:
        return {}
    kinds = set().union(*(k for k, _ in wanted.values()))
    since = run.started_at
    latest = (
        Interaction.objects.filter(
            customer_id__in=customer_ids,
            kind__in=kinds,
            happened_at__gte=since - dt.timedelta(days=180),
            created_at__gte=since,
        )
        .values("customer_id", "kind")
        .annotate(last=Max("happened_at"))
    )
    met: dict[tuple[int, str], ConditionMet] = {}
    for row in latest:
        day = timezone.localtime(row["last"]).date()
        for signal, (signal_kinds, _text) in wanted.items():
            key = (row["customer_id"], signal)
            if row["kind"] in signal_kinds and (key not in met or met[key].day < day):
                met[key] = ConditionMet(signal, day)
    return met
