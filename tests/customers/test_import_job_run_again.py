"""A worker killed after an import committed (its rows and its outcome together) but
before its job's step was marked done: the step runs again. The import stands as it is,
with its counts; importing it again reported 0 created and every row unchanged."""

import pytest
from django.core.files.base import ContentFile

from customers.models import CsvImport, Customer
from customers.tasks import _csv_job

pytestmark = pytest.mark.django_db


def test_an_import_already_done_is_not_imported_again_when_its_job_runs_again():
    header = ["external_id", "name", "customer_since"]
    lines = [",".join(header)] + [f"F-{i},Firm {i},2024-01-01" for i in range(30)]
    job = CsvImport(kind="customers", original_name="firms.csv", header=header)
    job.file.save("firms.csv", ContentFile("\n".join(lines).encode()), save=False)
    job.mapping = {name: name for name in header}
    job.status, job.rows_total = "importing", 30
    job.save()
    try:
        _csv_job(job.pk, write=True)
        job.refresh_from_db()
        assert (job.status, job.created, job.updated, job.unchanged) == ("done", 30, 0, 0)
        again = _csv_job(job.pk, write=True)  # the step run again after a kill
        job.refresh_from_db()
        assert (job.status, job.created, job.updated, job.unchanged) == ("done", 30, 0, 0)
        assert again == {"created": 30, "updated": 0, "unchanged": 0}
        assert Customer.objects.count() == 30
    finally:
        job.file.delete(save=False)
