"""Staff turnover: leavers in the period / headcount at its start (DOMAIN.md section 3).

The company, as of 2026-03-15 (everyone hired 2020-01-01 unless said otherwise):
- North: Nia (key, left 2026-02-10, voluntary), Noa (left 2026-02-28, let go),
  Ned (departing, last day 2026-03-31: not yet a leaver), Nat, Nik, Nor.
- South: Sam (left 2026-03-01, voluntary not recorded), Sol (key, left 2025-05-20, let go),
  Sue, Sid, Sky; Sal left 2025-01-31, before every period shown; Hal hired 2026-02-15.

February 2026: 10 on the staff on the 1st (six North, Sam, Sue, Sid, Sky), 2 leavers
(1 voluntary, 1 involuntary, 1 key) -> 20%.
March 2026 (to the 15th): 9 on the 1st (Ned, Nat, Nik, Nor; Sam, whose last day is the 1st;
Sue, Sid, Sky, Hal), 1 leaver (Sam, not recorded) -> 1/9.
May 2025: 11 on the 1st (six North, Sam, Sol, Sue, Sid, Sky), 1 leaver (Sol) -> 1/11.
By team over April 2025 - March 2026 (headcount on 2025-04-01): North 6, 2 leavers -> 1/3;
South 5 (Sam, Sol, Sue, Sid, Sky), 2 leavers (Sol, Sam) -> 40%; all: 11, 4 -> 4/11."""

import datetime as dt

import pytest

from staff import turnover
from staff.models import Employee
from tests.factories import EmployeeFactory, TeamFactory

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 3, 15)
DEPARTED, DEPARTING = Employee.Status.DEPARTED, Employee.Status.DEPARTING


@pytest.fixture
def company():
    north, south = TeamFactory(name="North"), TeamFactory(name="South")

    def person(name, team, **fields):
        return EmployeeFactory(name=name, team=team, **fields)

    def leaver(name, team, day, voluntary, **fields):
        return person(
            name, team, status=DEPARTED, departure_date=day, departure_voluntary=voluntary, **fields
        )

    leaver("Nia", north, dt.date(2026, 2, 10), True, is_key_employee=True)
    leaver("Noa", north, dt.date(2026, 2, 28), False)
    person("Ned", north, status=DEPARTING, departure_date=dt.date(2026, 3, 31))
    for name in ("Nat", "Nik", "Nor"):
        person(name, north)
    leaver("Sam", south, dt.date(2026, 3, 1), None)
    leaver("Sol", south, dt.date(2025, 5, 20), False, is_key_employee=True)
    for name in ("Sue", "Sid", "Sky"):
        person(name, south)
    leaver("Sal", south, dt.date(2025, 1, 31), True)
    person("Hal", south, hired_on=dt.date(2026, 2, 15))


def figures(row: turnover.Turnover) -> tuple:
    return (
        row.headcount_at_start,
        row.leavers,
        row.voluntary,
        row.involuntary,
        row.unrecorded,
        row.key_leavers,
    )


def test_it_lists_the_twelve_months_up_to_as_of_with_the_current_one_partial():
    months = turnover.recent_months(AS_OF)
    assert [m.label for m in months][:2] == ["Apr 2025", "May 2025"]
    assert months[-1] == turnover.Period(
        dt.date(2026, 3, 1), dt.date(2026, 3, 15), "Mar 2026", partial=True
    )
    assert months[-2] == turnover.Period(dt.date(2026, 2, 1), dt.date(2026, 2, 28), "Feb 2026")
    assert len(months) == 12 and not any(m.partial for m in months[:-1])


def test_a_month_ending_on_as_of_is_complete_and_months_cross_the_year():
    months = turnover.recent_months(dt.date(2026, 1, 31))
    assert (months[0].start, months[-1].end, months[-1].partial) == (
        dt.date(2025, 2, 1),
        dt.date(2026, 1, 31),
        False,
    )


def test_two_leavers_of_ten_on_the_staff_is_a_twenty_percent_month(company):
    february = turnover.monthly_turnover(as_of=AS_OF)[-2]
    assert february.label == "Feb 2026"
    assert figures(february) == (10, 2, 1, 1, 0, 1)
    assert february.rate == pytest.approx(0.20)


def test_a_leaver_whose_last_day_is_the_first_counts_in_the_headcount_and_as_leaver(company):
    march = turnover.monthly_turnover(as_of=AS_OF)[-1]
    # Hal, hired in February, is on the staff on 1 March; Ned (departing) has not left yet.
    assert figures(march) == (9, 1, 0, 0, 1, 0)
    assert march.rate == pytest.approx(1 / 9)
    assert march.period.partial


def test_months_without_leavers_have_a_zero_rate(company):
    months = {m.label: m for m in turnover.monthly_turnover(as_of=AS_OF)}
    assert figures(months["May 2025"]) == (11, 1, 0, 1, 0, 1)
    assert months["May 2025"].rate == pytest.approx(1 / 11)
    assert figures(months["Apr 2025"]) == (11, 0, 0, 0, 0, 0)
    assert figures(months["Jan 2026"]) == (10, 0, 0, 0, 0, 0)
    assert months["Jan 2026"].rate == 0


def test_turnover_by_team_over_twelve_months(company):
    teams = turnover.team_turnover(as_of=AS_OF)
    assert [t.label for t in teams] == ["North", "South"]
    north, south = teams
    assert figures(north) == (6, 2, 1, 1, 0, 1)
    assert north.rate == pytest.approx(1 / 3)
    assert figures(south) == (5, 2, 0, 1, 1, 1)
    assert south.rate == pytest.approx(0.40)
    total = turnover.total_turnover(teams)
    assert figures(total) == (11, 4, 1, 2, 1, 2)
    assert total.rate == pytest.approx(4 / 11)
    assert (total.period.start, total.period.end) == (dt.date(2025, 4, 1), AS_OF)


def test_a_team_hired_after_the_start_shows_no_rate_and_people_without_team_are_grouped():
    EmployeeFactory(name="New", team=TeamFactory(name="New team"), hired_on=dt.date(2026, 1, 5))
    EmployeeFactory(name="Hana", team=None, role=Employee.Role.HR)
    rows = {t.label: t for t in turnover.team_turnover(as_of=AS_OF)}
    assert set(rows) == {turnover.NO_TEAM}  # New team: no headcount on 2025-04-01, no leaver
    assert figures(rows[turnover.NO_TEAM]) == (1, 0, 0, 0, 0, 0)


def test_each_report_is_one_query(company, django_assert_num_queries):
    with django_assert_num_queries(1):
        turnover.monthly_turnover(as_of=AS_OF)
    with django_assert_num_queries(1):
        turnover.team_turnover(as_of=AS_OF)


def test_chart_data_gives_the_monthly_figures_with_rates_in_percent(company):
    data = turnover.chart_data(turnover.monthly_turnover(as_of=AS_OF))
    assert data["labels"][-2:] == ["Feb 2026", "Mar 2026 (so far)"]
    assert (data["voluntary"][-2], data["involuntary"][-2], data["rate"][-2]) == (1, 1, 20.0)
    assert (data["unrecorded"][-1], data["rate"][-1]) == (1, 11.1)
    assert data["rate"][0] == 0.0
