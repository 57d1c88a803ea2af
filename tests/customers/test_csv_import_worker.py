"""The CSV check and import on a real Celery worker: progress and outcome land in the
database the page reads."""

import pytest
from django.core.files.base import ContentFile

from customers.models import CsvImport, Interaction
from customers.tasks import check_csv_import, run_csv_import
from tests.factories import CustomerFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_worker_checks_then_imports_a_file(celery_worker_queue):
    CustomerFactory(external_id="C-1")
    lines = ["external_id;customer;kind;happened_at"] + [
        f"W-{i};C-1;email;2026-04-0{1 + i % 9}T09:00:00+02:00" for i in range(120)
    ]
    job = CsvImport(kind="interactions", original_name="w.csv", delimiter=";")
    job.file.save("w.csv", ContentFile("\n".join(lines).encode("utf-8-sig")), save=False)
    job.header = ["external_id", "customer", "kind", "happened_at"]
    job.mapping = {c: c for c in job.header}
    job.save()
    try:
        check = check_csv_import.apply_async(
            kwargs={"import_id": job.pk}, queue=celery_worker_queue
        )
        assert check.get(timeout=60) == {"rows": 120, "problems": 0, "created": 0}
        job.refresh_from_db()
        assert (job.status, job.rows_total, job.rows_done) == ("checked", 120, 120)
        assert not Interaction.objects.exists()
        done = run_csv_import.apply_async(kwargs={"import_id": job.pk}, queue=celery_worker_queue)
        assert done.get(timeout=60)["created"] == 120
        job.refresh_from_db()
        assert (job.status, job.created) == ("done", 120)
        assert Interaction.objects.filter(customer__external_id="C-1").count() == 120
    finally:
        job.file.delete(save=False)
