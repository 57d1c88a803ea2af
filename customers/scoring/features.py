"""Point-in-time customer features for churn scoring.

`compute_features(as_of)` describes every customer active on `as_of` using only what was
known by the end of that day: interactions before midnight, contracts that had started,
contacts who had left by then, ownership periods in force, departures announced. Nothing
dated later can change a value, so the same code builds training rows for past dates and
tonight's scores.

All customers at once (or one id range, for a scoring chunk): a handful of aggregate
queries, one per table, joined in pandas. Never a query per customer.

Windows: "in the last N days" means the N calendar days ending with `as_of` (in the
configured time zone); "days since" is the number of calendar days between that day and
`as_of` (0 = the same day)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Func, IntegerField, Max, Min, Q, QuerySet, Sum, Window
from django.db.models.functions import Mod, RowNumber
from django.utils import timezone

from customers.models import (
    Contact,
    Contract,
    Customer,
    Interaction,
    OwnerRole,
    OwnershipPeriod,
    Segment,
    UsageDay,
)
from customers.scoring import interaction_days
from retention.bulk import read_frame
from staff.models import Employee

# The inputs of the trained model, in order. Other columns of the frame (dates, days
# since a complaint, ...) are there for the reasons' wording.
MODEL_FEATURES = [
    "tenure_days",
    "segment_core",
    "segment_important",
    "annual_value",
    "active_contracts",
    "contract_term_days",
    "renewal_within_horizon",
    "term_remaining_share",
    "auto_renew",
    "renewal_talks_180d",
    "interactions_30d",
    "interactions_90d",
    "engagement_ratio",
    "days_since_last_interaction",
    "days_since_last_outbound",
    "days_since_last_activity",
    "complaints_30d",
    "complaints_60d",
    "complaints_90d",
    "support_tickets_30d",
    "support_tickets_60d",
    "support_tickets_90d",
    "discount_requests_60d",
    "latest_satisfaction",
    "satisfaction_change",
    "usage_30d",
    "usage_ratio",
    "active_contacts",
    "decision_maker_left_90d",
    "owner_changed_90d",
    "owner_departing",
    "owner_departed_180d",
    "single_threaded",
]

# Per usage event name (see usage_columns): totals in 7 / 28 / 90 / 365 days, the trend of
# the last 28 days against the 28 before (log of the ratio, +1 each side) and days since
# the event was last used (NEVER_USED_DAYS when not in the last year).
USAGE_STATS = ("7d", "28d", "90d", "365d", "trend", "days_since")
USAGE_LOOKBACK_DAYS = 365
NEVER_USED_DAYS = 366

SATISFACTION_LOOKBACK_DAYS = 365
DEPARTED_OWNER_DAYS = 180


@dataclass(frozen=True)
class CustomerSelection:
    """Which customers to describe: an id range (a scoring chunk) and/or every k-th id
    (a training sample)."""

    id_from: int | None = None
    id_to: int | None = None
    every: int = 1
    ids: tuple[int, ...] | None = None  # a few named customers (explaining their scores)

    def apply(self, queryset: QuerySet, field: str) -> QuerySet:
        if self.ids is not None:
            queryset = queryset.filter(**{f"{field}__in": self.ids})
        if self.id_from is not None:
            queryset = queryset.filter(**{f"{field}__gte": self.id_from})
        if self.id_to is not None:
            queryset = queryset.filter(**{f"{field}__lte": self.id_to})
        if self.every > 1:
            queryset = queryset.alias(_sample=Mod(F(field), self.every)).filter(_sample=0)
        return queryset


ALL_CUSTOMERS = CustomerSelection()


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the configured time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def active_customers(as_of: dt.date, selection: CustomerSelection = ALL_CUSTOMERS) -> QuerySet:
    """Customers whose relationship had started and not ended on `as_of`."""
    queryset = Customer.objects.filter(customer_since__lte=as_of).filter(
        Q(churned_on__isnull=True) | Q(churned_on__gt=as_of)
    )
    return selection.apply(queryset, "id")


def compute_features(
    as_of: dt.date,
    selection: CustomerSelection = ALL_CUSTOMERS,
    *,
    events: list[str] | None = None,
    rollups: bool | None = None,
) -> pd.DataFrame:
    """One row per customer active on `as_of`, indexed by customer id. `events`: the
    usage event names to describe (default: the most used ones of the year before).
    `rollups`: read the interactions' daily roll-ups (interaction_days.py; the default
    where they exist) or the interactions themselves (False); the values are the same.
    A few named customers (a page explaining a score) read their interactions through
    the index: no refresh of the roll-ups, so a page never waits for one."""
    if rollups is None:
        rollups = interaction_days.in_use() and selection.ids is None
    if rollups:
        # Outside the transaction below: the refresh's lock ends with its own commit.
        interaction_days.refresh()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # JIT compilation costs seconds here and saves nothing on these aggregates.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        if events is None:
            events = usage_events(as_of)
        return _compute_features(as_of, selection, events, rollups)


def usage_events(as_of: dt.date, limit: int | None = None) -> list[str]:
    """The usage event names of the year before `as_of`, most used first (at most
    USAGE_EVENTS_MAX): the ones the features describe."""
    limit = settings.USAGE_EVENTS_MAX if limit is None else limit
    return list(
        UsageDay.objects.filter(
            day__lte=as_of, day__gt=as_of - dt.timedelta(days=USAGE_LOOKBACK_DAYS)
        )
        .values("event")
        .annotate(days=Count("id"))
        .order_by("-days", "event")
        .values_list("event", flat=True)[:limit]
    )


def usage_column(event: str, stat: str) -> str:
    return f"usage:{event}:{stat}"


def usage_columns(events: list[str]) -> list[str]:
    return [usage_column(event, stat) for event in events for stat in USAGE_STATS]


def event_of(column: str) -> str | None:
    """The event name of a usage feature column, else None."""
    return column.split(":", 2)[1] if column.startswith("usage:") else None


def event_label(event: str) -> str:
    """ "reports_run" -> "Reports run"."""
    words = re.sub(r"[_\-.]+", " ", event).strip()
    return words[:1].upper() + words[1:] if words else event


def model_inputs(features: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The columns a model was trained on, in its order, as floats. A usage event the
    frame lacks (nobody used it lately) reads as not used: zero counts, no trend, never."""
    frame = features.reindex(columns=names)
    for name in names:
        if name not in features.columns and name.startswith("usage:"):
            stat = name.rsplit(":", 1)[1]
            frame[name] = NEVER_USED_DAYS if stat == "days_since" else 0.0
    return frame.astype("float64")


def _compute_features(
    as_of: dt.date, selection: CustomerSelection, events: list[str], rollups: bool
) -> pd.DataFrame:
    base = read_frame(
        active_customers(as_of, selection)
        .order_by()
        .values_list("id", "segment", "customer_since", "primary_owner_id"),
        ["customer_id", "segment", "customer_since", "current_owner_id"],
    ).set_index("customer_id")
    if base.empty:
        return pd.DataFrame(
            columns=MODEL_FEATURES + usage_columns(events),
            index=pd.Index([], name="customer_id"),
        )

    # The nightly day reads one row per customer (its interaction windows, moved on by
    # the night); other days the daily roll-ups; without roll-ups, the interactions.
    window = interaction_days.window_features(as_of, selection) if rollups else None
    if window is not None:
        frame = base.join(window, how="left")
    else:
        if rollups:
            interactions = interaction_days.interaction_features(
                as_of, selection, base.index, INTERACTION_WINDOW_DAYS
            )
            satisfaction = interaction_days.satisfaction_features(
                as_of, selection, SATISFACTION_LOOKBACK_DAYS
            )
        else:
            interactions = _interaction_features(as_of, selection, base.index)
            satisfaction = _satisfaction_features(as_of, selection)
        frame = base.join(interactions, how="left").join(satisfaction, how="left")
    frame = frame.join(_contract_features(as_of, selection), how="left")
    frame = frame.join(_contact_features(as_of, selection), how="left")
    frame = _add_owner_features(frame, as_of, selection)
    out = _derive(frame, as_of)
    return _usage_features(out, as_of, selection, events)


# --- one aggregate query per table -----------------------------------------------------------


def _interaction_features(
    as_of: dt.date, selection: CustomerSelection, active_ids: pd.Index
) -> pd.DataFrame:
    """Counts in windows of up to INTERACTION_WINDOW_DAYS and the days (in TIME_ZONE) of
    the latest moments, from the interactions themselves (the roll-ups give the same,
    interaction_days.py). One aggregate reads only the window's interactions (a quarter
    of two years' history); the latest moment of each kind before the window is looked
    up only where the window has none (`_latest_before`), so the result equals one
    aggregate over all history."""

    def last(days: int) -> Q:
        return Q(happened_at__gte=day_start(as_of - dt.timedelta(days=days - 1)))

    kind = Interaction.Kind
    complaint = Q(kind=kind.COMPLAINT)
    ticket = Q(kind=kind.SUPPORT_TICKET)
    usage = Q(kind=kind.USAGE)
    prior_3_months = last(120) & ~last(30)
    aggregates = {
        "interactions_30d": Count("id", filter=last(30)),
        "interactions_90d": Count("id", filter=last(90)),
        "interactions_prior_90d": Count("id", filter=prior_3_months),
        "last_interaction_at": Max("happened_at"),
        "last_outbound_at": Max("happened_at", filter=Q(direction=Interaction.Direction.OUTBOUND)),
        "complaints_30d": Count("id", filter=complaint & last(30)),
        "complaints_60d": Count("id", filter=complaint & last(60)),
        "complaints_90d": Count("id", filter=complaint & last(90)),
        "last_complaint_at": Max("happened_at", filter=complaint),
        "support_tickets_30d": Count("id", filter=ticket & last(30)),
        "support_tickets_60d": Count("id", filter=ticket & last(60)),
        "support_tickets_90d": Count("id", filter=ticket & last(90)),
        "discount_requests_60d": Count("id", filter=Q(kind=kind.DISCOUNT_REQUEST) & last(60)),
        "last_discount_request_at": Max("happened_at", filter=Q(kind=kind.DISCOUNT_REQUEST)),
        "usage_30d": Count("id", filter=usage & last(30)),
        "usage_prior_90d": Count("id", filter=usage & prior_3_months),
        "renewal_talks_180d": Count("id", filter=Q(kind=kind.RENEWAL_TALK)),
        # Lowest and highest employee id among those who dealt with the customer: equal
        # means exactly one person (cheaper than COUNT(DISTINCT)).
        "employee_low_180d": Min("employee_id"),
        "employee_high_180d": Max("employee_id"),
    }
    window_start = day_start(as_of - dt.timedelta(days=INTERACTION_WINDOW_DAYS - 1))
    queryset = selection.apply(
        Interaction.objects.filter(
            happened_at__gte=window_start,
            happened_at__lt=day_start(as_of + dt.timedelta(days=1)),
        ),
        "customer_id",
    )
    queryset = queryset.values("customer_id").annotate(**aggregates).order_by()
    frame = read_frame(
        queryset.values_list("customer_id", *aggregates), ["customer_id", *aggregates]
    ).set_index("customer_id")
    frame = _latest_before(frame, window_start, active_ids, selection)
    days = {name: name.replace("_at", "_day") for name in LATEST_MOMENTS}
    for moment in days:
        frame[moment] = _local_days(frame[moment])
    return frame.rename(columns=days)


# The longest window of the interaction counts: every count and the lowest and highest
# employee id are of the last 180 days. Only the latest moments reach further back.
INTERACTION_WINDOW_DAYS = 180
LATEST_MOMENTS = {
    "last_interaction_at": Q(),
    "last_outbound_at": Q(direction=Interaction.Direction.OUTBOUND),
    "last_complaint_at": Q(kind=Interaction.Kind.COMPLAINT),
    "last_discount_request_at": Q(kind=Interaction.Kind.DISCOUNT_REQUEST),
}
RARE_KINDS = [Interaction.Kind.COMPLAINT, Interaction.Kind.DISCOUNT_REQUEST]


def _latest_before(
    frame: pd.DataFrame,
    window_start: dt.datetime,
    active_ids: pd.Index,
    selection: CustomerSelection,
) -> pd.DataFrame:
    """Fill in the latest moments the window lacks from the interactions before it: the
    latest interaction and outbound contact of the few active customers without one
    lately (their rows of the (customer, time) index), and the latest complaint and
    discount request before the window (the partial index on those two kinds)."""
    before = Interaction.objects.filter(happened_at__lt=window_start)
    rare = ["last_complaint_at", "last_discount_request_at"]
    common = [c for c in LATEST_MOMENTS if c not in rare]
    known = frame.index[frame[common].notna().all(axis=1)] if len(frame) else frame.index
    missing = active_ids.difference(known).to_numpy(dtype="int64").tolist()
    older = [
        read_frame(
            before.filter(customer_id__in=missing[i : i + 5000])
            .values("customer_id")
            .annotate(**{c: Max("happened_at", filter=LATEST_MOMENTS[c]) for c in common})
            .order_by()
            .values_list("customer_id", *common),
            ["customer_id", *common],
        ).set_index("customer_id")
        for i in range(0, len(missing), 5000)
    ]
    older.append(
        read_frame(
            selection.apply(before.filter(kind__in=RARE_KINDS), "customer_id")
            .values("customer_id")
            .annotate(**{c: Max("happened_at", filter=LATEST_MOMENTS[c]) for c in rare})
            .order_by()
            .values_list("customer_id", *rare),
            ["customer_id", *rare],
        ).set_index("customer_id")
    )
    return interaction_days.fold_in(frame, older, active_ids)


def _satisfaction_features(as_of: dt.date, selection: CustomerSelection) -> pd.DataFrame:
    """The latest satisfaction score of the last year and the one before it."""
    queryset = selection.apply(
        Interaction.objects.filter(
            satisfaction__isnull=False,
            happened_at__lt=day_start(as_of + dt.timedelta(days=1)),
            happened_at__gte=day_start(as_of - dt.timedelta(days=SATISFACTION_LOOKBACK_DAYS - 1)),
        ),
        "customer_id",
    )
    ranked = (
        queryset.annotate(
            recency=Window(
                RowNumber(),
                partition_by=[F("customer_id")],
                order_by=[F("happened_at").desc(), F("id").desc()],
            )
        )
        .filter(recency__lte=2)
        .values_list("customer_id", "recency", "satisfaction")
    )
    rows = read_frame(ranked, ["customer_id", "recency", "satisfaction"])
    wide = rows.pivot(index="customer_id", columns="recency", values="satisfaction")
    return pd.DataFrame(
        {
            "latest_satisfaction": wide.get(1),
            "previous_satisfaction": wide.get(2),
        },
        index=wide.index,
        dtype="float64",
    )


def _contract_features(as_of: dt.date, selection: CustomerSelection) -> pd.DataFrame:
    in_force = Q(end_date__gte=as_of)
    aggregates = {
        "annual_value_in_force": Sum("annual_value_reporting", filter=in_force),
        "active_contracts": Count("id", filter=in_force),
        "nearest_contract_end": Min("end_date", filter=in_force),
        "auto_renew_contracts": Count("id", filter=in_force & Q(auto_renew=True)),
        # The longest term in force, in days (monthly ~30, annual ~365).
        "contract_term_days": Max(_term_days(), filter=in_force),
        # What the customer paid lately, for customers between contracts.
        "recent_annual_value": Max(
            "annual_value_reporting", filter=Q(end_date__gte=as_of - dt.timedelta(days=365))
        ),
    }
    # Every aggregate reads contracts ending on or after a year before the day: older
    # ones (half of a company's contracts after a few renewals) are left unread. A
    # customer with none of them gets no row, which reads as a row of no contracts.
    queryset = selection.apply(
        Contract.objects.filter(
            start_date__lte=as_of, end_date__gte=as_of - dt.timedelta(days=365)
        ),
        "customer_id",
    )
    queryset = queryset.values("customer_id").annotate(**aggregates).order_by()
    return read_frame(
        queryset.values_list("customer_id", *aggregates), ["customer_id", *aggregates]
    ).set_index("customer_id")


def _term_days() -> Func:
    """end_date - start_date + 1, in days."""
    if connection.vendor == "postgresql":
        sql = "(end_date - start_date + 1)"
    else:
        sql = "(CAST(julianday(end_date) - julianday(start_date) AS INTEGER) + 1)"
    return Func(F("end_date"), template=sql, output_field=IntegerField())


def _usage_features(
    out: pd.DataFrame, as_of: dt.date, selection: CustomerSelection, events: list[str]
) -> pd.DataFrame:
    """Per event name: 7 / 28 / 90-day totals, the 28-day trend, days since last used;
    and across events the one that fell most against its prior 3 months (for reasons)."""
    last_usage = read_frame(
        selection.apply(
            UsageDay.objects.filter(
                day__lte=as_of,
                day__gt=as_of - dt.timedelta(days=USAGE_LOOKBACK_DAYS),
                quantity__gt=0,
            ),
            "customer_id",
        )
        .values("customer_id")
        .annotate(last_day=Max("day"))
        .order_by()
        .values_list("customer_id", "last_day"),
        ["customer_id", "last_usage_day"],
    ).set_index("customer_id")
    since_usage = (pd.Timestamp(as_of) - pd.to_datetime(last_usage["last_usage_day"])).dt.days
    out["days_since_last_usage"] = since_usage.reindex(out.index).astype("float64")
    out["days_since_last_activity"] = out[
        ["days_since_last_interaction", "days_since_last_usage"]
    ].min(axis=1)
    out["usage_drop_event"] = None
    out["usage_drop_ratio"] = np.nan
    out["usage_drop_baseline"] = np.nan
    if not events:
        return out

    def within(first: int, last: int) -> Q:  # days before as_of, inclusive
        return Q(
            day__lte=as_of - dt.timedelta(days=first), day__gte=as_of - dt.timedelta(days=last)
        )

    aggregates = {
        "q7": Sum("quantity", filter=within(0, 6)),
        "q28": Sum("quantity", filter=within(0, 27)),
        "q90": Sum("quantity", filter=within(0, 89)),
        "q365": Sum("quantity"),
        "prior_28": Sum("quantity", filter=within(28, 55)),
        "prior_84": Sum("quantity", filter=within(28, 111)),
        "last_day": Max("day", filter=Q(quantity__gt=0)),
    }
    queryset = selection.apply(
        UsageDay.objects.filter(
            event__in=events,
            day__lte=as_of,
            day__gt=as_of - dt.timedelta(days=USAGE_LOOKBACK_DAYS),
        ),
        "customer_id",
    )
    rows = read_frame(
        queryset.values("customer_id", "event")
        .annotate(**aggregates)
        .order_by()
        .values_list("customer_id", "event", *aggregates),
        ["customer_id", "event", *aggregates],
    )
    rows = rows[rows["customer_id"].isin(out.index)]
    for column in ("q7", "q28", "q90", "q365", "prior_28", "prior_84"):
        rows[column] = rows[column].astype("float64").fillna(0.0)
    rows["days_since"] = (pd.Timestamp(as_of) - pd.to_datetime(rows["last_day"])).dt.days
    rows["trend"] = np.log((rows["q28"] + 1.0) / (rows["prior_28"] + 1.0))
    stats = {
        "q7": "7d",
        "q28": "28d",
        "q90": "90d",
        "q365": "365d",
        "trend": "trend",
        "days_since": "days_since",
    }
    wide = rows.pivot(index="customer_id", columns="event", values=[*stats, "prior_84"])
    columns = {}
    for event in events:
        for source, stat in stats.items():
            if (source, event) in wide.columns:
                values = wide[(source, event)].reindex(out.index).astype("float64")
            else:
                values = pd.Series(np.nan, index=out.index)
            neutral = NEVER_USED_DAYS if stat == "days_since" else 0.0
            columns[usage_column(event, stat)] = values.fillna(neutral)
    out = pd.concat([out, pd.DataFrame(columns, index=out.index)], axis=1)

    # The event that fell most: last 28 days against the monthly average of the 84
    # days before, among events used at least MIN_MONTHLY_BASELINE times a month then.
    from customers.scoring.signals import MIN_MONTHLY_BASELINE

    monthly = wide["prior_84"].reindex(out.index) / 3.0
    recent = wide["q28"].reindex(out.index)
    ratio = (recent / monthly).where(monthly >= MIN_MONTHLY_BASELINE)
    has_drop = ratio.notna().any(axis=1)
    if has_drop.any():
        worst = ratio[has_drop].idxmin(axis=1)
        out.loc[has_drop, "usage_drop_event"] = worst
        out.loc[has_drop, "usage_drop_ratio"] = ratio[has_drop].min(axis=1)
        picked = monthly[has_drop].to_numpy()[
            np.arange(int(has_drop.sum())), monthly.columns.get_indexer(worst)
        ]
        out.loc[has_drop, "usage_drop_baseline"] = picked
    return out


def _contact_features(as_of: dt.date, selection: CustomerSelection) -> pd.DataFrame:
    still_there = Q(left_on__isnull=True) | Q(left_on__gt=as_of)
    aggregates = {
        "active_contacts": Count("id", filter=still_there),
        "decision_maker_left_on": Max(
            "left_on",
            filter=Q(
                is_decision_maker=True,
                left_on__lte=as_of,
                left_on__gt=as_of - dt.timedelta(days=90),
            ),
        ),
    }
    queryset = selection.apply(Contact.objects.filter(known_since__lte=as_of), "customer_id")
    queryset = queryset.values("customer_id").annotate(**aggregates).order_by()
    return read_frame(
        queryset.values_list("customer_id", *aggregates), ["customer_id", *aggregates]
    ).set_index("customer_id")


def _add_owner_features(
    frame: pd.DataFrame, as_of: dt.date, selection: CustomerSelection
) -> pd.DataFrame:
    window_start = as_of - dt.timedelta(days=90)
    primary = selection.apply(
        OwnershipPeriod.objects.filter(role=OwnerRole.PRIMARY, started_on__lte=as_of),
        "customer_id",
    )
    # Who owned the customer that day; before ownership records began, the current owner.
    owner_then = read_frame(
        # By customer, then start: the latest period in force wins (no sort by name).
        primary.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=as_of))
        .order_by("customer_id", "started_on", "id")
        .values_list("customer_id", "employee_id"),
        ["customer_id", "owner_id"],
    ).drop_duplicates("customer_id", keep="last")
    frame = frame.join(owner_then.set_index("customer_id"), how="left")
    frame["owner_id"] = frame["owner_id"].fillna(frame["current_owner_id"])

    # A primary ownership that ended in the last 90 days is an owner change. An owner who
    # had the customer and left the company in the last 180 days is a departed owner:
    # customers often follow months later, at their next renewal.
    departed_since = as_of - dt.timedelta(days=DEPARTED_OWNER_DAYS)
    changes = read_frame(
        primary.filter(ended_on__gt=departed_since, ended_on__lte=as_of)
        .values("customer_id")
        .annotate(
            changes=Count("id", filter=Q(ended_on__gt=window_start)),
            departed_on=Max(
                "employee__departure_date",
                filter=Q(
                    employee__departure_date__gt=departed_since,
                    employee__departure_date__lte=as_of,
                ),
            ),
        )
        .order_by()
        .values_list("customer_id", "changes", "departed_on"),
        ["customer_id", "owner_changes_90d", "previous_owner_departed_on"],
    ).set_index("customer_id")
    frame = frame.join(changes, how="left")

    owner_ids = frame["owner_id"].dropna().astype("int64").unique().tolist()
    columns = ["owner_id", "owner_departure_date", "owner_announced_on"]
    # Customers imported without owners: nobody to look up (an empty IN () is no query).
    owners = pd.DataFrame(columns=columns)
    if owner_ids:
        owners = read_frame(
            Employee.objects.filter(pk__in=owner_ids).values_list(
                "id", "departure_date", "departure_announced_on"
            ),
            columns,
        )
    owners = owners.astype({"owner_id": "float64"}).set_index("owner_id")
    frame = frame.join(owners, on="owner_id", how="left")
    return frame


# --- derived features ----------------------------------------------------------------------------


def _derive(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    day = pd.Timestamp(as_of)
    counts = [c for c in frame.columns if c.endswith(("_30d", "_60d", "_90d", "_180d"))]
    counts = [c for c in counts if not c.startswith("employee_")]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["active_contracts"] = frame["active_contracts"].fillna(0).astype("int64")
    frame["active_contacts"] = frame["active_contacts"].fillna(0).astype("int64")
    frame["owner_changes_90d"] = frame["owner_changes_90d"].fillna(0).astype("int64")

    out = pd.DataFrame(index=frame.index)
    out["segment"] = frame["segment"]
    out["tenure_days"] = _days_between(frame["customer_since"], day)
    out["segment_core"] = (frame["segment"] == Segment.CORE).astype("int64")
    out["segment_important"] = (frame["segment"] == Segment.IMPORTANT).astype("int64")
    value = frame["annual_value_in_force"].astype("float64")
    value = value.where(
        frame["active_contracts"] > 0, frame["recent_annual_value"].astype("float64")
    )
    out["annual_value"] = value.fillna(0.0)
    out["active_contracts"] = frame["active_contracts"]
    out["days_to_contract_end"] = -_days_between(frame["nearest_contract_end"], day)
    # Contract terms instead of a bare days-to-end (which ranks every monthly subscriber
    # above annual ones): the term in force, whether a renewal falls inside the horizon,
    # and the share of the term still to run.
    term = frame["contract_term_days"].astype("float64")
    out["contract_term_days"] = term
    out["renewal_within_horizon"] = (
        out["days_to_contract_end"] <= settings.CHURN_HORIZON_DAYS
    ).astype("int64")
    out["term_remaining_share"] = (out["days_to_contract_end"] / term).clip(0, 1)
    out["auto_renew"] = (frame["auto_renew_contracts"].fillna(0) > 0).astype("int64")
    out["renewal_talks_180d"] = frame["renewal_talks_180d"]
    out["interactions_30d"] = frame["interactions_30d"]
    out["interactions_90d"] = frame["interactions_90d"]
    out["interactions_prior_90d"] = frame["interactions_prior_90d"]
    out["engagement_ratio"] = _ratio_to_monthly_average(
        frame["interactions_30d"], frame["interactions_prior_90d"]
    )
    out["days_since_last_interaction"] = _days_between(frame["last_interaction_day"], day)
    out["days_since_last_outbound"] = _days_between(frame["last_outbound_day"], day)
    for name in (
        "complaints_30d",
        "complaints_60d",
        "complaints_90d",
        "support_tickets_30d",
        "support_tickets_60d",
        "support_tickets_90d",
        "discount_requests_60d",
    ):
        out[name] = frame[name]
    out["days_since_complaint"] = _days_between(frame["last_complaint_day"], day)
    out["days_since_discount_request"] = _days_between(frame["last_discount_request_day"], day)
    out["latest_satisfaction"] = frame["latest_satisfaction"]
    out["previous_satisfaction"] = frame["previous_satisfaction"]
    out["satisfaction_change"] = frame["latest_satisfaction"] - frame["previous_satisfaction"]
    out["usage_30d"] = frame["usage_30d"]
    out["usage_prior_90d"] = frame["usage_prior_90d"]
    out["usage_ratio"] = _ratio_to_monthly_average(frame["usage_30d"], frame["usage_prior_90d"])
    out["active_contacts"] = frame["active_contacts"]
    out["decision_maker_left_on"] = pd.to_datetime(frame["decision_maker_left_on"])
    out["decision_maker_left_90d"] = frame["decision_maker_left_on"].notna().astype("int64")
    out["owner_changed_90d"] = (frame["owner_changes_90d"] > 0).astype("int64")

    departure = pd.to_datetime(frame["owner_departure_date"])
    announced = pd.to_datetime(frame["owner_announced_on"])
    departing = announced.notna() & (announced <= day) & (departure > day)
    out["owner_departing"] = departing.astype("int64")
    out["owner_leaves_on"] = departure.where(departing)
    # The owner on the day has already left (nobody took over), or an owner who had the
    # customer left the company in the last 180 days.
    current_gone = departure.notna() & (departure <= day)
    previous_gone = pd.to_datetime(frame["previous_owner_departed_on"])
    out["owner_departed_on"] = departure.where(current_gone).combine_first(previous_gone)
    out["owner_departed_180d"] = out["owner_departed_on"].notna().astype("int64")
    low, high = frame["employee_low_180d"], frame["employee_high_180d"]
    out["single_threaded"] = (low.notna() & (low == high)).astype("int64")
    out["owner_id"] = frame["owner_id"]
    return out


def _ratio_to_monthly_average(last_30: pd.Series, prior_90: pd.Series) -> pd.Series:
    """Last 30 days against the monthly average of the 3 months before; unknown (NaN)
    when there was nothing to compare with."""
    monthly = prior_90.astype("float64") / 3.0
    return (last_30.astype("float64") / monthly).where(monthly > 0)


def _days_between(dates: pd.Series, day: pd.Timestamp) -> pd.Series:
    return (day - pd.to_datetime(dates)).dt.days.astype("float64")


def _local_days(moments: pd.Series) -> pd.Series:
    """The local date (in TIME_ZONE) of each moment, as midnight; NaT when never."""
    stamps = pd.to_datetime(moments, utc=True, format="ISO8601")
    local = stamps.dt.tz_convert(timezone.get_current_timezone_name()).dt.tz_localize(None)
    return local.dt.normalize()
