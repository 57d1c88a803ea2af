"""In a real browser on the embedded default (no workers: the import runs in a thread of
the web process): an admin cancels a running import, in English and in Chinese; the page
says it was cancelled, nothing from the file is written, and the cancel is audited."""

import threading
import time

import pytest

from customers.models import CsvImport, Customer
from staff.models import AuditEvent
from tests.factories import EmployeeFactory, UserFactory
from tests.test_browser_chinese import sign_in_zh
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROWS = 100_000  # long enough to be cancelled midway


def checked_import(tmp_path, settings) -> CsvImport:
    """A file of ROWS new customers, checked and clean: ready to import."""
    settings.CSV_IMPORT_IN_THREAD = True
    settings.MEDIA_ROOT = tmp_path
    owner = EmployeeFactory(name="Ola", email="ola@example.com")
    header = ["external_id", "name", "segment", "customer_since", "primary_owner"]
    (tmp_path / "imports").mkdir()
    path = tmp_path / "imports" / "customers.csv"
    lines = [",".join(header)]
    lines += [f"X-{i},Imported {i},general,2024-01-01,{owner.email}" for i in range(ROWS)]
    path.write_text("\n".join(lines) + "\n")
    return CsvImport.objects.create(
        kind="customers",
        file="imports/customers.csv",
        original_name="customers.csv",
        header=header,
        mapping={name: name for name in header},
        status="checked",
        rows_total=ROWS,
        rows_done=ROWS,
        created_by=UserFactory(username="root", is_superuser=True, is_staff=True),
    )


def wait_for_the_import_thread(job: CsvImport) -> None:
    deadline = time.monotonic() + 120
    while any(t.name == f"csv-job-{job.pk}" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the import thread did not stop"
        time.sleep(0.2)


def assert_cancelled_and_nothing_written(job: CsvImport) -> None:
    wait_for_the_import_thread(job)
    job.refresh_from_db()
    assert job.status == "cancelled"
    assert (job.created, Customer.objects.filter(external_id__startswith="X-").count()) == (0, 0)
    [event] = AuditEvent.objects.filter(action="import_cancel")
    assert (event.object_id, event.detail["was"], event.actor) == (str(job.pk), "importing", "root")


def test_an_admin_cancels_a_running_import(browser_page, live_server, settings, tmp_path):
    job = checked_import(tmp_path, settings)
    page, base = browser_page, live_server.url

    sign_in(page, base, "root")
    page.goto(f"{base}/imports/{job.pk}/")
    page.get_by_role("button", name="Import them").click()
    # Wait until rows are being written (the bar moved), then cancel midway.
    bar = page.locator("#progress .progress-bar")
    for _ in range(600):
        if bar.inner_text() not in ("0%", "100%"):
            break
        page.wait_for_timeout(100)
    assert bar.inner_text() not in ("0%", "100%")
    page.get_by_role("button", name="Cancel the import").click()

    page.get_by_text("Cancelled: nothing from this file was written.").first.wait_for()
    assert_cancelled_and_nothing_written(job)
    # The file can be checked and imported again.
    page.reload()
    assert page.get_by_role("button", name="Check the file").count() == 1
    assert page.get_by_role("button", name="Cancel the import").count() == 0


def test_an_admin_cancels_a_running_import_in_chinese(
    browser_page, live_server, settings, tmp_path
):
    job = checked_import(tmp_path, settings)
    page, base = browser_page, live_server.url
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})

    sign_in_zh(page, base, "root")
    page.goto(f"{base}/imports/{job.pk}/")
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_role("button", name="取消导入").click()

    page.get_by_text("已取消：此文件中的内容均未写入。").first.wait_for()
    assert_cancelled_and_nothing_written(job)
