"""The file import in a real browser whose language is Chinese, on the embedded default
(the check runs in a thread of the web process): the problems the check finds are listed
in Chinese, by line and column, and nothing is written."""

import pytest

from customers.models import CsvImport, Customer
from tests.factories import UserFactory
from tests.test_browser_chinese import sign_in_zh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_admin_reads_the_import_problems_in_chinese(
    browser_page, live_server, settings, tmp_path
):
    settings.CSV_IMPORT_IN_THREAD = True  # the embedded default: no broker, no workers
    settings.MEDIA_ROOT = tmp_path
    UserFactory(username="root", is_superuser=True, is_staff=True)
    path = tmp_path / "customers.csv"
    path.write_bytes(
        b"external_id,name,customer_since\r\n"
        b"C-1,Acme,2024-02-30\r\n"
        b"C-1,Bolt,2024-01-01\r\n"
        b"C-3,Cobalt,01/05/2024\r\n"
    )
    page, base = browser_page, live_server.url
    page.set_extra_http_headers({"Accept-Language": "zh-CN,zh;q=0.9"})
    sign_in_zh(page, base, "root")
    page.goto(f"{base}/imports/")
    page.get_by_label("文件内容").select_option("customers")
    page.get_by_label("CSV 或 Excel 文件").set_input_files(str(path))
    page.get_by_role("button", name="上传并对应各列").click()
    page.get_by_role("button", name="检查文件").click()
    page.get_by_text("'2024-02-30' 不是一个真实存在的日期。").wait_for(timeout=60_000)
    rows = {
        tuple(cell.strip() for cell in row.locator("td").all_inner_texts())
        for row in page.locator("tbody tr").all()
    }
    assert rows == {
        ("2", "customer_since", "'2024-02-30' 不是一个真实存在的日期。"),
        ("3", "external_id", "'C-1' 也出现在第 2 行。"),
        # Day-month or month-day: without a date order chosen on the page, it is refused.
        ("4", "customer_since", "'01/05/2024' 有两种读法（日-月或月-日）；请选择文件的日期顺序。"),
    }
    assert "is not a real date" not in page.content()
    assert CsvImport.objects.get().status == "checked"
    assert not Customer.objects.exists()
