"""Pages of the customers list, read the cheapest way for who is looking.

- A viewer who sees a few thousand customers (a manager, HR, anyone filtering by a team
  or an owner) has their ids read first, in name order (selectors.few_customer_ids).
  A page sorted by name is then a slice of that list, and a page sorted by a score reads
  those customers' current scores (one indexed lookup each, no join) and sorts them
  here: the count is the length of the list, so no count query and no second pass.
- Everyone else's list (an admin's million) walks the current scores in the order of a
  score index, with the list's filters applied to the scores themselves
  (selectors.list_conditions), and stops after a page.

Either way the keyset links are the same (the sort values of the last or first row
shown), so a link works whichever way its page is read."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from customers.models import RiskScore, ScoringRun
from customers.selectors import LIST_SCORE_COLUMNS, _page_rows, list_conditions
from retention.paging import CappedCount, exact_count_limit
from staff.access import visible_to


def few_customer_page(
    few: list[int],
    run: ScoringRun | None,
    *,
    sort: str,
    today: dt.date,
    size: int,
    after: list | None = None,
    before: list | None = None,
    offset: int = 0,
) -> tuple[list, bool, CappedCount]:
    """One page of the list of the customers `few` (ids in name order) in `sort` (a keyset
    sort: a score, or the name), after the sort values `after` (before `before`), else
    from `offset`. Returns the customers, whether more follow in the direction read, and
    the count (capped as every list's is). Sorted by a score, only the scored customers
    are listed."""
    rank = {pk: position for position, pk in enumerate(few)}
    ordered = few if sort == "name" else _by_score(few, rank, sort)
    total = len(ordered)
    cursor = after if after is not None else before
    place = {pk: position for position, pk in enumerate(ordered)}
    # The cursor's last value is the row's id; a row that left the list since starts it
    # again rather than failing.
    at = place.get(cursor[-1]) if cursor else None
    if before is not None:
        end = at if at is not None else 0
        start = max(0, end - size)
        more = start > 0
    else:
        start = at + 1 if after is not None and at is not None else offset
        end = start + size
        more = end < total
    page = _page_rows([(pk,) for pk in ordered[start:end]], run, today=today)
    for customer in page:
        customer.sort_values = _sort_values(customer, sort)
    limit = exact_count_limit()
    return page, more, CappedCount(value=min(total, limit), exact=total <= limit, limit=limit)


def _by_score(few: list[int], rank: dict[int, int], sort: str) -> list[int]:
    """The scored customers of `few` in the score sort: highest first, then by name (the
    position in `few`) and id, as the score index walk orders them."""
    column = LIST_SCORE_COLUMNS[sort]
    scores = RiskScore.objects.current().filter(customer_id__in=few)
    if sort == "probability":  # tier first: tiers are ranks of probability
        rows = scores.values_list("customer_id", "tier", column)
        ordered = sorted(
            rows, key=lambda row: (row[1] is None, row[1] or 0, -row[2], rank[row[0]], row[0])
        )
    else:
        rows = scores.values_list("customer_id", column)
        ordered = sorted(rows, key=lambda row: (-row[1], rank[row[0]], row[0]))
    return [row[0] for row in ordered]


def _sort_values(customer, sort: str) -> list:
    """The row's values in the keyset order of `sort` (selectors.list_sort_keys)."""
    if sort == "name":
        return [customer.name, customer.pk]
    if sort == "probability":
        return [customer.risk_tier, customer.risk_probability, customer.name, customer.pk]
    value = customer.revenue_at_risk if sort == "risk" else customer.risk_annual_value
    return [value, customer.name, customer.pk]


def scored_list_query(user, filters: dict, run: ScoringRun | None, today: dt.date, status: str):
    """The current scores of the customers the list shows (sorted by a score), filtered
    on the scores themselves: visibility (staff/access.py) and the list's filters through
    the score's customer, the tier on the score."""
    scores: QuerySet[RiskScore] = visible_to(user, RiskScore.objects.current(), "customer__")
    scores = scores.filter(
        *list_conditions(
            "customer__",
            "customer_id",
            today=today,
            team_id=filters["team"].pk if filters.get("team") else None,
            owner_id=filters["owner"].pk if filters.get("owner") else None,
            handover=filters.get("handover") or "",
            status=status,
            segment=filters.get("segment", ""),
            renewal_days=filters.get("renewal"),
            search=(filters.get("q") or "").strip(),
        )
    )
    if filters.get("tier") and run is not None:
        scores = scores.filter(tier__in=filters["tier"])
    return scores
