from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.rules.schedule import most_recent_slot, next_slot, parse_hhmm, week_key, zone
from bot.rules.validation import day_of_week

NY = ZoneInfo("America/New_York")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_most_recent_slot_is_at_or_before_now():
    day, instant = most_recent_slot(NY, 4, time(10), now=utc(2026, 11, 27, 15, 0))
    assert (day, instant) == (date(2026, 11, 27), utc(2026, 11, 27, 15, 0))
    day, instant = most_recent_slot(NY, 4, time(10), now=utc(2026, 11, 27, 14, 59))
    assert (day, instant) == (date(2026, 11, 20), utc(2026, 11, 20, 15, 0))


def test_local_date_decides_the_weekday_not_utc():
    # 02:00Z on Saturday is still Friday evening in New York.
    day, _ = most_recent_slot(NY, 4, time(10), now=utc(2026, 11, 28, 2, 0))
    assert day == date(2026, 11, 27)


def test_spring_forward_gap_resolves_forward_and_is_not_lost():
    # 2027-03-14 02:30 does not exist in New York: the slot happens at 03:30 EDT = 07:30Z.
    day, instant = most_recent_slot(NY, 6, time(2, 30), now=utc(2027, 3, 14, 8, 0))
    assert day == date(2027, 3, 14) and instant == utc(2027, 3, 14, 7, 30)


def test_autumn_repeat_uses_the_first_occurrence():
    # 2026-11-01 01:30 happens twice in New York; the first is 05:30Z (EDT).
    _, instant = most_recent_slot(NY, 6, time(1, 30), now=utc(2026, 11, 1, 7, 0))
    assert instant == utc(2026, 11, 1, 5, 30)


def test_next_slot_keeps_wall_clock_across_dst():
    assert next_slot(date(2026, 10, 30), time(10), NY) == utc(2026, 11, 6, 15, 0)


def test_parsers_and_keys():
    assert parse_hhmm("9:05") == time(9, 5) and day_of_week("Fri") == 4 and day_of_week("sunday") == 6
    assert week_key(date(2026, 11, 27), time(10)) == "2026-11-27@10:00"
    assert zone("Mars/Olympus") is None and zone("") is None and zone("Europe/Berlin") is not None
    for bad in ("24:00", "10", "10:60", "ten"):
        with pytest.raises(ValueError):
            parse_hhmm(bad)
    with pytest.raises(ValueError):
        day_of_week("someday")
