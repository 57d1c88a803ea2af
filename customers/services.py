"""Writes to the customer record."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from customers.currency import fill_reporting_values
from customers.models import Contract, Customer
from retention.jobs import steps
from retention.wording import Joined, Worded


@dataclass(frozen=True)
class ContractRollResult:
    expired: int
    renewed: int


EXTERNAL_ID_LENGTH = 64


def renewal_external_id(root_external_id: str, generation: int) -> str:
    """The key of the `generation`-th follow-on of the contract `root_external_id`:
    K-77-R, K-77-R2, K-77-R3, ... It never grows with the chain, and a root too long to
    take the suffix is shortened with a digest of it, so the key stays unique and within
    the 64 characters external_id holds."""
    suffix = "-R" if generation == 1 else f"-R{generation}"
    key = f"{root_external_id}{suffix}"
    if len(key) <= EXTERNAL_ID_LENGTH:
        return key
    digest = hashlib.sha256(root_external_id.encode()).hexdigest()[:8]
    keep = EXTERNAL_ID_LENGTH - len(suffix) - len(digest) - 1
    return f"{root_external_id[:keep]}~{digest}{suffix}"


def _month_end(day: dt.date) -> dt.date:
    return day + relativedelta(day=31)


def _anchor_days(day: dt.date) -> set[int]:
    """The days of the month a term could be anchored on to fall on `day`: its own, or,
    on a month's last day, also the later ones the month lacks (the 31st falls on 30 April,
    the 29th, 30th and 31st on 28 February)."""
    return set(range(day.day, 32 if day == _month_end(day) else day.day + 1))


def follow_on_term(
    start: dt.date, end: dt.date, *, anchor_day: int | None = None
) -> tuple[dt.date, dt.date]:
    """The next term of a contract that ran start..end, on the calendar.

    A term of whole months (a month, a quarter, a year, several years) starts and ends
    on the same day of the month, its anchor, and renews for as many months on that
    anchor: a monthly plan from the 31st runs 31 Jan..27 Feb, 28 Feb..30 Mar, 31 Mar..29
    Apr (the 31st falls on each month's last day), never drifting to the 28th. Where the
    term alone leaves the anchor open (28 Feb..27 Feb is the 28th, 29th, 30th or 31st),
    `anchor_day` (the start day of the chain's first contract) decides, else the
    earliest. A term from the 29th-31st to a month's last day renews to a month's last
    day (2024-02-29..2025-02-28 to 2026-02-28; from the 1st that is the anchor's rule:
    2023-03-01..2024-02-29 renews to 2025-02-28). Other terms renew for the same number
    of days (a day for a day, 30 days for 30 days)."""
    next_start = end + dt.timedelta(days=1)
    months = (next_start.year - start.year) * 12 + next_start.month - start.month
    anchors = _anchor_days(start) & _anchor_days(next_start)
    if months >= 1 and anchors:
        anchor = anchor_day if anchor_day in anchors else min(anchors)
        following = next_start + relativedelta(months=months, day=anchor)
        return next_start, following - dt.timedelta(days=1)
    gap = relativedelta(next_start, start)
    whole = gap.years * 12 + gap.months
    if next_start.day == 1 and whole >= 1 and gap.days <= 3:
        return next_start, _month_end(end + relativedelta(months=whole))
    return next_start, end + (end - start) + dt.timedelta(days=1)


@dataclass(frozen=True)
class ChainRoot:
    """The first contract of a renewal chain, seen from one of its contracts."""

    external_id: str
    start_date: dt.date
    renewals: int  # how many renewals the contract is from it


def _chain_roots(contract_ids: list[int]) -> dict[int, ChainRoot]:
    """For each contract: the first contract of its renewal chain and how many renewals
    it is from it (set-based: one recursive query per 500 contracts)."""
    table = Contract._meta.db_table
    found: dict[int, ChainRoot] = {}
    for begin in range(0, len(contract_ids), 500):
        batch = contract_ids[begin : begin + 500]
        marks = ", ".join(["%s"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE chain(start_id, id, renewal_of_id, depth) AS (
                    SELECT id, id, renewal_of_id, 0 FROM {table} WHERE id IN ({marks})
                    UNION ALL
                    SELECT chain.start_id, c.id, c.renewal_of_id, chain.depth + 1
                    FROM chain JOIN {table} c ON c.id = chain.renewal_of_id
                    WHERE chain.depth < 10000
                )
                SELECT chain.start_id, c.external_id, c.start_date, chain.depth
                FROM chain JOIN {table} c ON c.id = chain.id
                WHERE chain.renewal_of_id IS NULL
                """,
                batch,
            )
            found.update({row[0]: ChainRoot(*row[1:]) for row in cursor.fetchall()})
    return found


def follow_ons_to_catch_up(
    start: dt.date, end: dt.date, *, as_of: dt.date, anchor_day: int, limit: int
) -> int:
    """How many follow-ons a contract that ran start..end needs so that the last one is
    still running on `as_of`; counting stops past `limit` (limit + 1: too many)."""
    needed = 0
    while end < as_of and needed <= limit:
        start, end = follow_on_term(start, end, anchor_day=anchor_day)
        needed += 1
    return needed


def _not_renewable(row: dict, root: ChainRoot, as_of: dt.date) -> Worded | None:
    """Why the roll does not renew this stored contract tonight, or None.

    Rows written before today's rules (or by SQL) can hold what no door accepts now: an
    auto-renewing term shorter than a month, a date before 1900 or a century ahead. And
    a contract far behind would need a follow-on per term since its end, one pass (a
    transaction) each, all tonight: more than CONTRACT_ROLL_MAX_GENERATIONS is taken for
    a date typed wrong rather than a term to catch up on (400 monthly terms are over 30
    years). Such a contract is set aside with the reason and stays active."""
    problems = Contract.row_errors({**row, "auto_renew": True, "status": Contract.Status.ACTIVE})
    if problems:
        return Worded(
            gettext_noop("Follow-on not created: %(problems)s"),
            problems=Joined(
                Worded(gettext_noop("%(field)s: %(problem)s"), field=field, problem=problem)
                for field, problem in problems.items()
            ),
        )
    limit = settings.CONTRACT_ROLL_MAX_GENERATIONS
    needed = follow_ons_to_catch_up(
        row["start_date"],
        row["end_date"],
        as_of=as_of,
        anchor_day=root.start_date.day,
        limit=limit,
    )
    if needed > limit:
        return Worded(
            gettext_noop(
                "Follow-on not created: its term of %(days)s days ended on %(end_date)s, so "
                "reaching %(as_of)s would take more than %(limit)s follow-ons in one night; "
                "check its dates, then enter its current term or end it."
            ),
            days=(row["end_date"] - row["start_date"]).days + 1,
            end_date=str(row["end_date"]),
            as_of=str(as_of),
            limit=limit,
        )
    return None


def roll_contracts(*, as_of: dt.date) -> ContractRollResult:
    """Close contracts whose end date has passed as of `as_of`.

    Auto-renewing contracts of active customers get a follow-on contract of the same
    length and value and are marked renewed; the rest are marked expired. One whose dates
    break the contract rules, or whose catch-up would take more than
    CONTRACT_ROLL_MAX_GENERATIONS follow-ons, is set aside (`_not_renewable`), so a
    night's passes stay bounded. Follow-ons keep
    the calendar of the term (`follow_on_term`). Set-based, and idempotent: the follow-on's external_id is
    derived from the chain's first contract and its place in the chain
    (`renewal_external_id`, bounded), so a re-run (or a run killed halfway) creates
    nothing twice. A follow-on the database refuses is set aside with the reason and the
    original stays active; the rest roll. Follow-ons that have themselves already ended are
    rolled in the same run, so one run leaves the same state as several."""
    expired = renewed = 0
    set_aside: set[int] = set()
    while True:
        step = _roll_once(as_of, set_aside)
        expired += step.expired
        renewed += step.renewed
        if step.renewed == 0:
            return ContractRollResult(expired=expired, renewed=renewed)
        steps.fault_point("roll_contracts_pass")  # tests: strike between committed passes


def _create_follow_ons(
    follow_ons: list[Contract], set_aside: set[int], named: dict[int, str]
) -> None:
    """All at once; only if the database refuses the batch is it halved until the bad
    rows are found and set aside with its reason (jobs page,
    `steps.write_or_set_aside`), so one bad row never stops the roll, and a lost
    connection is retried as a fault of the step, not taken for bad rows. A follow-on whose
    key another contract already holds (one sent in under that id) is set aside too,
    saying which: the original stays active rather than renew into someone else's row.
    What is set aside is the original contract, named by its own external id (`named`:
    id -> external id), the follow-on's in the reason."""
    from customers.currency import MOST_REPORTING_VALUE, too_large_message

    def put_aside(contract: Contract, reason: Worded) -> None:
        set_aside.add(contract.renewal_of_id)
        steps.set_aside(
            model="contract",
            object_id=contract.renewal_of_id,
            key=named[contract.renewal_of_id],
            reason=reason,
        )

    def same_follow_on(contract: Contract, holder_id: int) -> None:
        # Two contracts naming one contract as the one they renew (renewal_of edited
        # so): one place in the chain, one follow-on key. Whichever renewed first (or has
        # the lower id, on the same night) holds it; the other stays active, saying why.
        put_aside(
            contract,
            Worded(
                gettext_noop(
                    "Follow-on not created: %(other)s renews into the same follow-on "
                    "%(external_id)s (both name the same contract as renewed); correct "
                    "their renewal_of."
                ),
                other=names[holder_id],
                external_id=contract.external_id,
            ),
        )

    # Who holds each wanted key already: the contract it renews (None: sent in under
    # that id), and each contract's own renewal_of, to tell a sibling from a stranger.
    taken = dict(
        Contract.objects.filter(
            external_id__in=[contract.external_id for contract in follow_ons]
        ).values_list("external_id", "renewal_of_id")
    )
    known = {c.renewal_of_id for c in follow_ons} | {i for i in taken.values() if i is not None}
    parents, names = {}, dict(named)
    for pk, parent, external_id in Contract.objects.filter(pk__in=known).values_list(
        "pk", "renewal_of_id", "external_id"
    ):
        parents[pk], names[pk] = parent, external_id
    wanted_by: dict[str, int] = {}
    for contract in sorted(follow_ons, key=lambda c: c.renewal_of_id):
        key, due = contract.external_id, contract.renewal_of_id
        holder = taken.get(key, due)
        if holder != due and holder is not None and parents.get(holder) == parents.get(due):
            same_follow_on(contract, holder)  # a sibling renewed into it on an earlier night
        elif holder != due:
            put_aside(
                contract,
                Worded(
                    gettext_noop(
                        "Follow-on not created: another contract already has the external id "
                        "%(external_id)s; rename one of them."
                    ),
                    external_id=key,
                ),
            )
        elif key in wanted_by:
            same_follow_on(contract, wanted_by[key])  # a sibling renews into it tonight
        elif (contract.annual_value_reporting or 0) > MOST_REPORTING_VALUE:
            # The rate of the follow-on's start makes it too large for every door (and the
            # column): set aside as the import would refuse it, not written.
            put_aside(
                contract,
                too_large_message(
                    contract.annual_value, contract.currency, contract.annual_value_reporting
                ),
            )
        else:
            wanted_by[key] = due
    follow_ons = [contract for contract in follow_ons if contract.renewal_of_id not in set_aside]
    refused = steps.write_or_set_aside(
        follow_ons,
        lambda batch: Contract.objects.bulk_create(batch, batch_size=2000, ignore_conflicts=True),
        describe=lambda contract: {
            "model": "contract",
            "object_id": contract.renewal_of_id,
            "key": named[contract.renewal_of_id],
        },
    )
    set_aside.update(contract.renewal_of_id for contract in refused)


def _roll_once(as_of: dt.date, set_aside: set[int]) -> ContractRollResult:
    now = timezone.now()
    with transaction.atomic():
        due = (
            Contract.objects.select_for_update()
            .filter(status=Contract.Status.ACTIVE, end_date__lt=as_of)
            .exclude(id__in=set_aside)
        )
        # Snapshot first: follow-ons created below may themselves be past their end date
        # and must wait for the next pass, not be expired by this one.
        due_ids = list(due.values_list("id", flat=True))
        renewing = list(
            Contract.objects.filter(id__in=due_ids)
            .filter(auto_renew=True, customer__status=Customer.Status.ACTIVE)
            .values(
                "id",
                "customer_id",
                "external_id",
                "start_date",
                "end_date",
                "annual_value",
                "currency",
                "kind",
            )
        )
        roots = _chain_roots([row["id"] for row in renewing])
        follow_ons = []
        for row in renewing:
            root = roots.get(row["id"])
            if root is None:  # renewal_of edited into a loop: no first contract to key by
                set_aside.add(row["id"])
                steps.set_aside(
                    model="contract",
                    object_id=row["id"],
                    key=row["external_id"],
                    reason=Worded(
                        gettext_noop(
                            "Follow-on not created: its renewal chain loops back on itself, so "
                            "it has no first contract; correct the contracts' renewal_of."
                        )
                    ),
                )
                continue
            reason = _not_renewable(row, root, as_of)
            if reason is not None:
                set_aside.add(row["id"])
                steps.set_aside(
                    model="contract", object_id=row["id"], key=row["external_id"], reason=reason
                )
                continue
            start, end = follow_on_term(
                row["start_date"], row["end_date"], anchor_day=root.start_date.day
            )
            follow_ons.append(
                Contract(
                    customer_id=row["customer_id"],
                    external_id=renewal_external_id(root.external_id, generation=root.renewals + 1),
                    start_date=start,
                    end_date=end,
                    annual_value=row["annual_value"],
                    currency=row["currency"],
                    kind=row["kind"],
                    status=Contract.Status.ACTIVE,
                    auto_renew=True,
                    renewal_of_id=row["id"],
                )
            )
        fill_reporting_values(follow_ons)
        _create_follow_ons(
            follow_ons, set_aside, {row["id"]: row["external_id"] for row in renewing}
        )
        renewing = [row for row in renewing if row["id"] not in set_aside]
        due_ids = [i for i in due_ids if i not in set_aside]
        renewed = Contract.objects.filter(id__in=[row["id"] for row in renewing]).update(
            status=Contract.Status.RENEWED, updated_at=now
        )
        renewing_ids = {row["id"] for row in renewing}
        expired = Contract.objects.filter(
            id__in=[i for i in due_ids if i not in renewing_ids]
        ).update(status=Contract.Status.EXPIRED, updated_at=now)
    return ContractRollResult(expired=expired, renewed=renewed)
