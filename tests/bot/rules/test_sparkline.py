"""The weekly sparkline: fixed width, scores of the value in force at each week's end, blank before the cycle."""

from datetime import date

from bot.rules.sparkline import BLANK, LEVELS, WEEKS, sparkline, weekly_scores

START = date(2026, 10, 1)


def test_every_line_has_the_same_width_and_levels_run_from_nothing_to_the_target():
    assert sparkline([0.0, 0.5, 1.0, None]) == f"▁▅█{BLANK}"
    assert sparkline([1.7, -0.3]) == "█▁"  # clamped, as scores are
    assert len(LEVELS) == 8 and WEEKS == 8


def test_weekly_scores_carry_the_value_in_force_and_start_at_the_baseline():
    points = [(date(2026, 10, 9), 20.0), (date(2026, 10, 16), 30.0), (date(2026, 10, 17), 60.0)]
    scores = weekly_scores(points, baseline=10, target=110, start=START, on=date(2026, 10, 23), weeks=5)
    # Weeks ending Sep 25 (before the cycle), Oct 2 (baseline), Oct 9, 16 (the day's check-in counts) and 23.
    assert scores == (None, 0.0, 0.1, 0.2, 0.5)
    assert sparkline(scores) == f"{BLANK}▁▂▂▅"


def test_a_decreasing_target_rises_towards_it():
    points = [(date(2026, 10, 5), 12.0), (date(2026, 10, 12), 7.0)]
    # Weeks ending Sep 29 (before the cycle), Oct 6 and Oct 13.
    assert weekly_scores(points, baseline=14, target=7, start=START, on=date(2026, 10, 13), weeks=3) == (
        None, 2 / 7, 1.0)


def test_no_check_ins_is_a_flat_line_at_the_baseline():
    assert sparkline(weekly_scores([], baseline=4.5, target=2, start=START, on=date(2026, 12, 30))) == "▁" * WEEKS
