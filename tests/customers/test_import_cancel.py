"""Cancelling a file check or import that is queued or running: its owner or an admin
may, it is audited, nothing is written, and a job that gave up shows as failed with its
reason instead of "importing" for ever."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from customers.models import CsvImport, Customer
from customers.tasks import run_csv_import
from retention.jobs.models import JobStep
from staff.models import AuditEvent
from tests.factories import EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(tmp_path, settings):
    """An import the Import button has just started: its job not yet run."""
    settings.MEDIA_ROOT = tmp_path
    owner = UserFactory(username="ann")
    EmployeeFactory(name="Ann", user=owner)  # an account manager, not an admin
    header = ["external_id", "name", "segment", "customer_since"]
    job = CsvImport(kind="customers", original_name="f.csv", header=header, created_by=owner)
    job.file.save("f.csv", ContentFile(b"external_id,name,segment,customer_since\n" + b"".join(
        f"Q-{i},Firm {i},general,2024-01-01\n".encode() for i in range(3)
    )), save=False)  # fmt: skip
    job.mapping = {name: name for name in header}
    job.status, job.rows_total = "importing", 3
    job.save()
    return job


def test_the_owner_cancels_a_queued_import_and_its_job_then_writes_nothing(client, queued):
    client.force_login(queued.created_by)

    response = client.post(f"/imports/{queued.pk}/cancel/")

    assert response.status_code == 302
    queued.refresh_from_db()
    assert queued.status == "cancelled"
    [event] = AuditEvent.objects.filter(action="import_cancel")
    assert (event.object_id, event.actor, event.detail["was"]) == (
        str(queued.pk),
        "Ann",
        "importing",
    )
    # The job's message arrives later: it finds the import cancelled and writes nothing.
    assert run_csv_import(queued.pk) == {"cancelled": True}
    queued.refresh_from_db()
    assert (queued.status, queued.created) == ("cancelled", 0)
    assert not Customer.objects.exists()


def test_someone_else_who_is_not_an_admin_cannot_cancel(client, queued):
    client.force_login(UserFactory(username="bob"))

    assert client.post(f"/imports/{queued.pk}/cancel/").status_code == 403
    queued.refresh_from_db()
    assert queued.status == "importing"
    assert not AuditEvent.objects.filter(action="import_cancel").exists()


def test_an_admin_cancels_anyones_import(client, queued):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    client.post(f"/imports/{queued.pk}/cancel/")

    queued.refresh_from_db()
    assert queued.status == "cancelled"
    assert AuditEvent.objects.get(action="import_cancel").actor == "root"


def test_a_finished_import_is_not_cancelled(client, queued):
    run_csv_import(queued.pk)
    queued.refresh_from_db()
    assert (queued.status, queued.created) == ("done", 3)
    client.force_login(queued.created_by)

    response = client.post(f"/imports/{queued.pk}/cancel/", follow=True)

    assert "had already finished" in response.content.decode()
    queued.refresh_from_db()
    assert queued.status == "done"
    assert Customer.objects.count() == 3
    assert not AuditEvent.objects.filter(action="import_cancel").exists()


def test_an_import_whose_job_gave_up_shows_failed_with_the_reason(client, queued):
    JobStep.objects.create(
        day=dt.date(2026, 6, 30),
        name="csv_import",
        subject=f"import {queued.pk}",
        target="customers.tasks.run_csv_import",
        status="failed",
        attempts=5,
        error="Worker w1:42 stopped beating (last 02:10:00); gave up after 5 attempts.",
    )
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))

    page = client.get(f"/imports/{queued.pk}/progress/?was=working")

    assert page["HX-Refresh"] == "true"  # no longer working: the page reloads
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.error == (
        "The import gave up: Worker w1:42 stopped beating (last 02:10:00); gave up after 5 "
        "attempts. Nothing was written; start it again."
    )
    assert "gave up after 5 attempts" in client.get(f"/imports/{queued.pk}/").content.decode()
