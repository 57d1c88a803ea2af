"""The demo company's fixed vocabulary: logins, regions, industries, people's and
companies' names, the mix of interaction kinds and the churn reasons of troubled
customers."""

from __future__ import annotations

import numpy as np

from customers.models import ChurnReason

DEMO_PASSWORD = "demo-retention-2026"
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


def company_names(rng, ids: np.ndarray) -> list[str]:
    a = rng.integers(0, len(NAME_A), len(ids))
    b = rng.integers(0, len(NAME_B), len(ids))
    c = rng.integers(0, len(NAME_C), len(ids))
    return [
        f"{NAME_A[x]} {NAME_B[y]} {NAME_C[z]}" + (f" {i // 1800}" if i >= 1800 else "")
        for x, y, z, i in zip(a, b, c, ids, strict=True)
    ]
