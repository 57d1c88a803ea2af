"""Files saved by spreadsheets: dates as German, US and ISO Excel write them, read by the
file's date order (chosen, or proposed from its own values), yes/no in spreadsheet words,
and amounts refused, never rounded, when they have more decimals than are kept."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from customers import csv_io
from customers.models import Contract, CsvImport, Customer
from customers.row_values import RowError, number_text
from tests.factories import CustomerFactory, EmployeeFactory, UserFactory

pytestmark = pytest.mark.django_db
CONTRACT_COLUMNS = ["external_id", "customer", "start_date", "end_date", "annual_value"]


def said(problems: list[dict]) -> list[dict]:
    return [{k: p[k] for k in ("line", "column", "message")} for p in problems]


def write(tmp_path, text: str, name="file.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def mapping_of(path, kind="contracts"):
    return csv_io.default_mapping(kind, csv_io.sniff(path)[1])


def test_contract_dates_as_spreadsheets_write_them_and_yes_no_words_are_read(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "external_id;customer;start_date;end_date;annual_value;auto_renew\n"
        "K-1;C-1;01/01/2025;12/31/2025;1.234,50;WAHR\n"
        "K-2;C-1;01.01.2025;31.12.2025;10,5;FALSCH\n"
        "K-3;C-1;2025/01/01;2025/12/31;100;VRAI\n"
        "K-4;C-1;1-Jan-2025;31-Dec-2025;100;faux\n"
        "K-5;C-1;2025-01-01T00:00:00;2025-12-31T00:00:00;100;是\n"
        "K-6;C-1;2025-12-31 00:00:00;2026-12-30 00:00:00;100;否\n"
        "K-7;C-1;Jan 1, 2025;31 December 2025;100;TRUE\n",
    )
    report = csv_io.import_file("contracts", path, mapping_of(path), decimal_mark=",")
    assert (said(report.problems), report.created) == ([], 7)
    stored = {
        c.external_id: (c.start_date, c.end_date, c.annual_value, c.auto_renew)
        for c in Contract.objects.all()
    }
    year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert stored == {
        "K-1": (*year, Decimal("1234.50"), True),
        "K-2": (*year, Decimal("10.50"), False),
        "K-3": (*year, Decimal("100.00"), True),
        "K-4": (*year, Decimal("100.00"), False),
        "K-5": (*year, Decimal("100.00"), True),
        "K-6": (dt.date(2025, 12, 31), dt.date(2026, 12, 30), Decimal("100.00"), False),
        "K-7": (*year, Decimal("100.00"), True),
    }


@pytest.mark.parametrize(
    ("order", "start"),
    [("dmy", dt.date(2025, 2, 1)), ("mdy", dt.date(2025, 1, 2)), ("ymd", None), (None, None)],
)
def test_a_date_that_reads_two_ways_is_read_by_the_chosen_order_or_refused(tmp_path, order, start):
    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        ",".join(CONTRACT_COLUMNS) + "\nK-1,C-1,2024-12-31,2025-12-31,5\nK-2,C-1,01/02/2025,"
        "2025-12-31,5\n",
    )
    report = csv_io.import_file("contracts", path, mapping_of(path), date_order=order)
    if start:
        assert said(report.problems) == []
        assert Contract.objects.get(external_id="K-2").start_date == start
        return
    message = (
        "'01/02/2025' does not fit the date order year-month-day."
        if order == "ymd"
        else "'01/02/2025' reads two ways (day-month or month-day); choose the file's date order."
    )
    assert said(report.problems) == [{"line": 3, "column": "start_date", "message": message}]
    assert not Contract.objects.exists()


def test_a_date_that_does_not_fit_the_chosen_order_is_refused_naming_line_and_column(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "Contract;customer;Begins;end_date;annual_value\n"
        "K-1;C-1;12/01/2025;12/31/2025;5\n"
        "K-2;C-1;31.12.2025;2026-12-30;5\n"
        "K-3;C-1;12/31/2025 14:30;2026-12-30;5\n",
    )
    mapping = mapping_of(path) | {"Contract": "external_id", "Begins": "start_date"}
    report = csv_io.check("contracts", path, mapping, date_order="mdy")
    assert said(report.problems) == [
        {
            "line": 3,
            "column": "Begins",
            "message": "'31.12.2025' does not fit the date order month-day-year.",
        },
        {
            "line": 4,
            "column": "Begins",
            "message": "'12/31/2025 14:30' has a time of day; a date is expected.",
        },
    ]


def test_the_date_order_is_proposed_from_the_file_s_unambiguous_values(tmp_path):
    day_first = write(tmp_path, "a;b\n05/03/2025;x\n31/03/2025;y\n", name="d.csv")
    month_first = write(tmp_path, "a,b\n05/03/2025,x\n03/31/2025,y\n", name="m.csv")
    german = write(tmp_path, "a;b\n05.03.2025;x\n", name="g.csv")
    both = write(tmp_path, "a,b\n31/03/2025,x\n03/31/2025,y\n", name="b.csv")
    neither = write(tmp_path, "a,b\n05/03/2025,x\n2025-03-31,y\n", name="n.csv")
    proposals = [
        csv_io.propose_date_order(path, csv_io.sniff(path)[0])
        for path in (day_first, month_first, german, both, neither)
    ]
    assert proposals == ["dmy", "mdy", "dmy", None, None]


def test_amounts_with_more_decimals_than_kept_are_refused_as_the_file_writes_them(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        ";".join(CONTRACT_COLUMNS) + "\nK-1;C-1;2025-01-01;2025-12-31;10,005\n"
        "K-2;C-1;2025-01-01;2025-12-31;10,500\n",
    )
    report = csv_io.import_file("contracts", path, mapping_of(path), decimal_mark=",")
    assert said(report.problems) == [
        {"line": 2, "column": "annual_value", "message": "'10,005' has more than 2 decimals."}
    ]
    assert not Contract.objects.exists()


def test_a_customers_export_saved_by_german_excel_imports_back(tmp_path):
    """German Excel saves with semicolons and writes dates day.month.year."""
    ann = EmployeeFactory(email="ann@example.com")
    path = write(
        tmp_path,
        "external_id;name;segment;industry;region;customer_since;status;churned_on;"
        "churn_reason;churn_reason_detail;primary_owner;secondary_owner\n"
        "C-1;Acme;core;;;01.02.2023;active;;;;ann@example.com;\n"
        "C-2;Bolt;general;;;15.03.2021;churned;03.04.2024;price;;;\n",
    )
    order = csv_io.propose_date_order(path, ";")
    report = csv_io.import_file("customers", path, mapping_of(path, "customers"), date_order=order)
    assert (order, said(report.problems), report.created) == ("dmy", [], 2)
    assert Customer.objects.get(external_id="C-1").customer_since == dt.date(2023, 2, 1)
    assert Customer.objects.get(external_id="C-1").primary_owner == ann
    assert Customer.objects.get(external_id="C-2").churned_on == dt.date(2024, 4, 3)


def test_the_mapping_page_proposes_and_keeps_the_date_order(client, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    CustomerFactory(external_id="C-1")
    upload = SimpleUploadedFile(
        "us.csv",
        b"external_id,customer,start_date,end_date,annual_value\nK-1,C-1,03/05/2025,12/31/2025,5\n",
    )
    response = client.post(reverse("imports"), {"kind": "contracts", "file": upload})
    job = CsvImport.objects.get()
    assert response.status_code == 302 and job.date_order == "mdy"
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'name="date_order"' in page and '<option value="mdy" selected>' in page
    columns = {f"column_{i}": field for i, field in enumerate(job.header)}
    check = columns | {"decimal_mark": "", "date_order": "dmy", "action": "check"}
    client.post(reverse("import_detail", args=[job.pk]), check)
    job.refresh_from_db()
    assert (job.date_order, job.status, said(job.problems)) == (
        "dmy",
        "checked",
        [
            {
                "line": 2,
                "column": "end_date",
                "message": "'12/31/2025' does not fit the date order day-month-year.",
            }
        ],
    )
    client.post(reverse("import_detail", args=[job.pk]), check | {"date_order": "mdy"})
    client.post(reverse("import_detail", args=[job.pk]), {"action": "import"})
    assert Contract.objects.get().start_date == dt.date(2025, 3, 5)  # read month first


def test_interaction_times_as_spreadsheets_write_them(tmp_path):
    from django.utils import timezone

    from customers.models import Interaction

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "external_id;customer;kind;happened_at\n"
        "I-1;C-1;call;31.12.2025 14:30\n"
        "I-2;C-1;call;12/30/2025 2:05 PM\n"
        "I-3;C-1;call;2025-12-29T09:15:00+00:00\n"
        "I-4;C-1;call;2025-13-29T09:15:00\n",
    )
    report = csv_io.check("interactions", path, mapping_of(path, "interactions"))
    assert said(report.problems) == [
        {
            "line": 5,
            "column": "happened_at",
            "message": "'2025-13-29T09:15:00' is not a real date and time.",
        }
    ]
    path.write_text(path.read_text().rsplit("I-4", 1)[0], encoding="utf-8")
    report = csv_io.import_file("interactions", path, mapping_of(path, "interactions"))
    assert said(report.problems) == []
    local = {
        i.external_id: timezone.localtime(i.happened_at).replace(tzinfo=None)
        for i in Interaction.objects.all()
    }
    assert local["I-1"] == dt.datetime(2025, 12, 31, 14, 30)
    assert local["I-2"] == dt.datetime(2025, 12, 30, 14, 5)
    assert Interaction.objects.get(external_id="I-3").happened_at == dt.datetime(
        2025, 12, 29, 9, 15, tzinfo=dt.UTC
    )


def test_interaction_times_with_the_zone_exports_write_after_them(tmp_path):
    """CRM and help-desk exports write the zone after the time (" UTC", "GMT+1",
    "+0100"): each is read as its offset from UTC; a zone by name (CET means +01:00 in
    Paris and something else elsewhere) is refused by line and column, as is an offset
    no place has."""
    from customers.models import Interaction

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "external_id;customer;kind;happened_at\n"
        "I-1;C-1;call;2025-12-31 14:30:00 UTC\n"
        "I-2;C-1;call;31.12.2025 14:30 GMT+1\n"
        "I-3;C-1;call;2025-12-31 14:30 +0100\n"
        "I-4;C-1;call;12/31/2025 2:30 PM -05:30\n"
        "I-5;C-1;call;2025-12-31T14:30:00.000+0000\n"
        "I-5B;C-1;call;2025-12-31 14:30:15 +01\n"
        "I-6;C-1;call;2025-12-31 14:30 CET\n"
        "I-7;C-1;call;2025-12-31 14:30 +2500\n"
        "I-8;C-1;call;2025-12-31 14:30 +14:30\n"
        "I-9;C-1;call;2025-12-31 14:30 UTC-13\n",
    )
    report = csv_io.check("interactions", path, mapping_of(path, "interactions"))
    assert said(report.problems) == [
        {
            "line": 8,
            "column": "happened_at",
            "message": "'2025-12-31 14:30 CET' names its time zone (CET); give its offset from "
            "UTC instead, e.g. 2026-05-01 14:30 +02:00.",
        },
        {
            "line": 9,
            "column": "happened_at",
            "message": "'2025-12-31 14:30 +2500' is not a real time zone offset.",
        },
        {
            "line": 10,
            "column": "happened_at",
            "message": "'2025-12-31 14:30 +14:30' is not a real time zone offset.",
        },
        {
            "line": 11,
            "column": "happened_at",
            "message": "'2025-12-31 14:30 UTC-13' is not a real time zone offset.",
        },
    ]
    path.write_text(path.read_text().rsplit("I-6", 1)[0], encoding="utf-8")
    report = csv_io.import_file("interactions", path, mapping_of(path, "interactions"))
    assert said(report.problems) == []
    stored = dict(Interaction.objects.values_list("external_id", "happened_at"))
    # 14:30 UTC; 14:30 at +01:00 is 13:30 UTC; 14:30 at -05:30 is 20:00 UTC.
    assert stored == {
        "I-1": dt.datetime(2025, 12, 31, 14, 30, tzinfo=dt.UTC),
        "I-2": dt.datetime(2025, 12, 31, 13, 30, tzinfo=dt.UTC),
        "I-3": dt.datetime(2025, 12, 31, 13, 30, tzinfo=dt.UTC),
        "I-4": dt.datetime(2025, 12, 31, 20, 0, tzinfo=dt.UTC),
        "I-5": dt.datetime(2025, 12, 31, 14, 30, tzinfo=dt.UTC),
        "I-5B": dt.datetime(2025, 12, 31, 13, 30, 15, tzinfo=dt.UTC),
    }


def test_a_zoned_moment_in_a_date_column_is_named_as_a_date_and_time(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "external_id;customer;start_date;end_date;annual_value;currency\n"
        "K-1;C-1;2025-01-01 00:00 UTC;2025-12-31;100;EUR\n",
    )
    report = csv_io.check("contracts", path, mapping_of(path))
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "start_date",
            "message": "'2025-01-01 00:00 UTC' is a date and time; this field takes a date "
            "alone (YYYY-MM-DD).",
        }
    ]


# --- usage quantities read by the file's decimal mark, as amounts are ------------------


def test_usage_quantities_follow_the_file_s_decimal_mark(tmp_path):
    from customers.models import UsageDay

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "customer;day;event;quantity\n"
        "C-1;01.11.2026;logins;1.000\n"
        "C-1;02.11.2026;logins;12.500\n"
        "C-1;03.11.2026;logins;2,5\n"
        "C-1;04.11.2026;logins;1.234,5\n",
    )
    report = csv_io.import_file(
        "usage", path, mapping_of(path, "usage"), decimal_mark=",", date_order="dmy"
    )
    assert (said(report.problems), report.created) == ([], 4)
    stored = dict(UsageDay.objects.values_list("day__day", "quantity"))
    # Decimal comma: "1.000" is one thousand, "12.500" twelve thousand five hundred.
    assert stored == {1: 1000.0, 2: 12500.0, 3: 2.5, 4: 1234.5}


def test_a_usage_quantity_that_reads_two_ways_is_refused_when_no_mark_is_chosen(tmp_path):
    from customers.models import UsageDay

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "customer;day;event;quantity\nC-1;2026-11-01;logins;4\nC-1;2026-11-02;logins;1.000\n",
    )
    report = csv_io.import_file("usage", path, mapping_of(path, "usage"))
    assert said(report.problems) == [
        {
            "line": 3,
            "column": "quantity",
            "message": "'1.000' reads two ways (decimal '.' or thousands separator); choose "
            "the file's decimal mark or write it without grouping.",
        }
    ]
    assert not UsageDay.objects.exists()


def test_a_computed_amount_in_a_workbook_is_read_as_the_spreadsheet_shows_it(tmp_path):
    from openpyxl import Workbook

    CustomerFactory(external_id="C-1")
    book = Workbook()
    sheet = book.active
    sheet.append(CONTRACT_COLUMNS)
    # What =0.1*3*1000 and =0.1+0.2 leave in their cells; shown as 300 and 0.3.
    sheet.append(["K-1", "C-1", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 0.1 * 3 * 1000])
    sheet.append(["K-2", "C-1", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 0.1 + 0.2])
    sheet.append(["K-3", "C-1", dt.date(2025, 1, 1), dt.date(2025, 12, 31), 10.005])
    path = tmp_path / "contracts.xlsx"
    book.save(path)
    assert 0.1 * 3 * 1000 == 300.00000000000006 and 0.1 + 0.2 == 0.30000000000000004
    report = csv_io.import_file("contracts", path, mapping_of(path))
    # 10.005 is what its cell holds and shows: more decimals than an amount keeps.
    assert said(report.problems) == [
        {"line": 4, "column": "annual_value", "message": "'10.005' has more than 2 decimals."}
    ]
    assert not Contract.objects.exists()
    sheet.delete_rows(4)
    book.save(path)
    report = csv_io.import_file("contracts", path, mapping_of(path))
    assert (said(report.problems), report.created) == ([], 2)
    assert dict(Contract.objects.values_list("external_id", "annual_value")) == {
        "K-1": Decimal("300.00"),
        "K-2": Decimal("0.30"),
    }


# --- a record named twice, written two ways ----------------------------------------------


def test_a_rate_repeated_in_another_spelling_is_refused_at_its_line(tmp_path):
    from customers.models import ExchangeRate

    path = write(
        tmp_path,
        "currency,day,rate\nusd,2026-11-15,0.95\nGBP,2026-11-15,1.15\nUSD,15.11.2026,0.90\n",
    )
    mapping = mapping_of(path, "exchange_rates")
    expected = [
        {
            "line": 4,
            "column": "day",
            "message": "'USD / 2026-11-15' is also on line 2.",  # dates as read
        }
    ]
    assert said(csv_io.check("exchange_rates", path, mapping).problems) == expected
    report = csv_io.import_file("exchange_rates", path, mapping)
    assert said(report.problems) == expected
    assert not ExchangeRate.objects.filter(currency__in=["USD", "GBP"]).exists()


def test_a_usage_total_repeated_with_its_day_written_another_way_is_refused(tmp_path):
    from customers.models import UsageDay

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "customer;day;event;quantity\nC-1;2026-11-01;logins;4\nC-1;01.11.2026;logins;5\n",
    )
    report = csv_io.import_file("usage", path, mapping_of(path, "usage"), date_order="dmy")
    assert said(report.problems) == [
        {"line": 3, "column": "event", "message": "'C-1 / 2026-11-01 / logins' is also on line 2."}
    ]
    assert not UsageDay.objects.exists()


def test_a_time_or_duration_cell_in_a_date_column_is_named_as_such(tmp_path):
    from openpyxl import Workbook

    CustomerFactory(external_id="C-1")
    book = Workbook()
    sheet = book.active
    sheet.append(CONTRACT_COLUMNS)
    sheet.append(["K-1", "C-1", dt.time(10, 30), dt.date(2025, 12, 31), 100])
    sheet.append(["K-2", "C-1", dt.date(2025, 1, 1), dt.timedelta(hours=36), 100])
    path = tmp_path / "contracts.xlsx"
    book.save(path)
    report = csv_io.check("contracts", path, mapping_of(path))
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "start_date",
            "message": "10:30 is a time of day or a duration; a date is expected (format "
            "the cell as a date).",
        },
        {
            "line": 3,
            "column": "end_date",
            "message": "36:00 is a time of day or a duration; a date is expected "
            "(format the cell as a date).",
        },
    ]


def test_the_mapping_pages_examples_show_cells_as_the_sheet_does(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "customer_since", "active", "called_at"])
    sheet.append(["C-1", dt.datetime(2026, 1, 1), True, dt.datetime(2026, 1, 2, 9, 30)])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    assert csv_io.samples(path, csv_io.sniff(path)[0]) == [
        ["C-1"],
        ["2026-01-01"],
        ["TRUE"],
        ["2026-01-02 09:30"],
    ]


def test_the_date_order_is_read_from_date_columns_only_not_from_notes(tmp_path):
    """A note that starts with a German date says nothing of how the file writes dates."""
    header = "external_id;name;segment;customer_since;status;churn_reason_detail\n"
    only_notes = write(
        tmp_path,
        header + "C-1;Acme;core;03/04/2025;active;30.06.2026 Kündigung angekündigt\n"
        "C-2;Bolt;core;01/02/2025;active;\n",
        name="notes.csv",
    )
    us_dates = write(
        tmp_path,
        header + "C-1;Acme;core;03/04/2025;active;30.06.2026 Kündigung angekündigt\n"
        "C-2;Bolt;core;12/31/2024;active;\n",
        name="us.csv",
    )
    proposals = [
        csv_io.propose_date_order(path, ";", "customers", mapping_of(path, "customers"))
        for path in (only_notes, us_dates)
    ]
    assert proposals == [None, "mdy"]
    # No order proposed: the dates that read two ways are refused, never guessed.
    report = csv_io.check("customers", only_notes, mapping_of(only_notes, "customers"))
    assert [(p["line"], p["column"]) for p in said(report.problems)] == [
        (2, "customer_since"),
        (3, "customer_since"),
    ]


def test_import_csv_says_the_date_order_it_read_the_file_in(tmp_path):
    path = write(
        tmp_path,
        "external_id;name;segment;customer_since;status\nC-1;Acme;core;03/04/2025;active\n"
        "C-2;Bolt;core;12/31/2024;active\n",
    )
    err = io.StringIO()
    call_command("import_csv", "customers", str(path), stderr=err, stdout=io.StringIO())
    assert "Dates read month-day-year, as the file's dates show" in err.getvalue()
    assert Customer.objects.get(external_id="C-1").customer_since == dt.date(2025, 3, 4)


def test_a_rate_below_one_with_three_decimals_reads_one_way(tmp_path):
    """'0,087' cannot be grouped thousands (a group never follows a leading 0): a German
    re-save of the exchange-rates export imports without choosing the decimal mark,
    while '1,087' still reads two ways."""
    from customers.models import ExchangeRate

    path = write(
        tmp_path,
        "currency;day;rate\nNOK;2026-01-01;0,087\nSEK;2026-01-01;0,088\n",
        name="rates.csv",
    )
    report = csv_io.import_file("exchange_rates", path, mapping_of(path, "exchange_rates"))
    assert said(report.problems) == []
    assert dict(ExchangeRate.objects.values_list("currency", "rate")) == {
        "NOK": Decimal("0.087"),
        "SEK": Decimal("0.088"),
    }
    with pytest.raises(RowError, match="reads two ways"):
        number_text("1,087", None)
    # With the other mark chosen (or a comma file's point), 0,087 is no grouped 87.
    for written, mark in (("0,087", "."), ("0.087", ","), ("00,500", "."), ("-0,087", ".")):
        with pytest.raises(RowError, match="thousands are grouped by three"):
            number_text(written, mark)
    assert number_text("1,087", ".") == "1087" and number_text("-12,345,678", ".") == "-12345678"


def test_a_quoted_number_with_a_comma_in_a_comma_file_reads_two_ways_and_is_refused(tmp_path):
    """A comma-separated file written with decimal commas quotes them: "1,085" is 1.085
    in German and 1085 in English, so it is refused unless the file's mark is chosen;
    an unquoted 1.085 in the same file is a decimal point as before."""
    from customers.models import ExchangeRate

    path = write(
        tmp_path,
        'currency,day,rate\nCHF,2026-11-01,"1,085"\nGBP,2026-11-01,1.162\n'
        'USD,2026-11-01,"1,085.50"\n',
    )
    report = csv_io.import_file("exchange_rates", path, mapping_of(path, "exchange_rates"))
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "rate",
            "message": "'1,085' reads two ways (decimal ',' or thousands separator); choose "
            "the file's decimal mark or write it without grouping.",
        }
    ]
    assert not ExchangeRate.objects.filter(day=dt.date(2026, 11, 1)).exists()
    # Chosen: a decimal comma (the US row then is no number with that mark).
    path = write(tmp_path, 'currency,day,rate\nCHF,2026-11-01,"1,085"\n', "de.csv")
    report = csv_io.import_file(
        "exchange_rates", path, mapping_of(path, "exchange_rates"), decimal_mark=","
    )
    assert said(report.problems) == []
    assert ExchangeRate.objects.get(currency="CHF", day=dt.date(2026, 11, 1)).rate == Decimal(
        "1.085"
    )


def test_a_comma_file_keeps_its_point_for_numbers_without_a_comma():
    from customers.row_values import POINT_UNLESS_COMMA

    assert number_text("1.085", POINT_UNLESS_COMMA) == "1.085"
    assert number_text("1,234.5", POINT_UNLESS_COMMA) == "1234.5"
    assert number_text("1,234,567", POINT_UNLESS_COMMA) == "1234567"
    assert number_text("12,5", POINT_UNLESS_COMMA) == "12.5"
    with pytest.raises(RowError):
        number_text("1,085", POINT_UNLESS_COMMA)


def test_what_a_spreadsheet_made_of_ids_and_years_is_refused_not_stored(tmp_path):
    """A year typed as a number in a date column shows 2019, not a date (as a serial it
    is a day of 1905); ids Excel turned into dates (SEPT2 -> 2 Sep) or into scientific
    notation (12345678901 -> 1.23457E+10, digits lost) are refused by line and column,
    in a workbook and in the CSV Excel writes."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "customer_since"])
    sheet.append(["YR-1", "Year only", 2019])
    sheet.append([dt.datetime(2026, 9, 2), "Was SEPT2", dt.datetime(2024, 1, 5)])
    sheet.append(["OK-1", "Fine", dt.datetime(2024, 1, 5)])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    report = csv_io.import_file("customers", path, mapping_of(path, "customers"))
    assert said(report.problems) == [
        {
            "line": 2,
            "column": "customer_since",
            "message": "2019 is a number, not a date (a year alone?); enter the whole date in "
            "a cell formatted as a date.",
        },
        {
            "line": 3,
            "column": "external_id",
            "message": "2026-09-02 is a date in the sheet, not an id (a spreadsheet turns ids "
            "such as SEPT2 or 1-12 into dates); format the column as text and enter the ids "
            "again.",
        },
    ]
    assert not Customer.objects.exists()

    CustomerFactory(external_id="C-1")
    path = write(
        tmp_path,
        "external_id,customer,start_date,end_date,annual_value\n"
        "1.23457E+10,C-1,2025-01-01,2025-12-31,100\n"
        "K-2,4.5E+11,2025-01-01,2025-12-31,100\n",
    )
    report = csv_io.import_file("contracts", path, mapping_of(path))
    assert [(p["line"], p["column"], p["message"].split(" is ")[0]) for p in report.problems] == [
        (2, "external_id", "'1.23457E+10'"),
        (3, "customer", "'4.5E+11'"),
    ]
    assert "scientific notation" in report.problems[0]["message"]
    assert not Contract.objects.exists()


def test_excel_escapes_in_a_workbook_are_the_characters_they_stand_for(tmp_path):
    """Excel writes a character XML cannot hold as _xHHHH_ (a Windows line break in a
    note as _x000D_): read as that character, so a note keeps one line break and a
    control character in an id is refused as at every other door."""
    from openpyxl import Workbook

    from customers.models import Interaction

    CustomerFactory(external_id="C-1")
    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "customer", "kind", "happened_at", "notes"])
    sheet.append(["I-1", "C-1", "call", dt.datetime(2025, 3, 4, 10), "Line one_x000D_\nLine two"])
    path = tmp_path / "interactions.xlsx"
    book.save(path)
    report = csv_io.import_file("interactions", path, mapping_of(path, "interactions"))
    assert said(report.problems) == []
    assert Interaction.objects.get(external_id="I-1").notes == "Line one\nLine two"

    book = Workbook()
    sheet = book.active
    sheet.append(["external_id", "name", "customer_since"])
    sheet.append(["QA_x001F_-3", "Unit separator", dt.datetime(2024, 1, 5)])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    report = csv_io.import_file("customers", path, mapping_of(path, "customers"))
    assert [(p["line"], p["column"]) for p in report.problems] == [(2, "external_id")]
    assert not Customer.objects.filter(name="Unit separator").exists()


def test_spaces_and_apostrophes_group_thousands_by_three_or_the_number_is_refused():
    assert number_text("1 234,50", ",") == "1234.50"
    assert number_text("12 345 678.90", None) == "12345678.90"
    assert number_text("1'234.50", ".") == "1234.50"
    assert number_text("-1\u00a0500", ".") == "-1500"
    for typed in ("1 2 3", "12 34", "1'2", "1 2345"):
        with pytest.raises(RowError, match="grouped by three"):
            number_text(typed, ".")
