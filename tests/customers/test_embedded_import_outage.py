"""The embedded mode (no workers: the import runs in a thread of the web process): the
database connection killed mid-file is retried with a backoff, and the import ends with
every row, not failed."""

import threading
import time

import pytest
from django.core.files.base import ContentFile
from django.db import connection

from customers import import_views
from customers.models import CsvImport, Customer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROWS = 25_000  # three blocks of at most 10,000 rows


def test_a_connection_killed_mid_file_is_retried_and_every_row_imported(settings, tmp_path):
    settings.CSV_IMPORT_IN_THREAD = True
    settings.MEDIA_ROOT = tmp_path
    settings.JOBS_FAULT_PAUSE = ["csv_import_rows=2"]  # holds the open transaction a while
    header = ["external_id", "name", "segment", "customer_since"]
    lines = [",".join(header)] + [f"E-{i},Firm {i},general,2024-01-01" for i in range(ROWS)]
    job = CsvImport(kind="customers", original_name="firms.csv", header=header)
    job.file.save("firms.csv", ContentFile("\n".join(lines).encode()), save=False)
    job.mapping = {name: name for name in header}
    job.status = "importing"
    job.save()

    import_views._start(job.pk, write=True)  # outside a transaction: the thread starts now
    killed = 0
    deadline = time.monotonic() + 60
    while not killed and time.monotonic() < deadline:
        with connection.cursor() as cursor:  # the thread's connection, its rows half-written
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state = 'idle in transaction'"
            )
            killed = cursor.fetchone()[0]
        time.sleep(0.2)
    assert killed == 1
    while any(t.name == f"csv-job-{job.pk}" for t in threading.enumerate()):
        assert time.monotonic() < deadline + 120, "the import thread did not finish"
        time.sleep(0.2)

    job.refresh_from_db()
    assert (job.status, job.created, job.error) == ("done", ROWS, "")
    assert Customer.objects.filter(external_id__startswith="E-").count() == ROWS
