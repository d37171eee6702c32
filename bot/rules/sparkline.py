"""A KR's trend as a fixed-width Unicode sparkline of its weekly scores, such as ▁▂▃▄▅▆▇█.

Each character is one week, the oldest on the left, ending with the week that holds `on`. A week's score is that of
the value in force at its end: the latest check-in by then, else the baseline (an observed value too, and where
every KR starts). Weeks before the cycle began are blank. Scores, not raw values, so that every sparkline reads the
same way: up is towards the target, also for a decreasing target, and a full block is the target reached.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, timedelta

from bot.rules.scoring import kr_score

WEEKS = 8
LEVELS = "▁▂▃▄▅▆▇█"
# A week before the cycle: a figure space has the width of a digit, so the line keeps its width in any font.
BLANK = "\u2007"


def weekly_scores(points: Sequence[tuple[date, float]], *, baseline: float, target: float, start: date, on: date,
                  weeks: int = WEEKS) -> tuple[float | None, ...]:
    """The score at the end of each of the `weeks` weeks ending on `on`, oldest first; None before `start`.

    `points` are (day, value) check-ins, oldest first; one on a week's last day counts for that week.
    """
    out: list[float | None] = []
    # One pass over the points: the weeks run oldest first too, so each week carries on from where the last stopped.
    value, seen, count = baseline, 0, len(points)
    for week_end in week_ends(on, weeks):
        if week_end < start:
            out.append(None)
            continue
        while seen < count and points[seen][0] <= week_end:
            value = points[seen][1]
            seen += 1
        out.append(kr_score(baseline, target, value))
    return tuple(out)


@functools.lru_cache(maxsize=64)
def week_ends(on: date, weeks: int = WEEKS) -> tuple[date, ...]:
    """The last days of the `weeks` weeks ending on `on`, oldest first (the same for every KR of a status)."""
    return tuple(on - timedelta(weeks=back) for back in range(weeks - 1, -1, -1))


def sparkline(scores: Sequence[float | None]) -> str:
    """One character per score: ▁ for 0.0 up to █ for 1.0, BLANK for None."""
    top = len(LEVELS) - 1
    return "".join(BLANK if score is None else LEVELS[round(min(1.0, max(0.0, score)) * top)] for score in scores)
