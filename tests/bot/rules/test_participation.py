"""Participation states, counts, rates and rows: pure rules over check-in weeks."""

from datetime import UTC, datetime, timedelta

from bot.rules.participation import (AWAY, LATE, MISSED, MISSING, ON_TIME, SKIPPED, OwnerWeek, counts, owner_weeks,
                                     rate, row, week_state)
from bot.rules.weeks import Week

T0 = datetime(2026, 10, 2, 8, 0, tzinfo=UTC)


def week(prompt_id, *, checked=False, skipped=False, away=None):
    return Week(prompt_id, T0 + timedelta(days=7 * prompt_id), skipped, checked, away,
                f"{(T0 + timedelta(days=7 * prompt_id)).date().isoformat()}@10:00")


def test_a_week_is_answered_when_every_kr_of_the_prompt_has_its_check_in():
    assert week_state([week(1, checked=True), week(1, checked=True)], ended=True, reminded=False) == ON_TIME
    assert week_state([week(1, checked=True), week(1, checked=True)], ended=True, reminded=True) == LATE
    assert week_state([week(1, checked=True), week(1)], ended=True, reminded=True) == MISSED
    assert week_state([week(1, checked=True), week(1)], ended=False, reminded=True) == MISSING
    assert week_state([week(1, skipped=True)], ended=True, reminded=False) == SKIPPED
    assert week_state([week(1, skipped=True, away="status")], ended=True, reminded=False) == AWAY
    # A check-in in an away week counts as the check-in it is.
    assert week_state([week(1, skipped=True, away="away", checked=True)], ended=True, reminded=False) == ON_TIME


def test_an_owners_weeks_merge_their_krs_by_prompt_in_order():
    kr_a = [(week(1, checked=True), False), (week(2), False), (week(3), True)]
    kr_b = [(week(1, checked=True), False), (week(2, checked=True), False), (week(3), True)]
    weeks = owner_weeks(kr_a + kr_b, reminded={2})
    assert [(w.prompt_id, w.state) for w in weeks] == [(1, ON_TIME), (2, MISSED), (3, MISSING)]
    assert row(weeks) == "✓ ✗ ·"
    assert weeks[0].day == "2026-10-09"


def test_rates_leave_out_away_skipped_and_the_unanswered_open_week():
    weeks = [OwnerWeek("k", 1, ON_TIME), OwnerWeek("k", 2, LATE), OwnerWeek("k", 3, AWAY, "status"),
             OwnerWeek("k", 4, SKIPPED), OwnerWeek("k", 5, MISSED), OwnerWeek("k", 6, MISSING)]
    assert rate(weeks) == 2 / 3
    assert counts(weeks) == {ON_TIME: 1, LATE: 1, AWAY: 1, SKIPPED: 1, MISSED: 1, MISSING: 1}
    assert rate([OwnerWeek("k", 1, AWAY)]) is None
    assert [w.label for w in weeks[2:4]] == ["away (Slack status)", "skipped"]
    assert row(weeks) == "✓ ◐ – – ✗ ·"
