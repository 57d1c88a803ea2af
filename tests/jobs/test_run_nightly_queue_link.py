"""`manage.py run_nightly --queue` names the jobs page of the night it queued: a link an
admin can open."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_printed_link_opens_the_night_on_the_jobs_page(client):
    out = io.StringIO()
    call_command("run_nightly", "--queue", "--as-of", "2026-03-04", stdout=out)
    link = out.getvalue().split("follow it on ")[1].strip()
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    page = client.get(link)
    assert page.status_code == 200, link
    assert page.context["day"] == dt.date(2026, 3, 4)
