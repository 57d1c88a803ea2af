"""An import reads its file's next chunk in a thread while the database writes the
current one (customers/csv_io/reading.read_ahead): what comes out, and in what order,
is what the file's reader gives, its refusals included."""

import threading
import zoneinfo

import pytest
from django.utils import timezone, translation

from customers.csv_io.reading import read_ahead


def test_items_then_the_refusal_come_out_in_the_readers_order():
    seen_by = []

    def reader():
        for item in ("first", "second"):
            seen_by.append(threading.current_thread().name)
            yield item
        raise ValueError("line 1602 is not UTF-8")

    out = []
    with pytest.raises(ValueError, match="1602"):
        for item in read_ahead(reader()):
            out.append(item)
    assert out == ["first", "second"]
    assert all(name.startswith("csv-read-ahead") for name in seen_by)


def test_the_reader_reads_in_the_callers_zone_and_language():
    def reader():
        yield timezone.get_current_timezone_name(), translation.get_language()

    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")), translation.override("de"):
        assert list(read_ahead(reader())) == [("Asia/Tokyo", "de")]


def test_a_caller_that_stops_early_leaves_the_rest_unread():
    read = []

    def reader():
        for n in range(100):
            read.append(n)
            yield n

    ahead = read_ahead(reader())
    assert next(ahead) == 0
    ahead.close()
    assert read == [0, 1]  # the one item read ahead, no more
