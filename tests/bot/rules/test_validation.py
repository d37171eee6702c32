"""bot.validation: the field rules the importer and the /okr commands share."""

from datetime import date

import pytest

from bot.rules import validation as v


@pytest.mark.parametrize("text, day", [("friday", 4), ("Fri", 4), (" MONDAY ", 0), ("sun", 6)])
def test_days(text, day):
    assert v.day_of_week(text) == day


def test_unknown_day_suggests_the_closest():
    with pytest.raises(v.Invalid, match=r"'frday' is not a day of the week; use monday to sunday \(did you mean 'friday'\?\)"):
        v.day_of_week("frday")


@pytest.mark.parametrize("text, clean", [("9:30", "09:30"), ("09:30", "09:30"), ("23:59", "23:59"), ("0:00", "00:00")])
def test_times(text, clean):
    assert v.time_of_day(text) == clean


@pytest.mark.parametrize("text", ["24:00", "9:60", "9.30", "930", "", "noon", "9:5"])
def test_bad_times(text):
    with pytest.raises(v.Invalid, match="is not a time of day"):
        v.time_of_day(text)


def test_zones():
    assert v.time_zone(" Europe/London ") == "Europe/London"
    with pytest.raises(v.Invalid, match="did you mean 'Europe/London'"):
        v.time_zone("Europe/Londn")
    with pytest.raises(v.Invalid, match="IANA name"):
        v.time_zone("")


def test_mentions():
    assert v.mentioned_user("<@U0ALICE|alice>") == "U0ALICE"
    assert v.mentioned_user("<@U0ALICE>") == "U0ALICE"
    assert v.mentioned_user("U0ALICE") == "U0ALICE"
    assert v.mentioned_user("@alice") is None
    assert v.mentioned_channel("<#C0GROWTH|growth>") == "C0GROWTH"
    assert v.mentioned_channel("<#C0GROWTH|>") == "C0GROWTH"
    assert v.mentioned_channel("#growth") is None


def test_text_and_dates():
    assert v.text("  Growth ", "the team's name", 80) == "Growth"
    with pytest.raises(v.Invalid, match="keep it to 80 at most"):
        v.text("x" * 81, "the team's name", 80)
    assert v.a_date("2027-01-01", "the start") == date(2027, 1, 1)
    with pytest.raises(v.Invalid, match="is not a date"):
        v.a_date("2027-13-01", "the start")
    with pytest.raises(v.Invalid, match="not after its start"):
        v.cycle_dates(date(2027, 1, 1), date(2027, 1, 1))
