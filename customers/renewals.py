"""Pages of the renewal calendar, read the cheapest way for who is looking.

- A viewer who sees a few thousand active customers (a manager, HR, an account manager;
  anyone who chooses a team) has their ids read first, in name order
  (selectors.few_customer_ids). Their contracts in the window are read on the customer
  index and sorted here by end date, then name (the place in that order) and id; the
  count is the length of that list. Walking the company's contracts by end date and
  testing each one's customer read hundreds of other people's contracts for each one
  shown, and counting joined every active customer of the company.
- Everyone else's calendar (an admin's) lists most contracts it walks: it walks them by
  end date and stops after a page, and the count stops at LIST_EXACT_COUNT_UP_TO.

Either way the page's rows are read with renewal_calendar (risk, last renewal talk, the
renewal alert): the same rows, in the same order."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Page

from customers.models import Customer
from customers.selectors import contracts_ending, few_customer_ids, renewal_calendar
from retention.paging import CappedPaginator
from staff.access import customer_scope, employee_of, role_of, visible_to

PAGE_SIZE = 50


def renewal_page(
    user, *, today: dt.date, team_id: int | None, month: dt.date | None, number
) -> Page:
    """Page `number` of the contracts ending in the next 180 days (in `month`, of
    `team_id`'s customers by primary owner) of the customers `user` sees
    (staff/access.py), soonest first, then by customer name."""
    scope = customer_scope(role_of(user), employee_of(user))
    customers = Customer.objects.filter(status=Customer.Status.ACTIVE)
    if scope is not None:
        customers = customers.filter(scope)
    if team_id:
        customers = customers.filter(primary_owner__team_id=team_id)
    # Every customer of the company (an admin, no team chosen) is no few.
    few = few_customer_ids(customers, in_name_order=True) if scope is not None or team_id else None
    if few is None:
        contracts = renewal_calendar(as_of=today, team_id=team_id, month=month)
        contracts = visible_to(user, contracts, "customer__")
        return CappedPaginator(contracts, PAGE_SIZE).get_page(number)
    place = {pk: position for position, pk in enumerate(few)}
    ending = contracts_ending(as_of=today, month=month).filter(customer_id__in=few)
    rows = sorted(
        ending.values_list("id", "end_date", "customer_id"),
        key=lambda row: (row[1], place[row[2]], row[0]),
    )
    page = CappedPaginator([row[0] for row in rows], PAGE_SIZE).get_page(number)
    shown = {
        contract.pk: contract
        for contract in renewal_calendar(as_of=today).filter(pk__in=list(page.object_list))
    }
    page.object_list = [shown[pk] for pk in page.object_list if pk in shown]
    return page
