"""Missed-week bookkeeping: pure streak rules, then derived from real prompts and check-ins."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.rules.weeks import weeks_of

T0 = datetime(2026, 10, 2, 9, tzinfo=UTC)


def weeks(pattern: str):
    """'c' checked in, 's' skipped, 'm' missed; the last letter is the open week."""
    rows = [(1, n, T0 + timedelta(weeks=n), T0 if c == "s" else None) for n, c in enumerate(pattern)]
    checked = {(1, n) for n, c in enumerate(pattern) if c == "c"}
    return weeks_of(rows, checked)[1]


@pytest.mark.parametrize("pattern, streak", [
    ("m", 0),          # only the open week: nothing has ended yet
    ("mm", 1),
    ("mmm", 2),
    ("mmmm", 3),
    ("cmmmm", 3),
    ("mmmcm", 0),      # a check-in resets the streak
    ("mmcmmc", 2),     # the open week's check-in does not erase ended misses
    ("mmsmm", 3),      # a skipped week neither counts nor breaks the streak
    ("cssm", 0),
])
def test_missed_streak(pattern, streak):
    assert weeks(pattern).missed_streak == streak


def test_streak_start_identifies_the_streak():
    w = weeks("cmmmm")
    assert w.streak_start.prompt_id == 1
    assert weeks("cmmcm").streak_start is None


def test_checked_in_this_week():
    assert weeks("mc").checked_in_this_week
    assert weeks("cs").checked_in_this_week
    assert not weeks("cm").checked_in_this_week
