"""The end of a cycle, as pure rules: when leads are asked to grade, the score a KR ends on, and what a grade needs.

A cycle ends on its last day in the team's zone; the grading DM goes out at the start of the first working
morning after it, and one reminder three working mornings later. Both follow the same working-day rule as the
weekly reminders (bot.rules.cadence.reminder_at), so a change to what counts as a working day reaches them too.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.rules.cadence import WORK_START, reminder_at
from bot.rules.schedule import local_instant
from bot.rules.scoring import kr_score, meets, threshold_of

# Working mornings after the grading DM before the one reminder, if nobody graded.
REMIND_AFTER_WORKING_DAYS = 3
# A grade further than this from the computed score needs a sentence of evidence.
EVIDENCE_GAP = 0.1
# Cycles that ended longer ago than this are not chased: installing okrbot mid-year asks about no old cycle.
CHASE_FOR_DAYS = 45
_GRADE = re.compile(r"^(?:0(?:[.,]\d{1,2})?|1(?:[.,]0{1,2})?|[.,]\d{1,2})$")


def grading_due_at(end: date, tz: ZoneInfo) -> datetime:
    """The first working morning (09:00 team time) after the cycle's last day: when its leads are asked to grade."""
    return reminder_at(local_instant(end, WORK_START, tz), tz)


def grading_reminder_at(delivered_at: datetime, tz: ZoneInfo) -> datetime:
    """Three working mornings after the grading DM reached the lead: the one reminder, if nobody has graded.

    Counted from the delivery, not the due morning, so a DM sent late after downtime is not chased at once.
    """
    at = delivered_at
    for _ in range(REMIND_AFTER_WORKING_DAYS):
        at = reminder_at(at, tz)
    return at


def still_chased(end: date, *, now: datetime) -> bool:
    """Whether a cycle that ended on `end` is recent enough to ask its leads to grade it."""
    return (now.date() - end).days <= CHASE_FOR_DAYS


def final_score(baseline: float, target: float, final_value: float | None) -> float:
    """The score a KR ends its cycle on: from its latest value (its baseline when nobody checked in)."""
    return kr_score(baseline, target, baseline if final_value is None else final_value)


def is_finished(score: float) -> bool:
    """Whether a KR reached its target; an unfinished one is carried over or dropped."""
    return meets(score, 1.0)


def objective_grade(grades: list[float]) -> float:
    """An objective's grade: the mean of its KRs' grades (0.0 without KRs)."""
    return sum(grades) / len(grades) if grades else 0.0


def met_line(objective_type: str, grade: float) -> bool:
    """Whether a grade meets the objective type's success line (0.7 aspirational, 1.0 committed)."""
    return meets(grade, threshold_of(objective_type))


def parse_grade(text: str) -> float | None:
    """A grade as typed, 0.0 to 1.0 with at most two decimals ("0.7", ".65", "1", "0,8"); None when it is not one."""
    cleaned = text.strip()
    if not _GRADE.match(cleaned):
        return None
    return float(cleaned.replace(",", "."))


def needs_evidence(grade: float, computed: float) -> bool:
    """Whether a grade differs from the computed score by more than 0.1, and so needs a sentence of evidence."""
    return abs(grade - round(computed, 2)) > EVIDENCE_GAP + 1e-9


def grade_text(grade: float) -> str:
    """A grade as shown and pre-filled: two decimals, "0.62"."""
    return f"{grade:.2f}"
