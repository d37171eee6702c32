"""Participation: each owner's state in each check-in week, their counts and rates, as pure functions of weeks.

A week's state for an owner, from their prompt's KRs (bot.rules.weeks.Week):
- on time: every KR of the prompt has a check-in for the week, and no reminder was sent;
- late: every KR has a check-in, after the week's reminder went out (a reminder only goes to a week still lacking
  one);
- away: okrbot skipped the week by itself (/okr away, or the Slack status said away); skipped: the owner pressed
  "Skip this week";
- missed: the week ended (a later prompt came) without all its check-ins; missing: the open week, not yet answered.
A check-in or skip wins over the rest, so a late check-in turns "missing" into "late" in every later view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.rules.away import BY_STATUS
from bot.rules.weeks import Week

ON_TIME, LATE, AWAY, SKIPPED, MISSED, MISSING = "on time", "late", "away", "skipped", "missed", "missing"
STATES = (ON_TIME, LATE, AWAY, SKIPPED, MISSED, MISSING)
GLYPHS = {ON_TIME: "✓", LATE: "◐", AWAY: "–", SKIPPED: "–", MISSED: "✗", MISSING: "·"}
ANSWERED = (ON_TIME, LATE)


@dataclass(frozen=True)
class OwnerWeek:
    """One owner's state in one check-in week."""

    key: str
    prompt_id: int
    state: str
    # For an away week, why: "away" (/okr away) or "status" (Slack status).
    away: str | None = None

    @property
    def day(self) -> str:
        """The week's local check-in date, '2026-11-27'."""
        return self.key.partition("@")[0]

    @property
    def label(self) -> str:
        """The state as a person reads it: 'on time', 'away (Slack status)', …"""
        if self.state == AWAY:
            return "away (Slack status)" if self.away == BY_STATUS else "away"
        return self.state


def week_state(weeks: Sequence[Week], *, ended: bool, reminded: bool) -> str:
    """The state of one prompt's week from its KRs' weeks (all of one prompt)."""
    if weeks and all(w.checked_in for w in weeks):
        return LATE if reminded else ON_TIME
    if any(w.skipped for w in weeks):
        return AWAY if any(w.away for w in weeks) else SKIPPED
    return MISSED if ended else MISSING


def owner_weeks(kr_weeks: Iterable[tuple[Week, bool]], reminded: set[int]) -> list[OwnerWeek]:
    """One owner's weeks, oldest first, from (week, is that KR's open week) pairs of their KRs."""
    by_prompt: dict[int, list[tuple[Week, bool]]] = {}
    for week, current in kr_weeks:
        by_prompt.setdefault(week.prompt_id, []).append((week, current))
    out = []
    for prompt_id, members in sorted(by_prompt.items(), key=lambda item: (item[1][0][0].due_at, item[0])):
        weeks = [w for w, _ in members]
        state = week_state(weeks, ended=not any(current for _, current in members), reminded=prompt_id in reminded)
        away = next((w.away for w in weeks if w.away), None)
        out.append(OwnerWeek(weeks[0].key, prompt_id, state, away if state == AWAY else None))
    return out


def counts(weeks: Iterable[OwnerWeek]) -> dict[str, int]:
    """How many weeks are in each state (every state present, zeros included)."""
    found = dict.fromkeys(STATES, 0)
    for week in weeks:
        found[week.state] += 1
    return found


def rate(weeks: Iterable[OwnerWeek]) -> float | None:
    """Answered weeks over the weeks that asked for an answer: away and skipped weeks do not count, and neither
    does the open week until it is answered; None when no week counts."""
    found = counts(weeks)
    answered = found[ON_TIME] + found[LATE]
    due = answered + found[MISSED]
    return answered / due if due else None


def row(weeks: Iterable[OwnerWeek]) -> str:
    """The weeks as a compact row, oldest first: '✓ ✓ – ◐ ✗ ·'."""
    return " ".join(GLYPHS[w.state] for w in weeks)
