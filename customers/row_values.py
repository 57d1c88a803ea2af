"""Reading one value of an imported row (API bulk upsert or CSV): each parser takes the
raw value (JSON or CSV text) and returns the Python value, or raises RowError saying in
words what is wrong with it."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_noop

from retention import text_input
from retention.days import EARLIEST_DAY, before_earliest_day
from retention.text_limits import one_line_break
from retention.wording import Day, Worded


class RowError(ValueError):
    """A value that cannot be taken; the message says why (a `Worded`, so a stored copy
    can be read in another language)."""

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


# --- parsers: raw value -> Python value, or RowError ---------------------------------------


def blank(value) -> bool:
    """Nothing sent: null, or text that shows nothing (spaces, zero-width characters and
    other invisible format characters alone: retention/text_input.py)."""
    return value is None or (isinstance(value, str) and text_input.is_blank(value))


def storable(value: str) -> str:
    """Text the database can hold and a page can show: no NUL character, valid Unicode,
    no direction control that would reorder what a page shows after it."""
    if "\x00" in value:
        raise RowError(Worded(gettext_noop("contains a NUL character.")))
    code = text_input.bidi_control_in(value)
    if code:
        raise RowError(Worded(text_input.BIDI_MESSAGE_ID, code=code))
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RowError(
            Worded(gettext_noop("contains characters that are not valid Unicode."))
        ) from None
    return value


def as_text(value) -> str:
    """A JSON value for a text field: a string, or a whole number as its decimal digits
    (12345 is "12345", as the file import reads a number cell). true/false, lists and
    objects are refused, and so is a number with a fraction or exponent: the JSON reader
    has already rounded 12345678901234567890.0 and would store 1e21 as "1e+21"."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise RowError(Worded(gettext_noop("must be text, not true or false.")))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise RowError(
            Worded(
                gettext_noop(
                    "must be text, not the number %(value)s; send it in quotes to keep every digit."
                ),
                value=repr(value),
            )
        )
    if isinstance(value, list):
        raise RowError(Worded(gettext_noop("must be text, not a list.")))
    if isinstance(value, dict):
        raise RowError(Worded(gettext_noop("must be text, not an object.")))
    raise RowError(Worded(gettext_noop("must be text.")))


def identifier(value: str) -> str:
    """An external id as stored: text (`storable`, NFC, trimmed) with no invisible
    character inside (retention/text_input.py)."""
    value = storable(text_input.normalised(value))
    code = text_input.invisible_in(value)
    if code:
        raise RowError(Worded(text_input.INVISIBLE_IN_ID, code=code))
    return value


def text(max_length: int, *, names_a_record: bool = False) -> Callable:
    """Text of at most `max_length` characters, in NFC and trimmed, its line breaks LF
    (a CRLF or an old Mac's CR is one line break); `names_a_record`: an external id
    (`identifier`)."""

    def parse(value):
        if blank(value):
            return ""
        value = text_input.normalised(one_line_break(as_text(value)))
        if names_a_record:
            value = identifier(value)
        if len(value) > max_length:
            raise RowError(
                Worded(
                    gettext_noop("is %(length)s characters long; at most %(most)s."),
                    length=len(value),
                    most=max_length,
                )
            )
        return storable(value)

    parse.reads_text = True  # the file import guards a number cell's digits for it
    parse.names_a_record = names_a_record  # ... and refuses what Excel made of an id
    return parse


def choice(choices: Iterable[str]) -> Callable:
    """One of `choices`, as other tools export them: trimmed and in any case ("Core ",
    "ACTIVE"); read as the choice itself."""
    allowed = list(choices)
    by_key = {c.casefold(): c for c in allowed}

    def parse(value):
        if blank(value):
            return ""
        # ASCII letters only: "ſervice" (a long s, which case folding reads as s) is not
        # "service".
        if isinstance(value, str) and value.isascii() and value.strip().casefold() in by_key:
            return by_key[value.strip().casefold()]
        if value not in allowed:
            raise RowError(
                Worded(
                    gettext_noop("%(value)s is not one of %(allowed)s."),
                    value=repr(value),
                    allowed=", ".join(allowed),
                )
            )
        return value

    return parse


# ISO 8601's extended forms in ASCII digits, what the API documents: Python's and Django's
# readers also take 20261231, 2026-W52-4, 2026-1-5 and full-width digits, which a sender
# cannot have meant as the same text a person reads back.
_API_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_API_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{1,12})?)?"
    r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?"
)


def date(value):
    if blank(value):
        return None
    if isinstance(value, str) and not _API_DAY.fullmatch(value.strip()):
        value = value.strip()
        if not _API_MOMENT.fullmatch(value):
            raise RowError(
                Worded(
                    gettext_noop(
                        "%(value)s is not a date: the API takes dates as YYYY-MM-DD (ISO 8601) "
                        "only."
                    ),
                    value=repr(value),
                )
            )
    try:
        parsed = parse_date(value.strip()) if isinstance(value, str) else None
    except ValueError:  # well formed but impossible, e.g. month 13
        raise RowError(
            Worded(gettext_noop("%(value)s is not a real date."), value=repr(value))
        ) from None
    if parsed is None and isinstance(value, str) and _is_moment(value.strip()):
        # Midnight with no zone too: it is often a day turned into a moment in some zone,
        # whose date may be the day before the one meant; the sender says which day.
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is a date and time; this field takes a date alone (YYYY-MM-DD)."
                ),
                value=repr(value),
            )
        )
    if parsed is None:
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is not a date: the API takes dates as YYYY-MM-DD (ISO 8601) only."
                ),
                value=repr(value),
            )
        )
    if parsed < EARLIEST_DAY:  # every kind's dates, whatever its own rules
        raise RowError(before_earliest_day(parsed))
    return parsed


def _is_moment(value: str) -> bool:
    try:
        return parse_datetime(value) is not None
    except ValueError:
        return False


def _exists_once_in_local_time(naive: dt.datetime, value) -> None:
    """A time without an offset is read in TIME_ZONE: refused when the clocks skipped it
    (02:30 on the night summer time starts in Europe/Berlin) or passed it twice (02:30
    on the night it ends), as Django's forms refuse them, rather than moved an hour or
    taken as the first of the two."""
    zone = timezone.get_current_timezone()
    try:
        first, second = (naive.replace(tzinfo=zone, fold=fold) for fold in (0, 1))
        offsets = first.utcoffset(), second.utcoffset()
        back = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        return  # out of range: said by the caller
    if back != naive:
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s does not exist in %(zone)s (the clocks moved forward); send "
                    "it with its UTC offset."
                ),
                value=repr(value),
                zone=str(zone),
            )
        )
    if offsets[0] != offsets[1]:
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s happened twice in %(zone)s (the clocks moved back); send it "
                    "with its UTC offset."
                ),
                value=repr(value),
                zone=str(zone),
            )
        )


def moment(value):
    if blank(value):
        return None
    try:
        parsed = (
            parse_datetime(value.strip())
            if isinstance(value, str) and _API_MOMENT.fullmatch(value.strip())
            else None
        )
    except ValueError:
        parsed = None
    if parsed is None:
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is not a date and time: the API takes ISO 8601 only, e.g. "
                    "2026-05-01T14:30:00Z."
                ),
                value=repr(value),
            )
        )
    if timezone.is_naive(parsed):
        _exists_once_in_local_time(parsed, value)
        parsed = timezone.make_aware(parsed)
    try:
        return parsed.astimezone(dt.UTC)  # the database refuses far-off offsets
    except OverflowError:
        raise RowError(
            Worded(gettext_noop("%(value)s is out of range."), value=repr(value))
        ) from None


# A number as amounts are written: digits, one decimal point, a sign. No exponent ("1e5"
# is refused, not read as 100000), no "_" grouping, no "Infinity" or "NaN".
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")


def plain_number(value) -> Decimal:
    """The number an amount, rate or quantity field was sent as, read strictly: text
    written plainly ("100000", "10.50"), a JSON number written without an exponent, or a
    spreadsheet's number cell. Exponent notation (the text "1e5", the JSON number 1E5) is
    refused saying so, never read as 100000: amounts are read as written."""
    if isinstance(value, bool):
        raise RowError(Worded(gettext_noop("%(value)s is not a number."), value=repr(value)))
    sent = getattr(
        value, "as_sent", None
    )  # a JSON number's spelling (retention.api.parsers.JSONParser)
    if isinstance(value, float) and sent is None:
        # A spreadsheet's number cell: a number, not a spelling. Read at the 15
        # significant digits a spreadsheet shows and computes with (Excel's limit, IEEE
        # 754 double's guaranteed decimal digits): a formula's 0.1*3*1000 is stored as
        # 300.0000000000001 and shown as 300, which is what its author sees and means.
        try:
            return Decimal(f"{value:.15g}")
        except InvalidOperation:
            raise RowError(
                Worded(gettext_noop("%(value)s is not a number."), value=repr(value))
            ) from None
    written = (sent or str(value)).strip()
    if _EXPONENT.fullmatch(written):
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is written with an exponent; write the number in plain digits, "
                    "e.g. 100000 or 1234.50."
                ),
                value=written if sent else repr(value),
            )
        )
    if not _PLAIN_NUMBER.fullmatch(written):
        raise RowError(Worded(gettext_noop("%(value)s is not a number."), value=repr(value)))
    return Decimal(written)


def money(value):
    if blank(value):
        return None
    amount = plain_number(value)
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise RowError(
            Worded(
                gettext_noop("%(value)s must be a number from 0 up to 999,999,999,999.99."),
                value=repr(value),
            )
        )
    return _exact(as_written(value), amount, 2)


def as_written(value):
    """A value as its sender wrote it, for a message: a JSON number's own spelling
    (1000.0000000000000000001, which the float holds as 1000.0), a spreadsheet's number
    cell as Python writes it."""
    sent = getattr(value, "as_sent", None)
    if sent:
        return sent
    return repr(value) if isinstance(value, float) else value


def _exact(value, number: Decimal, places: int) -> Decimal:
    """The number with `places` decimals, refused if that would round it: 10.005 is not
    10.00 or 10.01 (trailing zeros, as in 10.500, are no rounding)."""
    step = Decimal(1).scaleb(-places)
    if number != number.quantize(step):
        raise RowError(
            Worded(
                gettext_noop("%(value)s has more than %(places)s decimals."),
                value=repr(value),
                places=places,
            )
        )
    return number.quantize(step)


def rate(value):
    """An exchange rate: a positive number, up to 10 decimals."""
    if blank(value):
        return None
    number = plain_number(value)
    if not number.is_finite() or number <= 0 or number >= Decimal("1e10"):
        raise RowError(
            Worded(
                gettext_noop("%(value)s must be a positive number below 10,000,000,000."),
                value=repr(value),
            )
        )
    return _exact(as_written(value), number, 10)


# Parsers of numbers a person may write with grouping and either decimal mark: a file's
# text cells go through `number_text` (the file's decimal mark) before them.
money.reads_number = True
rate.reads_number = True


# Yes and no as spreadsheets and people write them: Excel's own words in English,
# German and French (what a saved workbook turns TRUE into), and the plain answers.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "wahr", "ja", "vrai", "oui", "是", "真"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "falsch", "nein", "faux", "non", "否", "假"})


def flag(value):
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    lowered = str(value).strip().lower()
    if lowered in TRUE_WORDS:
        return True
    if lowered in FALSE_WORDS:
        return False
    raise RowError(
        Worded(
            gettext_noop(
                "%(value)s is not true or false (TRUE/FALSE, WAHR/FALSCH, VRAI/FAUX, yes/no, "
                "1/0, 是/否)."
            ),
            value=repr(value),
        )
    )


def score(value):
    if blank(value):
        return None
    from retention import satisfaction

    number = satisfaction.whole_number(value)
    if number is None:
        raise RowError(Worded(gettext_noop("%(value)s is not a whole number."), value=repr(value)))

    if not satisfaction.LOWEST <= number <= satisfaction.HIGHEST:
        raise RowError(Worded(satisfaction.RANGE_MESSAGE_ID))
    return number


def currency(value):
    """A currency code as ISO 4217 writes it: "jpy" and " JPY " are JPY; a code that is
    not a currency (ZZZ) is refused."""
    if blank(value):
        return None
    if not isinstance(value, str):
        raise RowError(
            Worded(
                gettext_noop("%(value)s is not a three-letter ISO currency code, e.g. EUR."),
                value=repr(value),
            )
        )
    return currency_code(value)


def currency_code(value: str) -> str:
    """The one rule for a currency code at every door (API, file import, admin): trimmed,
    in capitals, three letters and a currency of ISO 4217; RowError says what is wrong."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise RowError(
            Worded(
                gettext_noop("%(value)s is not a three-letter ISO currency code, e.g. EUR."),
                value=repr(value),
            )
        )
    if code not in _iso_currencies():
        raise RowError(
            Worded(gettext_noop("%(code)s is not an ISO 4217 currency code."), code=code)
        )
    return code


@functools.cache
def _iso_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


def email(max_length: int = 254) -> Callable:
    """An e-mail address, internationalised ones included (RFC 6531), trimmed."""
    read_text = text(max_length)

    def parse(value):
        value = read_text(value)
        if not value:
            return ""
        from retention.email_address import EmailInvalid, normalise_email

        try:
            return normalise_email(value)
        except EmailInvalid as problem:
            raise RowError(str(problem)) from None

    parse.reads_text = True
    return parse


# --- numbers written by people: the file's decimal mark, or refused as ambiguous --------

DECIMAL_MARKS = {".": "point (1,234.56)", ",": "comma (1.234,56)"}


# The decimal mark of a comma-separated file nobody chose one for: the point, but a value
# with a comma in it (quoted, so written by a spreadsheet in either convention: "1,085"
# is 1.085 in German and 1085 in English) is read as if no mark were known.
POINT_UNLESS_COMMA = "point-unless-comma"


def number_text(value: str, decimal_mark: str | None) -> str:
    """A number as a person typed it in a file ("1.234,50", "12.000", "1 500") turned into
    plain "1234.50", by the file's decimal mark ("." or ",", None when unknown, or
    POINT_UNLESS_COMMA); with no known mark, a number that reads two ways ("12.000":
    twelve or twelve thousand) is refused rather than guessed."""
    raw = value.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not raw:
        return raw
    sign = ""
    if raw[0] in "+-":
        sign, raw = raw[0], raw[1:]
    compact = raw.replace(" ", "").replace("'", "")
    if not re.fullmatch(r"[0-9.,]+", compact):
        return value.strip()  # not written like a number: the parser says why
    if compact != raw and not re.fullmatch(r"[0-9]{1,3}(?:[ '][0-9]{3})+(?:[.,][0-9]+)?", raw):
        # Spaces or apostrophes group thousands (1 234,50; 1'234.50), by three: 1 2 3
        # is no number, not 123.
        raise RowError(
            Worded(
                gettext_noop("%(value)s is not a number (thousands are grouped by three)."),
                value=repr(value.strip()),
            )
        )
    marks = [c for c in compact if c in ".,"]
    if not marks:
        return sign + compact
    if decimal_mark == POINT_UNLESS_COMMA:
        decimal_mark = None if "," in marks else "."
    if decimal_mark is None:
        last = marks[-1]
        if len(set(marks)) == 2:
            decimal_mark = last  # "1.234,56" and "1,234.56" say which one is decimal
        elif len(marks) > 1:
            decimal_mark = "," if last == "." else "."  # "1.234.567": grouping only
        elif re.fullmatch(r"[1-9][0-9]{0,2}[.,][0-9]{3}", compact):  # "0,087": no grouping
            raise RowError(
                Worded(
                    gettext_noop(
                        "%(value)s reads two ways (decimal %(mark)s or thousands separator); "
                        "choose the file's decimal mark or write it without grouping."
                    ),
                    value=repr(value.strip()),
                    mark=repr(last),
                )
            )
        else:
            decimal_mark = last
    group = "," if decimal_mark == "." else "."
    whole, _, fraction = compact.partition(decimal_mark)
    if decimal_mark in fraction or group in fraction:
        raise RowError(
            Worded(
                gettext_noop("%(value)s is not a number with decimal mark %(mark)s."),
                value=repr(value.strip()),
                mark=repr(decimal_mark),
            )
        )
    if group in whole and not re.fullmatch(  # no group follows a leading 0 ("0,087")
        r"[1-9][0-9]{0,2}(" + re.escape(group) + r"[0-9]{3})+", whole
    ):
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is not a number with decimal mark %(mark)s "
                    "(thousands are grouped by three)."
                ),
                value=repr(value.strip()),
                mark=repr(decimal_mark),
            )
        )
    whole = whole.replace(group, "")
    return sign + (whole or "0") + ("." + fraction if fraction else "")


# --- dates written by people: the file's date order, or refused as ambiguous -----------

DATE_ORDERS = {"ymd": "year-month-day", "dmy": "day-month-year", "mdy": "month-day-year"}
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ISO_MOMENT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"
)
_NUMERIC = re.compile(r"(\d{1,4})([./-])(\d{1,2})\2(\d{1,4})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:\s*([ap])\.?m\.?)?", re.I)


def numeric_date_order(value: str) -> str | None:
    """The one order a numeric date like 31/12/2025 or 12/31/2025 can be read in
    (dmy or mdy), or None when it reads either way, is not numeric or has the year first.
    A date written with dots is day first in every country that writes it so."""
    found = _NUMERIC.fullmatch(value.strip().split(" ")[0])
    if not found or len(found.group(1)) == 4 or len(found.group(4)) != 4:
        return None
    first, second = int(found.group(1)), int(found.group(3))
    if first > 12 >= second:
        return "dmy"
    if second > 12 >= first:
        return "mdy"
    return "dmy" if found.group(2) == "." else None


def _day(value: str, year: int, month: int, day: int) -> dt.date:
    """Every caller has read the year from four digits: a year before the floor (0001,
    1899) is refused as the floor's rule words it, the same as a parsed day is."""
    if year < EARLIEST_DAY.year:
        try:
            written = dt.date(year, month, day)
        except ValueError:  # not a real day either: quoted as written
            raise RowError(
                Worded(
                    gettext_noop("%(day)s is before %(earliest)s; check the year."),
                    day=repr(value),
                    earliest=Day(EARLIEST_DAY),
                )
            ) from None
        raise RowError(before_earliest_day(written))
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise RowError(
            Worded(gettext_noop("%(value)s is not a real date."), value=repr(value))
        ) from None


def _date_part(value: str, part: str, order: str | None) -> dt.date:
    """A date as spreadsheets write it: 2025-12-31, 2025/12/31, 31.12.2025, 12/31/2025
    (by the file's date order), 31-Dec-2025, Dec 31, 2025."""
    numeric = _NUMERIC.fullmatch(part)
    if numeric:
        a, b, c = (int(numeric.group(i)) for i in (1, 3, 4))
        if len(numeric.group(1)) == 4:
            return _day(value, a, b, c)
        if len(numeric.group(4)) != 4:
            raise RowError(
                Worded(
                    gettext_noop("%(value)s: write the year with four digits."), value=repr(value)
                )
            )
        if a > 12 and b > 12:
            raise RowError(Worded(gettext_noop("%(value)s is not a real date."), value=repr(value)))
        read = order if order in ("dmy", "mdy") else numeric_date_order(part)
        if read is None and a == b:  # 01/01/2025 is the same day either way
            read = "dmy"
        forced = "dmy" if a > 12 else "mdy" if b > 12 else None
        if order in ("dmy", "mdy") and forced not in (None, order):
            raise RowError(
                Worded(
                    gettext_noop("%(value)s does not fit the date order %(order)s."),
                    value=repr(value),
                    order=DATE_ORDERS[order],
                )
            )
        if read is None:
            if order == "ymd":
                raise RowError(
                    Worded(
                        gettext_noop("%(value)s does not fit the date order %(order)s."),
                        value=repr(value),
                        order=DATE_ORDERS["ymd"],
                    )
                )
            raise RowError(
                Worded(
                    gettext_noop(
                        "%(value)s reads two ways (day-month or month-day); choose the file's "
                        "date order."
                    ),
                    value=repr(value),
                )
            )
        return _day(value, c, b, a) if read == "dmy" else _day(value, c, a, b)
    words = [w for w in re.split(r"[\s,./-]+", part) if w]
    months = [w for w in words if w.lower() in MONTHS]
    numbers = [w for w in words if w.isdigit()]
    if len(words) == 3 and len(months) == 1 and len(numbers) == 2:
        years = [n for n in numbers if len(n) == 4]
        days = [n for n in numbers if len(n) <= 2]
        if len(years) == 1 and len(days) == 1:
            return _day(value, int(years[0]), MONTHS[months[0].lower()], int(days[0]))
    raise RowError(
        Worded(
            gettext_noop(
                "%(value)s is not a date (e.g. 2025-12-31, 31.12.2025, 12/31/2025, 31-Dec-2025)."
            ),
            value=repr(value),
        )
    )


def file_date(value: str, order: str | None = None) -> str:
    """A date cell of a file as YYYY-MM-DD. `order`: the file's date order (DATE_ORDERS),
    which reads 01/02/2025; without one, a date that reads two ways is refused. An ISO
    date-time at midnight (what a spreadsheet saves a date as) is that date; another time
    of day is refused rather than cut off."""
    raw = value.strip()
    if not _ISO_MOMENT.fullmatch(raw) and _ZONED.fullmatch(raw):
        # A moment in a zone: its date differs from place to place.
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s is a date and time; this field takes a date alone (YYYY-MM-DD)."
                ),
                value=repr(value),
            )
        )
    iso = _ISO_MOMENT.fullmatch(raw)
    if iso:
        if any(int(part or 0) for part in iso.group(2, 3, 4)):
            raise RowError(
                Worded(
                    gettext_noop("%(value)s has a time of day; a date is expected."),
                    value=repr(value),
                )
            )
        return iso.group(1)
    timed = re.fullmatch(r"(.*?)[ T,]+" + _TIME.pattern, raw, re.I)
    if timed:
        hour, minute, second = (int(n or 0) for n in timed.group(2, 3, 4))
        midnight = hour == (12 if timed.group(5) else 0) and not minute and not second
        if not midnight or (timed.group(5) or "a").lower() != "a":
            raise RowError(
                Worded(
                    gettext_noop("%(value)s has a time of day; a date is expected."),
                    value=repr(value),
                )
            )
        raw = timed.group(1).strip(" ,")
    return _date_part(value, raw, order).isoformat()


# A time of day (as _TIME), then what exports write after it for its zone: Z, UTC or GMT
# (with an offset or not: "UTC+1", "GMT-05:30"), or a bare offset ("+0100", "-05:00").
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]\.?m\.?)?"
_ZONED = re.compile(
    r"(.*?" + _CLOCK + r")\s*"
    r"(?:(?P<utc>Z|UTC|GMT)(?:\s*(?P<sign>[+-])(?P<hours>\d{1,2})(?::?(?P<minutes>\d{2}))?)?"
    r"|(?P<bare_sign>[+-])(?P<bare_hours>\d{2})(?::?(?P<bare_minutes>\d{2}))?)",
    re.I,
)
_NAMED_ZONE = re.compile(r"(.*?" + _CLOCK + r")\s+([A-Za-z][A-Za-z/_]{1,31})", re.I)


def _offset(found: re.Match) -> str:
    """The zone `_ZONED` found, as an ISO 8601 offset (+HH:MM)."""
    sign = found.group("sign") or found.group("bare_sign") or "+"
    hours = int(found.group("hours") or found.group("bare_hours") or 0)
    minutes = int(found.group("minutes") or found.group("bare_minutes") or 0)
    return f"{sign}{hours:02}:{minutes:02}"


def file_moment(value: str, order: str | None = None) -> str:
    """A date-and-time cell of a file as ISO 8601: ISO as it is (with its offset, if
    any), else a date as `file_date` reads it, then the time (14:30, 2:30 PM), then its
    zone as exports write it (`UTC`, `GMT+1`, `+0100`: kept as an offset). A zone by
    name (CET, EST, Europe/Paris) is refused: an abbreviation means different offsets in
    different places, and the offset is what the row must say."""
    raw = value.strip()
    zoned = None if _ISO_MOMENT.fullmatch(raw) else _ZONED.fullmatch(raw)
    if zoned:
        offset = _offset(zoned)
        minutes = (int(offset[1:3]) * 60 + int(offset[4:6])) * (-1 if offset[0] == "-" else 1)
        if not -12 * 60 <= minutes <= 14 * 60 or int(offset[4:6]) > 59:
            # The furthest offsets in use are -12:00 and +14:00.
            raise RowError(
                Worded(gettext_noop("%(value)s is not a real time zone offset."), value=repr(value))
            )
        local = file_moment(zoned.group(1), order)
        return local + offset
    named = None if _ISO_MOMENT.fullmatch(raw) else _NAMED_ZONE.fullmatch(raw)
    if named and not re.fullmatch(r"[ap]\.?m\.?", named.group(2), re.I):
        raise RowError(
            Worded(
                gettext_noop(
                    "%(value)s names its time zone (%(zone)s); give its offset from UTC "
                    "instead, e.g. 2026-05-01 14:30 +02:00."
                ),
                value=repr(value),
                zone=named.group(2),
            )
        )
    if _ISO_MOMENT.fullmatch(raw):
        try:
            parse_datetime(raw)
        except ValueError:
            raise RowError(
                Worded(gettext_noop("%(value)s is not a real date and time."), value=repr(value))
            ) from None
        return raw
    found = re.fullmatch(r"(.*?)[ T,]+" + _TIME.pattern, raw, re.I)
    if not found:
        return _date_part(value, raw, order).isoformat() + "T00:00:00"
    day = _date_part(value, found.group(1).strip(" ,"), order)
    hour, minute, second = int(found.group(2)), int(found.group(3)), int(found.group(4) or 0)
    noon = found.group(5)
    if noon:
        if not 1 <= hour <= 12:
            raise RowError(Worded(gettext_noop("%(value)s is not a real time."), value=repr(value)))
        hour = hour % 12 + (12 if noon.lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise RowError(Worded(gettext_noop("%(value)s is not a real time."), value=repr(value)))
    return f"{day.isoformat()}T{hour:02}:{minute:02}:{second:02}"


# --- spreadsheet formulas: an exported cell never runs, an imported one comes back -------

# The full-width forms too: Japanese and Chinese spreadsheets read "＝1+1" as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def _needs_guard(value: str) -> bool:
    """A spreadsheet runs a cell that starts with a formula character, also after
    leading spaces (" =1+1"), so those are guarded too."""
    if value[:1] in FORMULA_STARTS or value.lstrip()[:1] in FORMULA_STARTS:
        return True
    return value[:1] == "'" and _needs_guard(value[1:])


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet shows as text, never runs as a formula (OWASP "CSV
    injection"): one apostrophe before a leading = + - @ tab or carriage return, or their
    full-width forms (or spaces and then one of them). Read back with `from_spreadsheet`,
    the value is the same."""
    return "'" + value if value and _needs_guard(value) else value


def from_spreadsheet(value: str) -> str:
    """The inverse of spreadsheet_safe."""
    if value[:1] == "'" and _needs_guard(value[1:]):
        return value[1:]
    return value
