"""In a real browser, under the Content-Security-Policy (django-csp): the pages that use
Chart.js, HTMX and json_script, the API docs and the admin work and the console reports no
violation."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import EmployeeFactory, UserFactory
from tests.test_browser_pages import _scored_world, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _watch(page) -> list[str]:
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console: {message.text} {message.location}")
            if "Content Security Policy" in message.text
            or (message.type == "error" and "favicon.ico" not in message.location.get("url", ""))
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status}: {response.url}")
            if response.status >= 400
            else None
        ),
    )
    return problems


def test_pages_charts_htmx_docs_and_admin_work_under_the_policy(browser_page, live_server):
    ann, mia, customers, _ = _scored_world()
    EmployeeFactory(name="Hal", role="hr", user=UserFactory(username="hal"))
    page, base = browser_page, live_server.url
    problems = _watch(page)

    sign_in(page, base, "ann")
    response = page.goto(f"{base}/customers/{customers['Acme'].pk}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    page.wait_for_load_state("networkidle")
    points = page.evaluate("() => Chart.getChart('risk-chart').data.datasets[0].data.length")
    assert points >= 2  # Chart.js drew the history read from json_script
    # HTMX: the quick log form posts in place and puts the entry on top.
    page.get_by_label("Notes").fill("Checked in under the policy")
    page.get_by_role("button", name="Log it").click()
    page.get_by_text("Checked in under the policy").first.wait_for()
    page.goto(f"{base}/")
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, "mia")
    page.goto(f"{base}/dashboard/")
    page.wait_for_load_state("networkidle")
    assert page.evaluate("() => Chart.getChart('tier-chart').data.datasets[0].data.length") == 5
    page.goto(f"{base}/api/v1/docs/")
    page.locator(".swagger-ui .info").first.wait_for()

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    root.user_permissions.set(Permission.objects.none())
    page.goto(f"{base}/admin/login/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{base}/admin/customers/customer/{customers['Acme'].pk}/change/")
    page.get_by_role("button", name="Save", exact=True).wait_for()
    page.goto(f"{base}/admin/customers/interaction/")
    page.wait_for_load_state("networkidle")

    assert problems == []
