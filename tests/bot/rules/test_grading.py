"""The end of a cycle as pure rules: the grading morning, the reminder, the final score, and what a grade needs."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules.coach.table import check_draft
from bot.rules.grading import (final_score, grading_due_at, grading_reminder_at, is_finished, met_line,
                               needs_evidence, parse_grade, still_chased)

LONDON, AUCKLAND, LA = ZoneInfo("Europe/London"), ZoneInfo("Pacific/Auckland"), ZoneInfo("America/Los_Angeles")


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("end, tz, due", [
    (date(2026, 11, 26), LONDON, utc(2026, 11, 27, 9)),          # Thursday -> Friday 09:00
    (date(2026, 11, 27), LONDON, utc(2026, 11, 30, 9)),          # Friday -> Monday
    (date(2026, 11, 28), LONDON, utc(2026, 11, 30, 9)),          # Saturday -> Monday
    (date(2026, 11, 26), AUCKLAND, utc(2026, 11, 26, 20)),       # 09:00 NZDT is the evening before in UTC
    (date(2026, 11, 26), LA, utc(2026, 11, 27, 17)),             # 09:00 PST
    (date(2027, 3, 26), LONDON, utc(2027, 3, 29, 8)),            # the Monday after the clocks go forward: BST
])
def test_the_grading_dm_is_due_the_first_working_morning_after_the_end(end, tz, due):
    assert grading_due_at(end, tz) == due


def test_auckland_and_los_angeles_end_the_same_cycle_on_different_utc_days():
    end = date(2026, 11, 26)
    assert grading_due_at(end, AUCKLAND).date() != grading_due_at(end, LA).date()


def test_the_reminder_is_three_working_mornings_after_the_dm_reached_the_lead():
    assert grading_reminder_at(utc(2026, 11, 27, 9), LONDON) == utc(2026, 12, 2, 9)  # Fri -> Mon, Tue, Wed
    assert grading_reminder_at(utc(2026, 11, 25, 9), LONDON) == utc(2026, 11, 30, 9)  # Wed -> Thu, Fri, Mon
    # Sent late, on Monday afternoon after downtime: the reminder waits until Thursday.
    assert grading_reminder_at(utc(2026, 11, 30, 15), LONDON) == utc(2026, 12, 3, 9)


def test_old_cycles_are_not_chased():
    assert still_chased(date(2026, 11, 26), now=utc(2026, 12, 20))
    assert not still_chased(date(2026, 6, 30), now=utc(2026, 12, 20))


@pytest.mark.parametrize("baseline, target, value, score", [
    (22, 35, 30, 8 / 13), (14, 7, 7, 1.0), (14, 7, 20, 0.0), (10, 40, None, 0.0), (5, 5, 5, 1.0),
])
def test_the_final_score_comes_from_the_latest_value(baseline, target, value, score):
    assert final_score(baseline, target, value) == pytest.approx(score)


def test_finished_and_success_lines():
    assert is_finished(1.0) and not is_finished(0.99)
    assert met_line("aspirational", 0.7) and not met_line("aspirational", 0.69)
    assert met_line("committed", 1.0) and not met_line("committed", 0.9)


@pytest.mark.parametrize("text, grade", [
    ("0.7", 0.7), ("0", 0.0), ("1", 1.0), ("1.0", 1.0), ("1.00", 1.0), (".65", 0.65), ("0,8", 0.8), (" 0.62 ", 0.62),
    ("1.1", None), ("0.625", None), ("-0.1", None), ("70%", None), ("", None), ("abc", None), ("2", None),
])
def test_a_grade_is_0_to_1_with_at_most_two_decimals(text, grade):
    assert parse_grade(text) == grade


def test_evidence_is_needed_more_than_a_tenth_away_from_the_computed_score():
    assert not needs_evidence(0.72, 8 / 13)  # 0.62 shown, 0.10 away
    assert needs_evidence(0.73, 8 / 13)
    assert needs_evidence(0.0, 0.5) and not needs_evidence(0.5, 0.5)


def test_the_coach_notes_a_weak_kr_repeated_word_for_word():
    krs = [("Reach 40% weekly active usage", 10, 40, "%"), ("Reach 50% weekly active usage", 10, 50, "%")]
    findings = check_draft("Make analytics a habit", krs, weak_last_cycle={"reach 40%  weekly active usage": 0.2})
    (note,) = [f for f in findings if f.rule == "repeats-weak-kr"]
    assert note.title == "Reach 40% weekly active usage" and "graded 0.20" in note.message
    assert not [f for f in check_draft("Make analytics a habit", krs) if f.rule == "repeats-weak-kr"]
