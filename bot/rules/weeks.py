"""Check-in weeks and missed weeks: pure functions of the prompts and check-ins a KR has had."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Week:
    """One KR's check-in week: from its prompt to the next one."""

    prompt_id: int
    due_at: datetime
    skipped: bool
    checked_in: bool
    # Why okrbot skipped the week without prompting (bot.rules.away.BY_COMMAND / BY_STATUS), or None.
    away: str | None = None
    # The prompt's week key, "2026-11-27@10:00": its local check-in date names the week.
    key: str = ""


@dataclass(frozen=True)
class KRWeeks:
    """A KR's weeks, oldest first; the last one is the current week, still open."""

    weeks: tuple[Week, ...]

    @property
    def current(self) -> Week | None:
        """The open week (the latest prompt), if the KR was ever prompted."""
        return self.weeks[-1] if self.weeks else None

    @property
    def missed_streak(self) -> int:
        """Consecutive missed weeks, counting back from the last week that has ended.

        A week has ended once the next prompt for the KR exists; it is missed when it ended with no check-in and
        was not skipped. A skipped week neither counts nor breaks the streak, as the owner was away.
        """
        streak = 0
        for week in reversed(self.weeks[:-1]):
            if week.checked_in:
                break
            if not week.skipped:
                streak += 1
        return streak

    @property
    def streak_start(self) -> Week | None:
        """The first missed week of the current streak, which identifies the streak (for once-per-streak nudges)."""
        start = None
        for week in reversed(self.weeks[:-1]):
            if week.checked_in:
                break
            if not week.skipped:
                start = week
        return start

    @property
    def checked_in_this_week(self) -> bool:
        """Whether the open week has a check-in (or was skipped)."""
        current = self.current
        return current is not None and (current.checked_in or current.skipped)


def weeks_of(rows: Sequence[tuple], checked: set[tuple[int, int]]) -> dict[int, KRWeeks]:
    """Assemble KRWeeks from (kr_id, prompt_id, due_at, skipped_at[, away, week_key]) rows and the (kr_id,
    prompt_id) check-ins."""
    by_kr: dict[int, list[Week]] = defaultdict(list)
    for kr_id, prompt_id, due_at, skipped_at, *more in sorted(rows, key=lambda r: (r[0], r[2], r[1])):
        away, key = (more + [None, ""])[:2]
        by_kr[kr_id].append(Week(prompt_id, due_at, skipped_at is not None, (kr_id, prompt_id) in checked,
                                 away, key))
    return {kr_id: KRWeeks(tuple(weeks)) for kr_id, weeks in by_kr.items()}
