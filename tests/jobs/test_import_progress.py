"""An import's progress is visible while its one transaction is still open."""

import threading

import pytest
from django.db import connections, transaction

from customers.models import CsvImport, Customer
from customers.tasks import _progress_writer
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_progress_is_seen_by_the_page_before_the_import_commits():
    job = CsvImport.objects.create(
        kind="customers", original_name="x.csv", file="imports/x.csv", header=["a"]
    )
    written, seen_done = threading.Event(), threading.Event()

    def import_in_one_transaction():
        try:
            progress, close = _progress_writer(job.pk)
            with transaction.atomic():  # the import's all-or-nothing transaction
                CustomerFactory(external_id="IMPORTED-1")
                progress(400)
                written.set()
                seen_done.wait(10)
            close()
        finally:
            connections.close_all()

    worker = threading.Thread(target=import_in_one_transaction)
    worker.start()
    assert written.wait(10)
    job.refresh_from_db()
    assert job.rows_done == 400  # the progress bar moves mid-import
    assert not Customer.objects.filter(external_id="IMPORTED-1").exists()  # not committed yet
    seen_done.set()
    worker.join(10)
