"""The CSV check and import on a real Celery worker: progress and outcome land in the
database the page reads."""

import pytest
from django.core.files.base import ContentFile

from customers.models import CsvImport, Customer, Interaction
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


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (
            "external_id,name,customer_since\r\nQA-1,Müller,2024-01-01\r\n".encode("cp1252"),
            2,
            "Line 2 is not UTF-8 text",
        ),
        (
            b'external_id,name,customer_since\rQA-1,Ok,2024-01-01\rQA-2,"Open,2024-01-01\r',
            3,
            "Line 3: a quote opened in this record is never closed",
        ),
    ],
    ids=["cp1252 in the first block", "open quote in an old-Mac file"],
)
def test_a_worker_leaves_an_unreadable_file_checked_with_its_line_and_writes_nothing(
    celery_worker_queue, data, line, message
):
    job = CsvImport(kind="customers", original_name="bad.csv", delimiter=",")
    job.file.save("bad.csv", ContentFile(data), save=False)
    job.header = ["external_id", "name", "customer_since"]
    job.mapping = {c: c for c in job.header}
    job.save()
    try:
        for task in (check_csv_import, run_csv_import):
            result = task.apply_async(kwargs={"import_id": job.pk}, queue=celery_worker_queue)
            assert result.get(timeout=60)["problems"] == 1
            job.refresh_from_db()
            assert [(p["line"], p["message"][: len(message)]) for p in job.problems] == [
                (line, message)
            ]
            assert not job.working and job.error == ""
        assert job.status == "failed" and not Customer.objects.exists()
    finally:
        job.file.delete(save=False)
