"""Opens every main page and every API list as each demo login, on whatever database
DATABASE_URL names (the SQLite demo test runs it in a subprocess). Prints one line per
page and exits non-zero when a page fails: a server error, or a page no login can open."""

import os
import sys

import django

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "retention.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from handover.models import HandoverPlan  # noqa: E402

PASSWORD = "demo-retention-2026"
LOGINS = ("am", "manager", "hr", "admin")
PAGES = (
    "/",
    "/customers/",
    "/customers/owners/",
    "/alerts/",
    "/alerts/save-rates/",
    "/alerts/monthly/",
    "/renewals/",
    "/dashboard/",
    "/handover/",
    "/handover/exposure/",
    "/handover/outcomes/",
    "/handover/my-steps/",
    "/hr/",
    "/model/",
    "/jobs/",
    "/imports/",
)
API = (
    "customers", "contacts", "contracts", "interactions", "exchange-rates", "usage", "teams",
    "employees", "handover-plans", "handover-tasks", "risk-scores",
    "risk-models", "alerts", "retention-actions", "webhooks",
)  # fmt: skip


def main() -> int:
    setup_test_environment()
    settings.ALLOWED_HOSTS = ["testserver"]
    opened: dict[str, set[str]] = {}
    failures = []
    plan = HandoverPlan.objects.order_by("pk").values_list("pk", flat=True).first()
    for login in LOGINS:
        client = Client(raise_request_exception=False)
        user = get_user_model().objects.get(username=login)
        assert user.check_password(PASSWORD), f"{login}'s password is not the README's"
        client.force_login(user)  # the sign-in form's lockout wants a real request
        urls = [(url, url) for url in PAGES] + [(f"/api/v1/{n}/",) * 2 for n in API]
        customers = client.get("/api/v1/customers/")
        if customers.status_code == 200:
            rows = customers.json()
            rows = rows.get("results", rows) if isinstance(rows, dict) else rows
            if rows:
                urls.append(("customer page", f"/customers/{rows[0]['id']}/"))
        if plan is not None:
            urls.append(("handover plan", f"/handover/plans/{plan}/"))
        for page, url in urls:
            response = client.get(url)
            status = response.status_code
            print(f"{login:8} {status} {url}")
            if status == 200:
                opened.setdefault(page, set()).add(login)
            elif status not in (302, 403, 404):
                failures.append(f"{login} {url}: {status}")
    for url in (*PAGES, "customer page", "handover plan"):
        if url not in opened:
            failures.append(f"no login opened {url}")
    for failure in failures:
        print("FAILED", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
