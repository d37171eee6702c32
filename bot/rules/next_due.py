"""When a job next has work: the first instant after `now` at which a weekly slot, a reminder or a working morning
falls, with the same DST, holiday and working-hour rules the jobs decide by (pure functions of `now`).

Each job reports "nothing before T" to its tick (storage.wake), so these must never be late: a T that comes too
early costs one idle computation, a T that comes too late loses a message. Where the exact answer is costly, they
answer sooner.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.cadence import QUIET_BEFORE_NEXT, WORK_END, WORK_START, reminder_at
from bot.rules.holidays import is_working_day, moved_day, next_working_day
from bot.rules.schedule import WEEK, local_instant, most_recent_slot

# A job with nothing that time alone can make due (alerts, problems: only a write makes them due).
NEVER = datetime.max.replace(tzinfo=UTC)
# Weeks looked ahead for a slot that holidays did not cancel; past that, the answer is "wake then and look again".
_LOOKAHEAD_WEEKS = 5


def next_weekly(tz: ZoneInfo, weekday: int, at: time, calendars: Iterable[str | None], *,
                now: datetime) -> datetime:
    """The first instant after `now` at which a weekly slot (moved off public holidays) becomes due.

    The current slot counts when a holiday moved it past `now` (its week is due later); else the next week's,
    moved as the jobs move it (bot.rules.holidays.moved_day), skipping a week that holds no working day.
    """
    calendars = tuple(calendars)
    day, _ = most_recent_slot(tz, weekday, at, now=now)
    for week in range(_LOOKAHEAD_WEEKS):
        moved = moved_day(day + week * WEEK, calendars)
        if moved is None:
            continue
        instant = local_instant(moved, at, tz)
        if instant > now:
            return instant
    return local_instant(day + _LOOKAHEAD_WEEKS * WEEK, at, tz)


def next_working_time(tz: ZoneInfo, *, after: datetime, calendars: Iterable[str | None] = ()) -> datetime:
    """The first instant at or after `after` that is working time on that wall clock (bot.rules.cadence)."""
    calendars = tuple(calendars)
    local = after.astimezone(tz)
    day = local.date()
    if is_working_day(day, calendars) and local.time() < WORK_END:
        return max(after, local_instant(day, WORK_START, tz))
    return local_instant(next_working_day(day + timedelta(days=1), calendars), WORK_START, tz)


def next_reminder(*, now: datetime, due_at: datetime, delivered_at: datetime, tz: ZoneInfo,
                  calendars: Iterable[str | None] = ()) -> datetime | None:
    """The first instant at or after `now` at which bot.rules.cadence.reminder_due holds; None if none in the week."""
    calendars = tuple(calendars)
    start = max(now, reminder_at(delivered_at, tz, calendars))
    at = next_working_time(tz, after=start, calendars=calendars)
    return at if at < due_at + WEEK - QUIET_BEFORE_NEXT else None


def earliest(instants: Iterable[datetime | None]) -> datetime:
    """The soonest of these instants (None entries ignored); NEVER when there is none."""
    return min((i for i in instants if i is not None), default=NEVER)
