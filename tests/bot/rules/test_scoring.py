"""Tests for bot.rules.scoring: KR and objective scores, pace, trend, forecast, progress bars and confidence."""

from __future__ import annotations

import dataclasses
import math
from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from bot.rules.scoring import (
    CONFIDENCE_EMOJI,
    CONFIDENCE_LEVELS,
    CONFIDENCE_WORDS,
    Pace,
    confidence_drop,
    expected_fraction,
    expected_value,
    forecast,
    is_sharp_drop,
    is_success,
    kr_score,
    objective_score,
    pace,
    progress_bar,
    success_threshold,
    trend,
)

START = date(2025, 1, 1)
END = date(2025, 3, 31)  # 89 days after START
MID = START + timedelta(days=89 // 2)


@pytest.mark.parametrize(
    ("baseline", "target", "value", "expected"),
    [
        # increasing
        (0, 100, 0, 0.0),
        (0, 100, 50, 0.5),
        (0, 100, 100, 1.0),
        (0, 100, 150, 1.0),
        (0, 100, -10, 0.0),
        (20, 60, 30, 0.25),
        (-10, 10, 0, 0.5),
        # decreasing: "reduce from 45 to 12"
        (45, 12, 12, 1.0),
        (45, 12, 45, 0.0),
        (45, 12, 28.5, 0.5),
        (45, 12, 50, 0.0),
        (45, 12, 5, 1.0),
        (45, 12, 36.75, 0.25),
        # hold at X
        (99.9, 99.9, 99.9, 1.0),
        (99.9, 99.9, 99.8, 0.0),
        (99.9, 99.9, 100, 0.0),
        # no check-in
        (0, 100, None, 0.0),
        (45, 12, None, 0.0),
        (5, 5, None, 0.0),
        # huge magnitudes neither overflow nor lose the ratio
        (-1e308, 1e308, 0, 0.5),
        (1e308, -1e308, 0, 0.5),
    ],
)
def test_kr_score(baseline: float, target: float, value: float | None, expected: float) -> None:
    assert kr_score(baseline, target, value) == expected


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_kr_score_refuses_non_finite(bad: float) -> None:
    with pytest.raises(ValueError):
        kr_score(0, 100, bad)
    with pytest.raises(ValueError):
        kr_score(bad, 100, 5)


finite = st.floats(allow_nan=False, allow_infinity=False)


@given(finite, finite, finite)
@example(0.0, 5e-324, 1e308)
@example(-1e308, 1e308, 1e308)
def test_kr_score_is_always_between_0_and_1(baseline: float, target: float, value: float) -> None:
    assert 0.0 <= kr_score(baseline, target, value) <= 1.0


@given(finite, finite)
@example(0.1, 0.30000000000000004)
@example(1e308, -1e308)
def test_kr_score_is_1_at_target_and_0_at_baseline(baseline: float, target: float) -> None:
    assert kr_score(baseline, target, target) == 1.0
    assume(baseline != target)
    assert kr_score(baseline, target, baseline) == 0.0


@given(finite, finite, finite, finite)
def test_kr_score_is_monotone_along_the_direction_of_travel(baseline: float, target: float, a: float, b: float) -> None:
    assume(baseline != target)
    nearer, further = sorted((a, b), reverse=target < baseline)
    assert kr_score(baseline, target, nearer) <= kr_score(baseline, target, further)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([], 0.0),
        ([0.5], 0.5),
        ([1.0, 0.0], 0.5),
        ([0.7, 0.7, 0.7], 0.7),
        ([0.1] * 10, 0.1),
        ((1.0, 0.5, 0.0, 0.5), 0.5),
    ],
)
def test_objective_score(scores, expected: float) -> None:
    assert objective_score(scores) == pytest.approx(expected, abs=1e-12)


def test_objective_score_of_full_marks_is_exactly_one() -> None:
    assert objective_score([1.0] * 7) == 1.0


@pytest.mark.parametrize(
    ("objective_type", "threshold"),
    [("aspirational", 0.7), ("committed", 1.0), ("Committed", 1.0), (" aspirational ", 0.7)],
)
def test_success_threshold(objective_type: str, threshold: float) -> None:
    assert success_threshold(objective_type) == threshold


def test_success_threshold_unknown_type() -> None:
    with pytest.raises(ValueError, match="stretch"):
        success_threshold("stretch")


@pytest.mark.parametrize(
    ("objective_type", "score", "expected"),
    [
        ("aspirational", 0.7, True),
        ("aspirational", objective_score([0.7, 0.7, 0.7]), True),
        ("aspirational", 0.69, False),
        ("aspirational", 1.0, True),
        ("committed", 1.0, True),
        ("committed", 0.99, False),
        ("committed", 0.7, False),
        ("committed", objective_score([1.0] * 3), True),
    ],
)
def test_is_success(objective_type: str, score: float, expected: bool) -> None:
    assert is_success(objective_type, score) is expected


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (START - timedelta(days=30), 0.0),
        (START, 0.0),
        (START + timedelta(days=10), 10 / 89),
        (END, 1.0),
        (END + timedelta(days=1), 1.0),
    ],
)
def test_expected_fraction(on: date, expected: float) -> None:
    assert expected_fraction(START, END, on) == expected


def test_expected_fraction_of_a_one_day_cycle() -> None:
    assert expected_fraction(START, START, START - timedelta(days=1)) == 0.0
    assert expected_fraction(START, START, START) == 1.0


def test_expected_fraction_refuses_a_backwards_cycle() -> None:
    with pytest.raises(ValueError):
        expected_fraction(END, START, MID)


@pytest.mark.parametrize(
    ("baseline", "target", "on", "expected"),
    [
        (0, 100, date(2025, 1, 1), 0.0),
        (0, 100, date(2025, 1, 11), 50.0),
        (0, 100, date(2025, 1, 21), 100.0),
        (0, 100, date(2024, 12, 1), 0.0),
        (0, 100, date(2025, 2, 1), 100.0),
        (45, 12, date(2025, 1, 11), 28.5),
        (45, 12, date(2025, 1, 21), 12.0),
        (0.1, 0.7, date(2025, 1, 21), 0.7),
    ],
)
def test_expected_value(baseline: float, target: float, on: date, expected: float) -> None:
    assert expected_value(baseline, target, date(2025, 1, 1), date(2025, 1, 21), on) == expected


SHORT_START = date(2025, 1, 1)
SHORT_END = SHORT_START + timedelta(days=100)  # a day is 1% of this cycle


def day(n: int) -> date:
    """The nth day of the 100-day cycle."""
    return SHORT_START + timedelta(days=n)


@pytest.mark.parametrize(
    ("baseline", "target", "value", "on", "expected"),
    [
        # expected 68%, score 63%: short by 5 points, which is not behind
        (0, 100, 63, day(68), Pace(0.63, 0.68, False, "on pace")),
        # expected 68%, score 40%: short by 28 points
        (0, 100, 40, day(68), Pace(0.4, 0.68, True, "40% of the way, 68% expected by now")),
        # short by exactly a quarter is still on pace
        (0, 100, 25, day(50), Pace(0.25, 0.5, False, "on pace")),
        (0, 100, 24, day(50), Pace(0.24, 0.5, True, "24% of the way, 50% expected by now")),
        # ahead of pace
        (0, 100, 90, day(50), Pace(0.9, 0.5, False, "on pace")),
        # decreasing KR, from 45 to 12 by the end
        (45, 12, 40, day(80), Pace(5 / 33, 0.8, True, "15% of the way, 80% expected by now")),
        (45, 12, 20, day(80), Pace(25 / 33, 0.8, False, "on pace")),
        # the cycle is over
        (0, 100, 60, day(151), Pace(0.6, 1.0, True, "60% of the way, 100% expected by now")),
        # before the cycle nothing is expected
        (0, 100, 0, day(-31), Pace(0.0, 0.0, False, "on pace")),
        # no check-in yet: behind only once more than a quarter of the cycle is gone
        (0, 100, None, day(10), Pace(0.0, 0.1, False, "no check-in yet")),
        (0, 100, None, day(25), Pace(0.0, 0.25, False, "no check-in yet")),
        (0, 100, None, day(31), Pace(0.0, 0.31, True, "no check-in yet")),
        # hold-at-X KRs are expected at X all cycle long
        (5, 5, 5, day(1), Pace(1.0, 1.0, False, "on pace")),
        (5, 5, 6, day(1), Pace(0.0, 1.0, True, "0% of the way, 100% expected by now")),
    ],
)
def test_pace(baseline: float, target: float, value: float | None, on: date, expected: Pace) -> None:
    result = pace(baseline, target, value, SHORT_START, SHORT_END, on)
    assert result.score == pytest.approx(expected.score)
    assert result.expected_score == pytest.approx(expected.expected_score)
    assert result.behind is expected.behind
    assert result.text == expected.text


def test_pace_text_rounds_half_up() -> None:
    # 62.5% would print as 62% with Python's banker's rounding.
    assert pace(0, 1000, 125, SHORT_START, SHORT_END, day(59)).text == "13% of the way, 59% expected by now"
    assert pace(0, 8, 5, SHORT_START, SHORT_END, day(100)).text == "63% of the way, 100% expected by now"


def test_pace_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        pace(0, 100, 50, SHORT_START, SHORT_END, SHORT_START).score = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([5.0], None),
        ([5.0, 7.5], 2.5),
        ([10, 20, 15], -5),
        ([45, 40, 40], 0),
        ((1, 2, 3, 10), 7),
    ],
)
def test_trend(values, expected: float | None) -> None:
    assert trend(values) == expected


def test_forecast_on_a_perfect_line_is_exact() -> None:
    # 2 a day from 10, 90 days: the end lands exactly on 190.
    points = [(date(2025, 1, 1) + timedelta(days=d), 10 + 2 * d) for d in (0, 7, 14, 21, 35)]
    assert forecast(points, date(2025, 4, 1)) == 190.0


def test_forecast_on_a_perfect_decreasing_line_is_exact() -> None:
    points = [(date(2025, 1, 1), 45.0), (date(2025, 1, 11), 40.5), (date(2025, 1, 21), 36.0)]
    assert forecast(points, date(2025, 3, 2)) == 18.0


def test_forecast_with_fractional_values_on_a_line() -> None:
    points = [(date(2025, 1, 1), 0.1), (date(2025, 1, 2), 0.2), (date(2025, 1, 3), 0.3)]
    assert forecast(points, date(2025, 1, 11)) == pytest.approx(1.1, abs=1e-15)


def test_forecast_on_noisy_data() -> None:
    # y = 2x + noise; hand-computed least squares: slope 1.9, intercept 1.2 at day 0.
    points = [
        (date(2025, 1, 1), 1.0),
        (date(2025, 1, 2), 3.5),
        (date(2025, 1, 3), 5.0),
        (date(2025, 1, 4), 7.5),
        (date(2025, 1, 5), 8.5),
    ]
    # x: 0..4, mean 2; y mean 5.1; sxy = (-2)(-4.1)+(-1)(-1.6)+0+(1)(2.4)+(2)(3.4) = 19; sxx = 10
    assert forecast(points, date(2025, 1, 11)) == pytest.approx(5.1 + 1.9 * (10 - 2))


def test_forecast_ignores_the_order_of_points() -> None:
    points = [(date(2025, 1, 5), 8.5), (date(2025, 1, 1), 1.0), (date(2025, 1, 3), 5.0)]
    assert forecast(points, date(2025, 1, 9)) == forecast(sorted(points), date(2025, 1, 9))


@pytest.mark.parametrize(
    "points",
    [
        [],
        [(date(2025, 1, 1), 5.0)],
        [(date(2025, 1, 1), 5.0), (date(2025, 1, 1), 7.0)],
        [(date(2025, 1, 3), 1.0)] * 4,
    ],
)
def test_forecast_needs_two_distinct_days(points) -> None:
    assert forecast(points, date(2025, 3, 31)) is None


def test_forecast_with_repeated_days_still_fits() -> None:
    # Two check-ins on day 0 average to 1; the line goes through (0, 1) and (1, 3).
    points = [(date(2025, 1, 1), 0.0), (date(2025, 1, 1), 2.0), (date(2025, 1, 2), 3.0)]
    assert forecast(points, date(2025, 1, 3)) == 5.0


@pytest.mark.parametrize(
    ("score", "width", "expected"),
    [
        (0.6, 10, "▓▓▓▓▓▓░░░░"),
        (0.0, 10, "░░░░░░░░░░"),
        (1.0, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (0.64, 10, "▓▓▓▓▓▓░░░░"),
        (0.65, 10, "▓▓▓▓▓▓▓░░░"),
        (0.04, 10, "░░░░░░░░░░"),
        (0.05, 10, "▓░░░░░░░░░"),
        (0.96, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (1.7, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (-0.3, 10, "░░░░░░░░░░"),
        (math.inf, 10, "▓▓▓▓▓▓▓▓▓▓"),
        (math.nan, 10, "░░░░░░░░░░"),
        (0.5, 4, "▓▓░░"),
        (0.5, 0, ""),
        (0.3, 5, "▓▓░░░"),
    ],
)
def test_progress_bar(score: float, width: int, expected: str) -> None:
    assert progress_bar(score, width) == expected


@given(st.floats(), st.integers(min_value=0, max_value=50))
def test_progress_bar_always_has_width_cells(score: float, width: int) -> None:
    assert len(progress_bar(score, width)) == width


def test_progress_bar_refuses_negative_width() -> None:
    with pytest.raises(ValueError):
        progress_bar(0.5, -1)


def test_confidence_tables() -> None:
    assert CONFIDENCE_LEVELS == {"green": 2, "amber": 1, "red": 0}
    assert CONFIDENCE_EMOJI == {"green": ":large_green_circle:", "amber": ":large_orange_circle:", "red": ":red_circle:"}
    assert CONFIDENCE_WORDS == {"green": "on track", "amber": "at risk", "red": "off track"}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, "red", 0),
        (None, "green", 0),
        ("green", "green", 0),
        ("green", "amber", 1),
        ("green", "red", 2),
        ("amber", "red", 1),
        ("amber", "amber", 0),
        ("red", "green", 0),
        ("amber", "green", 0),
        ("red", "amber", 0),
    ],
)
def test_confidence_drop(old: str | None, new: str, expected: int) -> None:
    assert confidence_drop(old, new) == expected


@pytest.mark.parametrize(("old", "new"), [("green", "purple"), ("blue", "red"), (None, "Green")])
def test_confidence_drop_refuses_unknown_levels(old: str | None, new: str) -> None:
    with pytest.raises(ValueError):
        confidence_drop(old, new)


@pytest.mark.parametrize(
    ("old", "new", "first_red", "expected"),
    [
        ("green", "red", False, True),
        ("green", "red", True, True),
        ("amber", "red", True, True),
        ("amber", "red", False, False),
        (None, "red", True, True),
        (None, "red", False, False),
        ("green", "amber", False, False),
        ("green", "amber", True, False),
        ("red", "red", False, False),
        ("red", "green", False, False),
        (None, "green", False, False),
    ],
)
def test_is_sharp_drop(old: str | None, new: str, first_red: bool, expected: bool) -> None:
    assert is_sharp_drop(old, new, first_red) is expected
