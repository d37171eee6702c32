"""When okrbot may speak to an owner: the shortest check-in week, working hours, reminders and nudges."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.holidays import is_working_day, next_working_day
from bot.rules.schedule import WEEK, local_instant

# The shortest check-in week a schedule change may create; weekly cadence (7 days, +-1 h at DST) is never near it.
MIN_WEEK = timedelta(days=4)
# Missed weeks in a row before the owner is nudged and their leads hear of it.
NUDGE_AFTER = 3
WORK_START = time(9, 0)
WORK_END = time(18, 0)
# A reminder this close to the next prompt would land on top of next week's DM (a prompt sent late, after
# downtime, would otherwise be chased by its reminder within the hour).
QUIET_BEFORE_NEXT = timedelta(hours=12)


def reminder_at(delivered_at: datetime, tz: ZoneInfo, calendars: Iterable[str | None] = ()) -> datetime:
    """09:00 local on the first working day (Monday-Friday, no public holiday of these calendars) after the day
    the prompt reached the owner."""
    day = next_working_day(delivered_at.astimezone(tz).date() + timedelta(days=1), calendars)
    return local_instant(day, WORK_START, tz)


def is_working_time(tz: ZoneInfo, *, now: datetime, calendars: Iterable[str | None] = ()) -> bool:
    """Whether it is 09:00-18:00 on a working day (Monday to Friday, no public holiday) on the owner's wall clock."""
    local = now.astimezone(tz)
    return is_working_day(local.date(), calendars) and WORK_START <= local.time() < WORK_END


def reminder_due(*, now: datetime, due_at: datetime, delivered_at: datetime, tz: ZoneInfo,
                 calendars: Iterable[str | None] = ()) -> bool:
    """Whether a week's reminder may go out at `now`: from the reminder morning, in working hours, in the week."""
    calendars = tuple(calendars)
    week_end = due_at + WEEK
    return (reminder_at(delivered_at, tz, calendars) <= now < week_end - QUIET_BEFORE_NEXT
            and is_working_time(tz, now=now, calendars=calendars))
