"""Holiday calendars and working days: pure rules, no database."""

from datetime import UTC, date, datetime

import pytest

from bot.rules.cadence import is_working_time, reminder_at
from bot.rules.holidays import holiday_name, is_working_day, moved_day, next_working_day, normal_calendar
from bot.rules.schedule import same_series, zone


def test_calendar_codes_are_checked_and_spelled_one_way():
    assert normal_calendar("gb") == "GB"
    assert normal_calendar(" us-ca ") == "US-CA"
    with pytest.raises(ValueError, match="'XX' is not a holiday calendar"):
        normal_calendar("XX")
    with pytest.raises(ValueError, match="US has no subdivision 'ZZ'"):
        normal_calendar("US-ZZ")


def test_a_day_is_a_holiday_in_any_of_the_calendars():
    thanksgiving_friday = date(2026, 11, 27)
    assert holiday_name(thanksgiving_friday, ["GB"]) is None
    assert holiday_name(thanksgiving_friday, ["GB", "US-CA"]) == "Day After Thanksgiving"
    assert holiday_name(thanksgiving_friday, [None, "US-CA"]) == "Day After Thanksgiving"
    assert not is_working_day(date(2026, 11, 28), [])  # a Saturday
    assert is_working_day(thanksgiving_friday, ["GB", None])


def test_a_holiday_moves_to_the_next_working_day_and_a_week_without_one_is_dropped():
    assert moved_day(date(2027, 3, 26), ["GB"]) == date(2027, 3, 29)  # Good Friday -> Monday
    assert moved_day(date(2026, 12, 25), ["GB"]) == date(2026, 12, 29)  # Boxing Day is observed on the Monday
    assert moved_day(date(2026, 12, 24), ["GB"]) == date(2026, 12, 24)
    assert moved_day(date(2026, 11, 28), ["GB"]) == date(2026, 11, 28)  # a slot set on a weekend stays there
    assert moved_day(date(2027, 1, 1), ["RU"]) is None  # January 1 to 8: no working day in that week
    assert next_working_day(date(2027, 1, 1), ["RU"]) == date(2027, 1, 11)


def test_reminders_skip_holidays():
    london = zone("Europe/London")
    thursday = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    assert reminder_at(thursday, london) == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    assert reminder_at(thursday, london, ["GB"]) == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)  # not New Year's Day
    assert is_working_time(london, now=datetime(2027, 1, 1, 10, 0, tzinfo=UTC))
    assert not is_working_time(london, now=datetime(2027, 1, 1, 10, 0, tzinfo=UTC), calendars=["GB"])


def test_weeks_of_one_slot_are_one_series():
    assert same_series("2027-03-26@10:00", "2027-04-02@10:00")
    assert not same_series("2027-03-26@10:00", "2027-03-29@10:00")
    assert not same_series("2027-03-26@10:00", "2027-04-02@11:00")
    assert not same_series("bad", "2027-04-02@10:00")
