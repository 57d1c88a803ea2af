"""A deterministic demo company with two years of history in which churn follows the
behaviour DOMAIN.md describes.

Every customer lives through the same story: it buys yearly contracts, talks to its
owners, and sometimes runs into trouble (it disengages, complains, asks for a discount,
loses its decision-maker, or loses its account owner to a departure). Troubled customers
stop renewal talks and most of them churn, at the next contract end or mid-term. Healthy
customers renew, with a little noise (the odd complaint, a rare churn) so that the
signals are informative but not perfect.

Generation is vectorised with numpy and written with COPY on PostgreSQL (executemany
elsewhere) in chunks of customers, so the same code makes 1,500 customers for the demo
and 1M customers / 20M interactions for the benchmarks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from customers.models import (
    ChurnReason,
    Contact,
    Contract,
    Customer,
    ExchangeRate,
    Interaction,
    OwnerRole,
    OwnershipPeriod,
    Segment,
)
from retention.bulk import write_frame
from staff.models import Employee, Team

DEMO_PASSWORD = "demo-retention-2026"
# Units of EUR for one unit of each currency: round reference rates of 2025-26, so the
# demo company can take contracts in other currencies (API, import, admin) at once. The
# demo's own contracts stay in the reporting currency.
DEMO_RATES_IN_EUR = {
    "EUR": "1",
    "USD": "0.92",
    "GBP": "1.17",
    "CHF": "1.06",
    "JPY": "0.0061",
    "CNY": "0.128",
    "SEK": "0.087",
}
HISTORY_DAYS = 730
NAMED_LOGINS = ["am", "manager", "hr", "admin"]

REGIONS = ["North", "South", "East", "West", "Central"]
INDUSTRIES = [
    "Manufacturing",
    "Retail",
    "Logistics",
    "Healthcare",
    "Finance",
    "Software",
    "Construction",
    "Hospitality",
    "Energy",
    "Education",
]
FIRST_NAMES = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Eva",
    "Felix",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Karla",
    "Leon",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Rosa",
    "Sam",
    "Tara",
    "Uwe",
    "Vera",
    "Will",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Omar",
    "Lena",
    "Marco",
    "Nina",
    "Theo",
]
LAST_NAMES = [
    "Adler",
    "Berg",
    "Claes",
    "Dorn",
    "Eckert",
    "Fink",
    "Graf",
    "Hahn",
    "Iske",
    "Jung",
    "Kern",
    "Lang",
    "Maier",
    "Nagel",
    "Ott",
    "Pohl",
    "Quast",
    "Roth",
    "Stein",
    "Thiel",
]
NAME_A = [
    "Alpine",
    "Blue",
    "Cedar",
    "Delta",
    "Echo",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lumen",
    "Maple",
    "Nordic",
    "Orbit",
    "Pioneer",
    "Quarry",
    "River",
    "Summit",
    "Titan",
]
NAME_B = [
    "Works",
    "Systems",
    "Foods",
    "Logistics",
    "Health",
    "Capital",
    "Labs",
    "Builders",
    "Energy",
    "Retail",
    "Textiles",
    "Motors",
    "Print",
    "Pharma",
    "Studios",
]
NAME_C = ["GmbH", "AG", "Ltd", "Inc", "SE", "& Co"]

# Ordinary (untroubled) contact kinds and their shares.
ORDINARY_KINDS = np.array(
    ["call", "email", "meeting", "visit", "support_ticket", "usage", "survey", "note"]
)
ORDINARY_SHARES = np.array([0.24, 0.34, 0.09, 0.04, 0.08, 0.16, 0.03, 0.02])
RATED = {"call", "meeting", "visit", "survey", "support_ticket", "complaint"}

TROUBLE_NONE, TROUBLE_DISENGAGE, TROUBLE_SERVICE, TROUBLE_PRICE, TROUBLE_CONTACT, TROUBLE_OWNER = (
    range(6)
)
TROUBLE_REASON = {
    TROUBLE_DISENGAGE: [
        ChurnReason.CONVENIENCE,
        ChurnReason.COMPETITOR,
        ChurnReason.CONTRACT_EXPIRED,
    ],
    TROUBLE_SERVICE: [ChurnReason.QUALITY, ChurnReason.SERVICE],
    TROUBLE_PRICE: [ChurnReason.PRICE, ChurnReason.COMPETITOR],
    TROUBLE_CONTACT: [ChurnReason.CONTRACT_EXPIRED, ChurnReason.COMPETITOR],
    TROUBLE_OWNER: [ChurnReason.FOLLOWED_EMPLOYEE, ChurnReason.CONTRACT_EXPIRED],
    TROUBLE_NONE: [ChurnReason.BUSINESS_CLOSED, ChurnReason.CONTRACT_EXPIRED, ChurnReason.OTHER],
}


@dataclass
class DemoSummary:
    teams: int = 0
    employees: int = 0
    customers: int = 0
    churned: int = 0
    contacts: int = 0
    contracts: int = 0
    interactions: int = 0
    ownership_periods: int = 0
    exchange_rates: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _Staff:
    ids: np.ndarray  # employee ids
    team_of: np.ndarray  # team index per employee
    is_am: np.ndarray  # can own customers
    key: np.ndarray
    departed_on: np.ndarray  # day offset from history start, or -1
    departing_on: np.ndarray  # day offset, or -1
    successor: np.ndarray  # employee index taking over the book on departure, or -1
    team_region: list[str]


def generate(
    *,
    customers: int = 1500,
    interactions: int = 150_000,
    seed: int = 42,
    as_of: dt.date | None = None,
    chunk_customers: int = 50_000,
    progress: Callable[[str], None] = lambda message: None,
) -> DemoSummary:
    """Write a demo company into an empty database. Deterministic for a seed and as_of."""
    if Customer.objects.exists() or Employee.objects.exists():
        raise RuntimeError(
            "The database already holds customers or employees; use --reset to start over."
        )
    as_of = as_of or timezone.localdate()
    start = as_of - dt.timedelta(days=HISTORY_DAYS)
    rng = np.random.default_rng(seed)
    summary = DemoSummary()

    with transaction.atomic():
        staff = _create_staff(rng, customers, start, as_of, summary)
        summary.exchange_rates = _seed_exchange_rates(start, as_of)
    progress(f"{summary.employees} employees in {summary.teams} teams")

    # Interactions are spread over customers in proportion to expected activity.
    ids_next = {"contact": 1, "contract": 1, "interaction": 1, "ownership": 1}
    per_customer_target = interactions / max(customers, 1)
    for chunk_start in range(0, customers, chunk_customers):
        n = min(chunk_customers, customers - chunk_start)
        chunk_rng = np.random.default_rng([seed, chunk_start])
        # One transaction per chunk: all-or-nothing per batch, and no commit per row on SQLite.
        with transaction.atomic():
            _generate_chunk(
                chunk_rng,
                chunk_start,
                n,
                staff,
                start,
                as_of,
                per_customer_target,
                ids_next,
                summary,
            )
        progress(
            f"customers {chunk_start + n:,}/{customers:,}, interactions {summary.interactions:,}"
        )
    _reset_sequences()
    return summary


def _create_staff(
    rng, n_customers: int, start: dt.date, as_of: dt.date, summary: DemoSummary
) -> _Staff:
    n_teams = max(5, n_customers // 2500)
    account_managers_per_team = 6 if n_customers <= 5000 else max(6, n_customers // (n_teams * 300))
    User = get_user_model()
    teams = Team.objects.bulk_create(
        [
            Team(
                name=f"Team {REGIONS[i % 5]}" + (f" {i // 5 + 1}" if i >= 5 else ""),
                region=REGIONS[i % 5],
            )
            for i in range(n_teams)
        ]
    )
    summary.teams = len(teams)
    employees: list[Employee] = []
    team_of: list[int] = []
    is_am: list[bool] = []
    name_counter = 0

    def person(role: str, team_index: int | None) -> Employee:
        nonlocal name_counter
        first = FIRST_NAMES[name_counter % len(FIRST_NAMES)]
        last = LAST_NAMES[(name_counter // len(FIRST_NAMES) + name_counter) % len(LAST_NAMES)]
        name_counter += 1
        hired = start - dt.timedelta(days=int(rng.integers(30, 3000)))
        employee = Employee(
            name=f"{first} {last}",
            email=f"{first}.{last}.{name_counter}@demo.example".lower(),
            role=role,
            hired_on=hired,
            team=teams[team_index] if team_index is not None else None,
            external_id=f"HR-{name_counter:06d}",
        )
        employees.append(employee)
        team_of.append(team_index if team_index is not None else -1)
        is_am.append(role == Employee.Role.ACCOUNT_MANAGER)
        return employee

    for t in range(n_teams):
        person(Employee.Role.MANAGER, t)
        for _ in range(account_managers_per_team):
            person(Employee.Role.ACCOUNT_MANAGER, t)
    person(Employee.Role.HR, None)
    person(Employee.Role.HR, None)
    person(Employee.Role.ADMIN, None)
    Employee.objects.bulk_create(employees)
    employees = list(Employee.objects.order_by("id"))
    team_of_arr = np.array(team_of)
    is_am_arr = np.array(is_am)
    n = len(employees)

    # Managers manage their team; account managers report to them.
    managers = {
        team_of[i]: employees[i] for i in range(n) if employees[i].role == Employee.Role.MANAGER
    }
    for t, team in enumerate(teams):
        team.manager = managers[t]
    Team.objects.bulk_update(teams, ["manager"])
    for i, employee in enumerate(employees):
        if is_am[i]:
            employee.manager = managers[team_of[i]]

    am_index = np.flatnonzero(is_am_arr)
    key = np.zeros(n, dtype=bool)
    key[rng.choice(am_index, size=max(2, len(am_index) // 5), replace=False)] = True

    # Departures: ~1 in 6 account managers left during the history, ~1 in 16 is leaving now.
    departed_on = np.full(n, -1)
    departing_on = np.full(n, -1)
    successor = np.full(n, -1)
    shuffled = rng.permutation(am_index)
    n_departed = max(4, len(am_index) // 6)
    n_departing = max(2, len(am_index) // 16)
    # The demo manager (team 0's) has a departure to work on: the first one leaving now is
    # in their team.
    in_team_0 = [k for k in range(n_departed, len(shuffled)) if team_of[shuffled[k]] == 0]
    if in_team_0:
        k = in_team_0[0]
        shuffled[n_departed], shuffled[k] = shuffled[k], shuffled[n_departed]
    for i in shuffled[:n_departed]:
        departed_on[i] = int(rng.integers(120, HISTORY_DAYS - 30))
    for i in shuffled[n_departed : n_departed + n_departing]:
        departing_on[i] = HISTORY_DAYS + int(rng.integers(12, 60))
    staying = set(shuffled[n_departed:].tolist())
    for i in shuffled[:n_departed]:
        teammates = [
            j for j in am_index if team_of[j] == team_of[i] and j in staying and departing_on[j] < 0
        ]
        successor[i] = (
            rng.choice(teammates) if teammates else managers_index(employees, managers[team_of[i]])
        )

    reasons = [
        "Better offer elsewhere",
        "Relocation",
        "Career change",
        "Restructuring",
        "Started own business",
    ]
    for i, employee in enumerate(employees):
        employee.is_key_employee = bool(key[i])
        if departed_on[i] >= 0:
            employee.status = Employee.Status.DEPARTED
            employee.departure_date = start + dt.timedelta(days=int(departed_on[i]))
            employee.departure_voluntary = bool(rng.random() < 0.75)
            employee.departure_reason = reasons[int(rng.integers(0, len(reasons)))]
            employee.departure_announced_on = employee.departure_date - dt.timedelta(
                days=int(rng.integers(14, 60))
            )
        elif departing_on[i] >= 0:
            employee.status = Employee.Status.DEPARTING
            employee.departure_date = start + dt.timedelta(days=int(departing_on[i]))
            employee.departure_voluntary = True
            employee.departure_reason = reasons[int(rng.integers(0, 3))]
            employee.departure_announced_on = as_of - dt.timedelta(days=int(rng.integers(0, 10)))
        employee.confidentiality_until = (employee.departure_date or as_of) + dt.timedelta(days=730)
        if employee.is_key_employee:
            employee.non_compete_until = (employee.departure_date or as_of) + dt.timedelta(days=365)
    Employee.objects.bulk_update(
        employees,
        [
            "manager",
            "is_key_employee",
            "status",
            "departure_date",
            "departure_voluntary",
            "departure_reason",
            "departure_announced_on",
            "confidentiality_until",
            "non_compete_until",
        ],
        batch_size=1000,
    )

    # Logins: every employee of the demo-sized company; at benchmark scale only the named ones.
    users = []
    login_for = {}
    password_hash = make_password(DEMO_PASSWORD)  # one hash for all: hashing is slow by design
    named = {
        "am": int(sorted(shuffled[n_departed + n_departing :], key=lambda i: (not key[i], i))[0]),
        "manager": int(managers_index(employees, managers[0])),
        "hr": int(np.flatnonzero(np.array([e.role == Employee.Role.HR for e in employees]))[0]),
        "admin": int(
            np.flatnonzero(np.array([e.role == Employee.Role.ADMIN for e in employees]))[0]
        ),
    }
    for username, i in named.items():
        login_for[i] = username
    if n <= 200:
        for i, employee in enumerate(employees):
            login_for.setdefault(i, employee.email.split("@")[0])
    for i, username in login_for.items():
        employee = employees[i]
        user = User(
            username=username,
            email=employee.email,
            first_name=employee.name.split()[0],
            last_name=employee.name.split()[-1],
            is_active=employee.status != Employee.Status.DEPARTED,
            is_staff=employee.role == Employee.Role.ADMIN,
            is_superuser=employee.role == Employee.Role.ADMIN,
        )
        user.password = password_hash
        users.append((i, user))
    User.objects.bulk_create([user for _, user in users])
    created = {
        u.username: u
        for u in User.objects.filter(username__in=[user.username for _, user in users])
    }
    for i, user in users:
        employees[i].user = created[user.username]
    Employee.objects.bulk_update([employees[i] for i, _ in users], ["user"], batch_size=1000)
    for username, i in named.items():
        summary.logins.append((username, f"{employees[i].name}, {employees[i].get_role_display()}"))
    summary.employees = n

    return _Staff(
        ids=np.array([e.id for e in employees]),
        team_of=team_of_arr,
        is_am=is_am_arr,
        key=key,
        departed_on=departed_on,
        departing_on=departing_on,
        successor=successor,
        team_region=[team.region for team in teams],
    )


def _seed_exchange_rates(start: dt.date, as_of: dt.date) -> int:
    """A rate on the first of every month of the history for a few currencies, into the
    reporting currency (cross rates through EUR); none when the reporting currency is
    not among them. Rates already there are kept."""
    from decimal import Decimal

    from customers.currency import rate_external_id

    reporting = settings.REPORTING_CURRENCY
    if reporting not in DEMO_RATES_IN_EUR:
        return 0
    per_reporting = Decimal(DEMO_RATES_IN_EUR[reporting])
    months = pd.date_range(start.replace(day=1), as_of, freq="MS").date
    rates = [
        ExchangeRate(
            currency=currency,
            day=day,
            rate=(Decimal(in_eur) / per_reporting).quantize(Decimal("1e-10")),
            external_id=rate_external_id(currency, day),
        )
        for currency, in_eur in DEMO_RATES_IN_EUR.items()
        if currency != reporting
        for day in months
    ]
    return len(ExchangeRate.objects.bulk_create(rates, ignore_conflicts=True))


def managers_index(employees: list[Employee], manager: Employee) -> int:
    return next(i for i, e in enumerate(employees) if e.pk == manager.pk)


def _generate_chunk(
    rng,
    offset: int,
    n: int,
    staff: _Staff,
    start: dt.date,
    as_of: dt.date,
    per_customer_target: float,
    ids_next: dict[str, int],
    summary: DemoSummary,
) -> None:
    H = HISTORY_DAYS
    cust_id = np.arange(offset + 1, offset + n + 1)

    # --- who they are -------------------------------------------------------------------
    # Tenure: 75% were customers before the history window, 25% joined during it.
    joined_before = rng.random(n) < 0.75
    since = np.where(joined_before, -rng.integers(1, 2500, n), rng.integers(0, H - 45, n))
    value = np.round(np.exp(rng.normal(9.9, 1.1, n)), -2).clip(1200, 2_000_000)
    rank = value.argsort().argsort() / max(n - 1, 1)
    segment = np.where(
        rank >= 0.90, Segment.CORE, np.where(rank >= 0.60, Segment.IMPORTANT, Segment.GENERAL)
    )
    auto_renew = rng.random(n) < 0.25
    activity = np.exp(rng.normal(0, 0.35, n))
    base_rate = (
        np.select([segment == Segment.CORE, segment == Segment.IMPORTANT], [2.2, 1.5], 1.0)
        * activity
    )

    # Owners: key employees get most of the core customers (that is what makes them key).
    am = np.flatnonzero(staff.is_am)
    weights_core = np.where(staff.key[am], 4.0, 1.0)
    primary = np.where(
        segment == Segment.CORE,
        rng.choice(am, n, p=weights_core / weights_core.sum()),
        rng.choice(am, n),
    )
    # Customers who joined after their would-be owner left go to the successor.
    left_before = (staff.departed_on[primary] >= 0) & (staff.departed_on[primary] <= since)
    primary = np.where(left_before, staff.successor[primary], primary)
    wants_secondary = rng.random(n) < np.select(
        [segment == Segment.CORE, segment == Segment.IMPORTANT], [0.6, 0.35], 0.1
    )
    secondary = rng.choice(am, n)
    secondary = np.where(
        wants_secondary & (secondary != primary) & (staff.departed_on[secondary] < 0), secondary, -1
    )

    # --- trouble ------------------------------------------------------------------------
    trouble = np.full(n, TROUBLE_NONE)
    onset = np.full(n, 10**6)
    first_day = np.maximum(since, 0)
    troubled = rng.random(n) < 0.30
    onset_candidate = (
        first_day + 60 + (rng.random(n) * np.maximum(H - first_day - 40, 1)).astype(int)
    )
    kinds = rng.choice(
        [TROUBLE_DISENGAGE, TROUBLE_SERVICE, TROUBLE_PRICE, TROUBLE_CONTACT],
        n,
        p=[0.35, 0.25, 0.25, 0.15],
    )
    troubled &= onset_candidate < H
    trouble = np.where(troubled, kinds, trouble)
    onset = np.where(troubled, onset_candidate, onset)
    # An owner leaving shakes single-threaded customers far more than well-covered ones.
    owner_left = staff.departed_on[primary]
    owner_switch = np.where(owner_left >= 0, owner_left, 10**6)
    shaken = (
        (owner_left >= 0)
        & (owner_left > since)
        & (rng.random(n) < np.where(secondary < 0, 0.55, 0.2))
    )
    owner_onset = owner_left + rng.integers(0, 30, n)
    take_owner = shaken & (owner_onset < onset)
    trouble = np.where(take_owner, TROUBLE_OWNER, trouble)
    onset = np.where(take_owner, owner_onset, onset)
    has_trouble = trouble != TROUBLE_NONE
    will_churn = has_trouble & (rng.random(n) < 0.7)

    # Contracts renew yearly on the anniversary of `since`.
    # First contract end after onset + 45 days (the customer says no at the renewal).
    after = onset + 45
    k = np.ceil((after - since) / 365.0)
    next_end = since + k * 365
    explicit = (
        will_churn & (next_end - onset <= 330) & (rng.random(n) < np.where(auto_renew, 0.5, 0.85))
    )
    churn_day = np.where(explicit, next_end, onset + rng.integers(60, 200, n))
    churn_day = np.where(will_churn, churn_day, 10**6)
    # Background churn of healthy customers (business closed and the like): ~2% a year.
    quiet = ~has_trouble & (rng.random(n) < 0.04)
    quiet_day = first_day + (rng.random(n) * (H - first_day)).astype(int)
    churn_day = np.where(quiet, quiet_day, churn_day)
    churned = churn_day < H
    active_until = np.where(churned, churn_day, H)

    reasons = np.empty(n, dtype=object)
    for code, options in TROUBLE_REASON.items():
        mask = trouble == code
        reasons[mask] = rng.choice(np.array([o.value for o in options]), int(mask.sum()))
    reasons = np.where(
        explicit & churned & (trouble != TROUBLE_OWNER), ChurnReason.CONTRACT_EXPIRED.value, reasons
    )

    # Current owner after departures (the successor took the book on the departure day).
    current_primary = np.where(owner_switch <= H, staff.successor[primary], primary)
    secondary = np.where(secondary == current_primary, -1, secondary)
    has_secondary = secondary >= 0
    customers_df = pd.DataFrame(
        {
            "id": cust_id,
            "name": _company_names(rng, cust_id),
            "external_id": [f"C{i:07d}" for i in cust_id],
            "segment": segment,
            "industry": rng.choice(INDUSTRIES, n),
            "region": [staff.team_region[t] for t in staff.team_of[current_primary]],
            "customer_since": _dates(start, since),
            "primary_owner_id": staff.ids[current_primary],
            "secondary_owner_id": np.where(
                secondary >= 0, staff.ids[np.maximum(secondary, 0)], None
            ),
            "status": np.where(
                churned, Customer.Status.CHURNED.value, Customer.Status.ACTIVE.value
            ),
            "churned_on": np.where(churned, _dates(start, np.minimum(churn_day, H)), None),
            "churn_reason": np.where(churned, reasons, ""),
            "churn_reason_detail": "",
        }
    )
    _stamp(customers_df)
    write_frame(Customer, customers_df)
    summary.customers += n
    summary.churned += int(churned.sum())

    # --- ownership history ----------------------------------------------------------------
    rows = []
    started_primary = np.maximum(since, -3650)
    switched = owner_switch <= H
    rows.append(
        pd.DataFrame(
            {
                "customer_id": cust_id,
                "employee_id": staff.ids[primary],
                "role": OwnerRole.PRIMARY.value,
                "started_on": _dates(start, started_primary),
                "ended_on": np.where(switched, _dates(start, np.minimum(owner_switch, H)), None),
                "reason": "",
            }
        )
    )
    if switched.any():
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": cust_id[switched],
                    "employee_id": staff.ids[staff.successor[primary[switched]]],
                    "role": OwnerRole.PRIMARY.value,
                    "started_on": _dates(start, owner_switch[switched]),
                    "ended_on": None,
                    "reason": "Previous owner left the company",
                }
            )
        )
    rows.append(
        pd.DataFrame(
            {
                "customer_id": cust_id[has_secondary],
                "employee_id": staff.ids[secondary[has_secondary]],
                "role": OwnerRole.SECONDARY.value,
                "started_on": _dates(start, started_primary[has_secondary]),
                "ended_on": None,
                "reason": "",
            }
        )
    )
    ownership = pd.concat(rows, ignore_index=True)
    ownership.insert(
        0, "id", np.arange(ids_next["ownership"], ids_next["ownership"] + len(ownership))
    )
    ownership["changed_by_id"] = None
    ownership["created_at"] = timezone.now()
    ids_next["ownership"] += len(ownership)
    write_frame(OwnershipPeriod, ownership)
    summary.ownership_periods += len(ownership)

    # --- contacts ---------------------------------------------------------------------------
    n_contacts = np.select([segment == Segment.CORE, segment == Segment.IMPORTANT], [4, 3], 2) - (
        rng.random(n) < 0.4
    )
    contact_customer = np.repeat(np.arange(n), n_contacts)
    position = np.arange(len(contact_customer)) - np.repeat(
        np.cumsum(n_contacts) - n_contacts, n_contacts
    )
    contact_ids = np.arange(ids_next["contact"], ids_next["contact"] + len(contact_customer))
    ids_next["contact"] += len(contact_customer)
    # The decision-maker (position 0) leaves for "contact" trouble; a few others leave anyway.
    dm_left = (position == 0) & (trouble[contact_customer] == TROUBLE_CONTACT)
    other_left = (position > 1) & (rng.random(len(contact_customer)) < 0.15)
    left_day = np.where(
        dm_left,
        onset[contact_customer],
        first_day[contact_customer]
        + (rng.random(len(contact_customer)) * (H - first_day[contact_customer])).astype(int),
    )
    left = (dm_left | other_left) & (left_day < H)
    # A customer always keeps one steady contact (position 1, or 0 where nobody leaves).
    first = rng.choice(FIRST_NAMES, len(contact_customer))
    last = rng.choice(LAST_NAMES, len(contact_customer))
    contacts_df = pd.DataFrame(
        {
            "id": contact_ids,
            "customer_id": cust_id[contact_customer],
            "external_id": [f"P{i:08d}" for i in contact_ids],
            "name": np.char.add(np.char.add(first.astype(str), " "), last.astype(str)),
            "role": np.where(
                position == 0,
                "Managing Director",
                np.where(position == 1, "Purchasing", "Operations"),
            ),
            "email": [f"contact{i}@customer.example" for i in contact_ids],
            "phone": "",
            "is_decision_maker": position == 0,
            "status": np.where(left, Contact.Status.LEFT.value, Contact.Status.ACTIVE.value),
            "left_on": np.where(left, _dates(start, np.minimum(left_day, H - 1)), None),
            "known_since": _dates(start, since[contact_customer]),
        }
    )
    _stamp(contacts_df)
    write_frame(Contact, contacts_df)
    summary.contacts += len(contacts_df)
    steady_contact = contact_ids[np.cumsum(n_contacts) - n_contacts + np.minimum(1, n_contacts - 1)]

    # --- contracts: yearly terms on the anniversary of `since`, from a year before the window ---
    last_day = np.where(churned, np.where(explicit, churn_day - 1, churn_day), H)
    y_first = np.maximum(0, np.floor((-365 - since) / 365.0)).astype(int)
    y_last = np.floor((last_day - since) / 365.0).astype(int)
    n_years = np.maximum(y_last - y_first + 1, 1)
    contract_customer = np.repeat(np.arange(n), n_years)
    year = (
        y_first[contract_customer]
        + np.arange(len(contract_customer))
        - np.repeat(np.cumsum(n_years) - n_years, n_years)
    )
    c_start = since[contract_customer] + year * 365
    c_end = c_start + 364
    is_last = year == y_last[contract_customer]
    c_churned = churned[contract_customer]
    c_explicit = explicit[contract_customer]
    cancelled = is_last & c_churned & ~c_explicit
    expired = is_last & c_churned & c_explicit
    status = np.where(
        ~is_last,
        Contract.Status.RENEWED.value,
        np.where(
            cancelled,
            Contract.Status.CANCELLED.value,
            np.where(expired, Contract.Status.EXPIRED.value, Contract.Status.ACTIVE.value),
        ),
    )
    # Cancelled mid-term: the contract ends on the churn date.
    c_end = np.where(cancelled, np.maximum(churn_day[contract_customer], c_start), c_end)
    growth = 1.03 ** (year - y_first[contract_customer])
    contract_ids = np.arange(ids_next["contract"], ids_next["contract"] + len(contract_customer))
    ids_next["contract"] += len(contract_customer)
    contracts_df = pd.DataFrame(
        {
            "id": contract_ids,
            "customer_id": cust_id[contract_customer],
            "external_id": [f"K{i:08d}" for i in contract_ids],
            "start_date": _dates(start, c_start),
            "end_date": _dates(start, c_end),
            "annual_value": np.round(value[contract_customer] * growth, 2),
            "currency": settings.REPORTING_CURRENCY,
            "annual_value_reporting": np.round(value[contract_customer] * growth, 2),
            "kind": Contract.Kind.SUBSCRIPTION.value,
            "status": status,
            "auto_renew": auto_renew[contract_customer],
            "renewal_of_id": np.where(
                year > y_first[contract_customer], (contract_ids - 1).astype(object), None
            ),
        }
    )
    _stamp(contracts_df)
    write_frame(Contract, contracts_df)
    summary.contracts += len(contracts_df)

    # --- interactions -------------------------------------------------------------------------
    window_start = first_day
    window_end = np.minimum(active_until, H)
    days = np.maximum(window_end - window_start, 0)
    # Scale ordinary rates so the whole company lands near the requested interaction total.
    expected = base_rate * days
    scale = per_customer_target * n / max(expected.sum(), 1.0)
    ordinary_count = rng.poisson(expected * scale)
    icust = np.repeat(np.arange(n), ordinary_count)
    t = window_start[icust] + rng.random(len(icust)) * days[icust]
    # Disengagement and owner loss thin out contact after the onset; other trouble less so.
    keep_after = np.select(
        [
            trouble[icust] == TROUBLE_DISENGAGE,
            trouble[icust] == TROUBLE_OWNER,
            trouble[icust] == TROUBLE_CONTACT,
        ],
        [0.25, 0.4, 0.6],
        0.85,
    )
    keep = (t < onset[icust]) | (rng.random(len(icust)) < keep_after)
    icust, t = icust[keep], t[keep]
    kind = rng.choice(ORDINARY_KINDS, len(icust), p=ORDINARY_SHARES)

    extra_c, extra_t, extra_k = [], [], []

    def add(mask: np.ndarray, count: np.ndarray, lo: np.ndarray, hi: np.ndarray, what: str) -> None:
        count = np.where(mask, count, 0)
        who = np.repeat(np.arange(n), count)
        span = np.maximum(hi[who] - lo[who], 1)
        extra_c.append(who)
        extra_t.append(lo[who] + rng.random(len(who)) * span)
        extra_k.append(np.full(len(who), what))

    end_of_trouble = np.minimum(window_end, onset + 150)
    add(trouble == TROUBLE_SERVICE, rng.integers(2, 5, n), onset, end_of_trouble, "complaint")
    add(trouble == TROUBLE_SERVICE, rng.integers(2, 5, n), onset, end_of_trouble, "support_ticket")
    add(
        trouble == TROUBLE_PRICE,
        rng.integers(1, 3, n),
        onset,
        np.minimum(window_end, onset + 70),
        "discount_request",
    )
    add(trouble == TROUBLE_OWNER, rng.integers(0, 2, n), onset, end_of_trouble, "complaint")
    # Noise: healthy customers complain or haggle now and then too.
    add(rng.random(n) < 0.25, np.ones(n, dtype=int), window_start, window_end, "complaint")
    add(rng.random(n) < 0.12, np.ones(n, dtype=int), window_start, window_end, "discount_request")
    # Renewal talks 30-150 days before each contract end, unless the customer is in trouble.
    renewal_end = c_end[~cancelled]
    renewal_cust = contract_customer[~cancelled]
    talk_at = renewal_end - rng.integers(30, 150, len(renewal_end))
    in_trouble_then = talk_at >= onset[renewal_cust]
    talks = (
        (rng.random(len(renewal_end)) < np.where(in_trouble_then, 0.15, 0.9))
        & (talk_at >= window_start[renewal_cust])
        & (talk_at < window_end[renewal_cust])
    )
    extra_c.append(renewal_cust[talks])
    extra_t.append(talk_at[talks] + rng.random(int(talks.sum())))
    extra_k.append(np.full(int(talks.sum()), "renewal_talk"))

    icust = np.concatenate([icust, *extra_c])
    t = np.concatenate([t, *extra_t])
    kind = np.concatenate([kind, *extra_k])
    valid = (t >= window_start[icust]) & (t < np.minimum(window_end[icust] + 1, H))
    icust, t, kind = icust[valid], t[valid], kind[valid]
    m = len(icust)

    # Who handled it: the owner of the day, sometimes the secondary or a teammate; none for usage.
    owner_then = np.where(t >= owner_switch[icust], staff.successor[primary[icust]], primary[icust])
    roll = rng.random(m)
    sec = secondary[icust]
    handler = np.where((roll < 0.2) & (sec >= 0), sec, owner_then)
    teammate = rng.choice(am, m)
    handler = np.where((roll > 0.95) & (secondary[icust] >= 0), teammate, handler)
    employee = np.where(kind == "usage", None, staff.ids[handler].astype(object))
    direction = np.select(
        [
            kind == "usage",
            np.isin(kind, ["complaint", "support_ticket", "discount_request"]),
            kind == "note",
        ],
        ["internal", "inbound", "internal"],
        "outbound",
    )
    troubled_now = t >= onset[icust]
    satisfaction_mean = np.where(troubled_now & (trouble[icust] != TROUBLE_PRICE), 4.0, 8.0)
    satisfaction = np.clip(np.round(rng.normal(satisfaction_mean, 1.3)), 1, 10).astype(int)
    rated = np.isin(kind, list(RATED)) & (rng.random(m) < np.where(kind == "survey", 1.0, 0.3))
    satisfaction = np.where(kind == "complaint", np.clip(satisfaction - 3, 1, 10), satisfaction)
    contact = np.where(
        np.isin(kind, ["call", "meeting", "visit", "email", "renewal_talk"])
        & (rng.random(m) < 0.7),
        steady_contact[icust].astype(object),
        None,
    )
    happened = pd.Timestamp(start, tz=dt.UTC) + pd.to_timedelta(
        np.minimum(t, H - 1e-6) * 86400.0, unit="s"
    ).round("s")
    interaction_ids = np.arange(ids_next["interaction"], ids_next["interaction"] + m)
    ids_next["interaction"] += m
    interactions_df = pd.DataFrame(
        {
            "id": interaction_ids,
            "customer_id": cust_id[icust],
            "employee_id": employee,
            "contact_id": contact,
            "kind": kind,
            "direction": direction,
            "happened_at": happened,
            "satisfaction": np.where(rated, satisfaction.astype(object), None),
            "notes": "",
            "external_id": np.char.add("I", interaction_ids.astype(str)),
            "created_at": timezone.now(),
        }
    )
    write_frame(Interaction, interactions_df)
    summary.interactions += m


def _company_names(rng, ids: np.ndarray) -> list[str]:
    a = rng.integers(0, len(NAME_A), len(ids))
    b = rng.integers(0, len(NAME_B), len(ids))
    c = rng.integers(0, len(NAME_C), len(ids))
    return [
        f"{NAME_A[x]} {NAME_B[y]} {NAME_C[z]}" + (f" {i // 1800}" if i >= 1800 else "")
        for x, y, z, i in zip(a, b, c, ids, strict=True)
    ]


def _dates(start: dt.date, offsets: np.ndarray) -> np.ndarray:
    base = np.datetime64(start, "D")
    return (base + np.asarray(offsets).astype("int64").astype("timedelta64[D]")).astype(object)


def _stamp(df: pd.DataFrame) -> None:
    now = timezone.now()
    df["created_at"] = now
    df["updated_at"] = now


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    models = [Customer, OwnershipPeriod, Contact, Contract, Interaction]
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def wipe() -> None:
    """Remove all customer and staff data (the demo's --reset)."""
    User = get_user_model()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            tables = [
                m._meta.db_table
                for m in (Interaction, Contract, Contact, OwnershipPeriod, Customer)
            ]
            with connection.cursor() as cursor:
                # Deferred foreign-key checks must fire before TRUNCATE may run.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for model in (Interaction, Contract, Contact, OwnershipPeriod, Customer):
                model.objects.all().delete()
        Team.objects.update(manager=None)
        Employee.objects.update(manager=None)
        Employee.objects.all().delete()
        Team.objects.all().delete()
        User.objects.filter(is_superuser=False).delete()
        User.objects.filter(username="admin").delete()


def open_handovers(*, as_of: dt.date) -> int:
    """Handover plans for the demo's departing employees, as HR would have recorded them
    on the day each departure was announced (scored first, so priorities use risk)."""
    from handover.models import HandoverPlan
    from handover.services import raise_tasks

    opened = 0
    departing = Employee.objects.filter(status=Employee.Status.DEPARTING).select_related("team")
    for employee in departing.exclude(handover_plans__status=HandoverPlan.Status.OPEN):
        plan = HandoverPlan(
            employee=employee,
            last_day=employee.departure_date,
            reason=employee.departure_reason or "Not given",
            voluntary=bool(employee.departure_voluntary),
        )
        plan.add_log("demo_departure_recorded")
        plan.save()
        raise_tasks(plan=plan, today=as_of)
        opened += 1
    return opened


# Warning signs the demo's account managers answered, and what they did about them.
DEMO_ACTIONS = {
    "complaint": ("complaint", "call"),
    "discount_request": ("discount_request", "offer"),
    "support_ticket": ("support_escalation", "visit"),
}


def seed_retention_actions(*, as_of: dt.date) -> int:
    """Retention actions for the demo's save rate: for a quarter of the customers who
    complained, asked for a discount or opened a ticket in the last 11 months, the owner's
    answer two days later (call, tailored offer, visit). Outcomes are settled by the nightly
    job from what happened next (churned: lost; renewed or stayed 90 days: saved).
    Idempotent: customers who already have a demo action get none."""
    from alerts.actions import settle_actions
    from alerts.models import DEFAULT_PLAYS, RetentionAction

    since = timezone.make_aware(dt.datetime.combine(as_of - dt.timedelta(days=330), dt.time()))
    rows = (
        Interaction.objects.filter(kind__in=list(DEMO_ACTIONS), happened_at__gte=since)
        .annotate(bucket=F("customer_id") % 4)
        .filter(bucket=0)
        .exclude(customer__retention_actions__isnull=False)
        .order_by("customer_id", "happened_at")
        .values_list(
            "customer_id",
            "kind",
            "happened_at",
            "customer__primary_owner_id",
            "customer__primary_owner__team_id",
        )
    )
    actions, seen = [], set()
    for customer_id, kind, happened_at, owner_id, team_id in rows.iterator(chunk_size=5000):
        if customer_id in seen:
            continue
        seen.add(customer_id)
        signal, action = DEMO_ACTIONS[kind]
        taken_on = min(happened_at.date() + dt.timedelta(days=2), as_of)
        actions.append(
            RetentionAction(
                customer_id=customer_id,
                kind=action,
                signal=signal,
                play=DEFAULT_PLAYS[signal],
                owner_id=owner_id,
                team_id=team_id,
                taken_on=taken_on,
                notes="Demo data",
            )
        )
    RetentionAction.objects.bulk_create(actions, batch_size=5000)
    settle_actions(day=as_of)
    return len(actions)
