"""Weekly schedules in a person's own time zone: pure functions of `now`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_hhmm(text: str) -> time:
    """'09:30' -> time(9, 30); ValueError with a readable message otherwise."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day like 09:30 (24-hour clock)")
    return time(int(match.group(1)), int(match.group(2)))


def parse_weekday(text: str) -> int:
    """'friday' or 'fri' -> 4; ValueError otherwise."""
    word = text.strip().lower()
    for number, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            return number
    raise ValueError(f"{text!r} is not a day of the week (monday ... sunday)")


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant `day at` on the wall clock of `tz`.

    DST: a wall time that does not exist (the spring-forward gap) resolves to the instant one hour later by the
    wall clock, and an ambiguous one (the autumn repeat) to its first occurrence, so a weekly slot never vanishes
    or doubles. The result is in UTC: aware datetimes sharing one ZoneInfo compare by wall clock, ignoring DST.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def most_recent_slot(now: datetime, tz: ZoneInfo, weekday: int, at: time) -> tuple[date, datetime]:
    """The latest weekly slot at or before `now`: its local date and its instant."""
    local_now = now.astimezone(tz)
    day = local_now.date() - timedelta(days=(local_now.weekday() - weekday) % 7)
    instant = local_instant(day, at, tz)
    if instant > now:
        day -= timedelta(days=7)
        instant = local_instant(day, at, tz)
    return day, instant


def next_slot(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The slot one week after the slot on `day`, by the local wall clock (DST-safe)."""
    return local_instant(day + timedelta(days=7), at, tz)


def week_key(day: date, at: time) -> str:
    """The identity of one owner's check-in week for one schedule, e.g. '2026-11-27@10:00'."""
    return f"{day.isoformat()}@{at.strftime('%H:%M')}"
