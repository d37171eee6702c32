"""okrbot's words: one home for what each idea is called and how its numbers are said, so that every message, the
command line and the README say the same thing the same way.

- **score**: a KR's progress from baseline to target, 0.00–1.00 (an objective's is the mean of its KRs').
- **confidence**: what the owner says at check-in: on track (green), at risk (amber), off track (red).
- **pace**: the score against the straight line from the cycle's start to its end. A KR is **behind** when it
  trails that line by more than a quarter of the way; it is then said as "24% of the way, 51% expected by now".
  When the numbers and the owner's confidence disagree, the phrase says so instead of leaving the reader to wonder.
- **mover**: a KR whose score moved by at least MOVER_MIN over the last seven days.
- **missed week**: a check-in week that ended without a check-in and was not skipped.
"""

from __future__ import annotations

import math
from typing import Final

CONFIDENCE_WORDS: Final = {"green": "on track", "amber": "at risk", "red": "off track"}
ON_PACE: Final = "on pace"
BEHIND: Final = "behind"
# A score change smaller than this is week-to-week noise, not news: a digest shows no "+0.01" movers.
MOVER_MIN: Final = 0.05


def whole_percent(fraction: float) -> int:
    """A 0..1 fraction as a whole percent, rounding halves up (Python's round() would make 62.5% into 62%)."""
    return math.floor(fraction * 100 + 0.5)


def behind_numbers(score: float, expected: float) -> str:
    """'24% of the way, 51% expected by now': where a KR is and where the pace line is, each named."""
    return f"{whole_percent(score)}% of the way, {whole_percent(expected)}% expected by now"


def pace_phrase(*, behind: bool, score: float, expected: float, checked_in: bool, confidence: str | None,
                confidence_said: bool = False) -> str:
    """The pace beside a KR's confidence, never contradicting it silently.

    'on pace'; 'behind: 24% of the way, 51% expected by now'; 'off track, though the number is on pace' (or 'though
    the number is on pace' right after the confidence, when `confidence_said`); 'behind: 24% of the way, 51%
    expected by now, though its owner says on track'; '' for a KR not checked in and not behind yet.
    """
    if not checked_in:
        return f"{BEHIND}: {whole_percent(expected)}% expected by now" if behind else ""
    if behind:
        said = f"{BEHIND}: {behind_numbers(score, expected)}"
        return f"{said}, though its owner says {CONFIDENCE_WORDS['green']}" if confidence == "green" else said
    if confidence in ("amber", "red"):
        though = f"though the number is {ON_PACE}"
        return though if confidence_said else f"{CONFIDENCE_WORDS[confidence]}, {though}"
    return ON_PACE


def is_mover(change: float) -> bool:
    """True when a score change is news (at least MOVER_MIN either way), judged as it is shown: to two decimals."""
    return abs(float(f"{change:.2f}")) >= MOVER_MIN
