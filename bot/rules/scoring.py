"""Scoring key results and objectives: progress, pace, trend, forecast and confidence changes."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Final

# The words are the glossary's; imported here too, where scoring code has always found them.
from bot.rules.glossary import CONFIDENCE_WORDS, ON_PACE, behind_numbers, whole_percent

__all__ = [
    "BEHIND_MARGIN",
    "CONFIDENCES",
    "OBJECTIVE_TYPES",
    "CONFIDENCE_EMOJI",
    "CONFIDENCE_LEVELS",
    "CONFIDENCE_WORDS",
    "Pace",
    "confidence_drop",
    "expected_fraction",
    "expected_value",
    "forecast",
    "is_sharp_drop",
    "is_success",
    "kr_score",
    "meets",
    "objective_score",
    "pace",
    "progress_bar",
    "success_threshold",
    "threshold_of",
    "trend",
    "whole_percent",
]

# A KR is behind only when it trails the expected score by more than a quarter of the way from
# baseline to target: smaller gaps are normal week-to-week noise and not worth a nudge.
BEHIND_MARGIN: Final = 0.25
# Scores are means of floats, so a committed objective at "exactly 100%" may come out as 0.9999999999.
_TOLERANCE: Final = 1e-9

SUCCESS_THRESHOLDS: Final = {"aspirational": 0.7, "committed": 1.0}
OBJECTIVE_TYPES: Final = tuple(SUCCESS_THRESHOLDS)

CONFIDENCE_LEVELS: Final = {"green": 2, "amber": 1, "red": 0}
CONFIDENCES: Final = tuple(CONFIDENCE_LEVELS)
CONFIDENCE_EMOJI: Final = {"green": ":large_green_circle:", "amber": ":large_orange_circle:", "red": ":red_circle:"}

PROGRESS_FULL: Final = "\u2593"
PROGRESS_EMPTY: Final = "\u2591"


def _exact(name: str, number: float) -> Fraction:
    """A finite float as an exact fraction, so ratios of nearby or huge numbers neither lose digits nor overflow."""
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, not {number!r}")
    return Fraction(number)


def _clamp01(number: float) -> float:
    return 0.0 if number < 0.0 else 1.0 if number > 1.0 else number


# A status scores each KR for each week its sparkline shows, with exact fractions: the same few (baseline, target,
# value) triples again and again, so remembering them took a third of a status's CPU off (bench/bench_status.py).
@functools.lru_cache(maxsize=65536)
def kr_score(baseline: float, target: float, value: float | None) -> float:
    """Progress of value from baseline to target, clamped to 0..1; works for decreasing targets; None scores 0.0."""
    if value is None:
        return 0.0
    b, t, v = _exact("baseline", baseline), _exact("target", target), _exact("value", value)
    if b == t:
        # No distance to travel means the KR is "hold at X": it is met exactly when the value is X.
        # "Beyond" has no direction here, so anything else scores 0.0.
        return 1.0 if v == t else 0.0
    return float(min(Fraction(1), max(Fraction(0), (v - b) / (t - b))))


def objective_score(kr_scores: Sequence[float]) -> float:
    """Mean of the key results' scores; an objective with no KRs scores 0.0."""
    if not kr_scores:
        return 0.0
    return math.fsum(kr_scores) / len(kr_scores)


def success_threshold(objective_type: str) -> float:
    """Score an objective needs to count as a success: aspirational 0.7, committed 1.0."""
    key = objective_type.strip().lower()
    if key not in SUCCESS_THRESHOLDS:
        raise ValueError(f"unknown objective type {objective_type!r}; expected one of {sorted(SUCCESS_THRESHOLDS)}")
    return SUCCESS_THRESHOLDS[key]


def threshold_of(objective_type: str) -> float:
    """The success threshold of an objective type; an unknown type is scored like an aspirational objective."""
    try:
        return success_threshold(objective_type)
    except ValueError:
        # The importer only stores known types; an odd row is scored like an aspirational objective.
        return SUCCESS_THRESHOLDS["aspirational"]


def meets(score: float, threshold: float) -> bool:
    """Whether a score reaches a threshold, forgiving the rounding of a mean of floats."""
    return score >= threshold - _TOLERANCE


def is_success(objective_type: str, score: float) -> bool:
    """Whether score meets the success threshold for the objective type."""
    return meets(score, success_threshold(objective_type))


def expected_fraction(start: date, end: date, on: date) -> float:
    """Share of the cycle elapsed on a day, 0.0 at start to 1.0 at end, clamped outside the cycle."""
    if end < start:
        raise ValueError(f"cycle ends ({end}) before it starts ({start})")
    if end == start:
        return 1.0 if on >= end else 0.0
    return _clamp01((on - start).days / (end - start).days)


def expected_value(baseline: float, target: float, start: date, end: date, on: date) -> float:
    """Value a KR should have on a day if it moves linearly from baseline at cycle start to target at cycle end."""
    fraction = expected_fraction(start, end, on)
    if fraction == 1.0:
        # Exactly the target, not baseline + (target - baseline) with its rounding error.
        return float(target)
    return baseline + (target - baseline) * fraction


@dataclass(frozen=True)
class Pace:
    """Where a KR stands against the straight line from baseline to target."""

    score: float
    expected_score: float
    behind: bool
    text: str


def pace(
    baseline: float, target: float, value: float | None, start: date, end: date, on: date
) -> Pace:
    """Compare a KR's score with the score it should have by now; behind means short by more than BEHIND_MARGIN."""
    # A hold-at-X KR (baseline == target) should be at X all cycle long, so it is expected to score 1.0 throughout.
    expected = 1.0 if baseline == target else expected_fraction(start, end, on)
    if value is None:
        return Pace(0.0, expected, expected > BEHIND_MARGIN + _TOLERANCE, "no check-in yet")
    score = kr_score(baseline, target, value)
    behind = expected - score > BEHIND_MARGIN + _TOLERANCE
    text = behind_numbers(score, expected) if behind else ON_PACE
    return Pace(score, expected, behind, text)


def trend(values_oldest_first: Sequence[float]) -> float | None:
    """Change since the previous check-in (last minus previous), or None with fewer than two check-ins."""
    if len(values_oldest_first) < 2:
        return None
    return values_oldest_first[-1] - values_oldest_first[-2]


def forecast(points: Sequence[tuple[date, float]], end: date) -> float | None:
    """Least-squares line through (day, value) check-ins extrapolated to the cycle end; None without two distinct days."""
    if len(points) < 2:
        return None
    origin = min(day for day, _ in points)
    # Exact arithmetic keeps a perfect line perfect and avoids cancellation in the sums of squares.
    xs = [Fraction((day - origin).days) for day, _ in points]
    ys = [_exact("value", value) for _, value in points]
    n = len(points)
    mean_x = sum(xs, Fraction(0)) / n
    mean_y = sum(ys, Fraction(0)) / n
    spread = sum(((x - mean_x) ** 2 for x in xs), Fraction(0))
    if spread == 0:
        return None
    slope = sum(((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)), Fraction(0)) / spread
    at_end = mean_y + slope * ((end - origin).days - mean_x)
    return float(at_end)


def progress_bar(score: float, width: int = 10) -> str:
    """A text bar of width cells filled to the nearest cell, e.g. "▓▓▓▓▓▓░░░░" for 0.6; out-of-range scores are clamped."""
    if width < 0:
        raise ValueError(f"width must not be negative, got {width}")
    # NaN would otherwise poison the arithmetic below; an unknown score shows as empty.
    clamped = 0.0 if math.isnan(score) else _clamp01(score)
    filled = min(width, math.floor(clamped * width + 0.5))
    return PROGRESS_FULL * filled + PROGRESS_EMPTY * (width - filled)


def _level(confidence: str) -> int:
    if confidence not in CONFIDENCE_LEVELS:
        raise ValueError(f"unknown confidence {confidence!r}; expected one of {list(CONFIDENCE_LEVELS)}")
    return CONFIDENCE_LEVELS[confidence]


def confidence_drop(old: str | None, new: str) -> int:
    """Levels confidence fell from old to new (green -> red is 2); 0 if unchanged, raised, or no earlier confidence."""
    new_level = _level(new)
    if old is None:
        return 0
    return max(0, _level(old) - new_level)


def is_sharp_drop(old: str | None, new: str, first_red: bool) -> bool:
    """Whether a confidence change deserves attention: green straight to red, or this KR's first time at red."""
    return confidence_drop(old, new) >= 2 or (new == "red" and first_red)
