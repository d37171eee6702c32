"""Which Slack statuses and /okr away stretches make a week away: pure rules."""

from datetime import UTC, date, datetime

import pytest

from bot.rules.away import BY_COMMAND, BY_STATUS, away_on, away_reason, status_away, status_says_away

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("text, emoji", [
    ("", ":palm_tree:"), ("", ":beach_with_umbrella:"), ("", ":desert_island:"), ("", ":airplane:"),
    ("", ":airplane_departure:"), ("", ":face_with_thermometer:"), ("", ":thermometer:"), ("", ":sick:"),
    ("OOO until Monday", ""), ("Out of office", ""), ("out of the office", ""), ("On leave", ""),
    ("parental leave", ""), ("Annual leave", ""), ("Vacation!", ""), ("holiday", ""), ("Holidays", ""),
    ("Sick today", ""), ("PTO", ""),
])
def test_statuses_that_plainly_say_away(text, emoji):
    assert status_says_away(text, emoji)


@pytest.mark.parametrize("text, emoji", [
    ("", ""), ("In a meeting", ":calendar:"), ("Commuting", ":bus:"), ("Focus time", ":headphones:"),
    ("Working remotely", ":house_with_garden:"), ("Zoo visit", ""), ("Leaving early", ""), ("Holidayinn", ""),
    ("", ":palm_tree_alt:"),
])
def test_statuses_that_do_not(text, emoji):
    assert not status_says_away(text, emoji)


def test_a_status_counts_until_it_expires_and_forever_without_expiry():
    assert status_away("OOO", "", 0, now=NOW)
    assert status_away("OOO", "", int(NOW.timestamp()) + 1, now=NOW)
    assert not status_away("OOO", "", int(NOW.timestamp()), now=NOW)
    assert not status_away("In a meeting", "", 0, now=NOW)


def test_away_stretches_include_both_ends_and_may_be_open():
    stretches = [(date(2026, 12, 2), date(2026, 12, 8))]
    assert [away_on(date(2026, 12, d), stretches) for d in (1, 2, 8, 9)] == [False, True, True, False]
    assert away_on(date(2027, 6, 1), [(date(2026, 12, 2), None)])
    assert away_reason(date(2026, 12, 4), stretches, ("OOO", "", 0), now=NOW) == BY_COMMAND
    assert away_reason(date(2026, 12, 11), stretches, ("OOO", "", 0), now=NOW) == BY_STATUS
    assert away_reason(date(2026, 12, 11), stretches, None, now=NOW) is None
