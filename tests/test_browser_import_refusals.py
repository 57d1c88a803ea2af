"""In a real browser on the embedded default (no workers: the check runs in a thread of
the web process): a file that cannot be read is refused next to the upload field, one
unreadable further down is checked with its line named, never left "Checking", and can
be checked again."""

import time

import pytest

from customers.models import CsvImport, Customer
from tests.factories import UserFactory
from tests.test_browser_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page, base: str, path) -> None:
    page.goto(f"{base}/imports/")
    page.get_by_label("What the file holds").select_option("customers")
    page.get_by_label("CSV or Excel file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()


def test_an_old_excel_file_is_refused_next_to_the_upload_field(
    browser_page, live_server, settings, tmp_path
):
    settings.CSV_IMPORT_IN_THREAD = True
    settings.MEDIA_ROOT = tmp_path
    UserFactory(username="root", is_superuser=True, is_staff=True)
    path = tmp_path / "customers.csv"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 600)
    page, base = browser_page, live_server.url
    sign_in(page, base, "root")
    upload(page, base, path)
    page.get_by_text("The file is an old Excel workbook (.xls)").wait_for()
    assert not CsvImport.objects.exists()


def test_a_quote_left_open_is_checked_with_its_line_and_can_be_checked_again(
    browser_page, live_server, settings, tmp_path
):
    settings.CSV_IMPORT_IN_THREAD = True  # the embedded default: no broker, no workers
    settings.MEDIA_ROOT = tmp_path
    UserFactory(username="root", is_superuser=True, is_staff=True)
    path = tmp_path / "customers.csv"
    path.write_bytes(
        b"external_id,name,customer_since\r"  # an old Mac's line endings
        b'QA-1,Fine,2024-01-01\rQA-2,"Open name,2024-01-01\rQA-3,Lost,2024-01-01\r'
    )
    page, base = browser_page, live_server.url
    sign_in(page, base, "root")
    upload(page, base, path)
    page.get_by_role("button", name="Check the file").click()
    page.get_by_text("a quote opened in this record is never closed").wait_for(timeout=60_000)
    row = page.locator("tr", has_text="a quote opened in this record")
    assert row.locator("td").first.inner_text().strip() == "3"
    job = CsvImport.objects.get()
    assert (job.status, job.problem_count) == ("checked", 1)
    assert page.get_by_role("button", name="Import them").count() == 0
    page.get_by_role("button", name="Check the file").click()  # again: same answer
    deadline = time.monotonic() + 60
    while CsvImport.objects.get().status != "checked" or page.get_by_text("Checking").count():
        assert time.monotonic() < deadline, "the second check did not finish"
        page.wait_for_timeout(250)
    page.get_by_text("a quote opened in this record is never closed").wait_for()
    assert not Customer.objects.exists()
