"""The glossary's phrases: pace beside confidence never contradicts it without saying why; movers are news."""

import pytest

from bot.rules.glossary import MOVER_MIN, behind_numbers, is_mover, pace_phrase


@pytest.mark.parametrize("behind, checked_in, confidence, expected", [
    (False, True, "green", "on pace"),
    (False, True, "amber", "at risk, though the number is on pace"),
    (False, True, "red", "off track, though the number is on pace"),
    (True, True, "red", "behind: 24% of the way, 51% expected by now"),
    (True, True, "amber", "behind: 24% of the way, 51% expected by now"),
    (True, True, "green", "behind: 24% of the way, 51% expected by now, though its owner says on track"),
    (True, False, None, "behind: 51% expected by now"),
    (False, False, None, ""),
])
def test_pace_phrase(behind, checked_in, confidence, expected):
    assert pace_phrase(behind=behind, score=0.24, expected=0.51, checked_in=checked_in,
                       confidence=confidence) == expected


def test_behind_names_both_numbers_rounding_halves_up():
    assert behind_numbers(0.625, 0.995) == "63% of the way, 100% expected by now"


@pytest.mark.parametrize("change, news", [
    (0.0, False), (0.004, False), (0.0449, False), (0.049, True), (0.05, True), (-0.05, True), (0.3, True),
    (-0.0449, False),
])
def test_a_mover_moved_at_least_the_minimum_as_shown(change, news):
    # 0.049 shows as 0.05, so it counts: no mover reads "+0.04", and none that reads "+0.05" is left out.
    assert MOVER_MIN == 0.05
    assert is_mover(change) is news


def test_right_after_the_confidence_the_phrase_does_not_repeat_it():
    assert pace_phrase(behind=False, score=0.5, expected=0.5, checked_in=True, confidence="red",
                       confidence_said=True) == "though the number is on pace"
