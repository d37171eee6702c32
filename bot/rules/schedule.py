"""Weekly schedules in a person's own time zone: pure functions of `now`.

This is the one home of the weekday names, of the zone a person is prompted in, of a team's local date and of the
window of dates a query must cover at `now`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Weekday numbers follow datetime.weekday(), as Team.checkin_day and Team.digest_day do: Monday is 0.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEK = timedelta(days=7)
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def zone(name: str | None) -> ZoneInfo | None:
    """The IANA zone of that name, or None when it is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def owner_zone(person_tz: str | None, team_tz: str | None) -> ZoneInfo:
    """Where an owner's wall clock is: their Slack zone, else their team's zone, else UTC."""
    return zone(person_tz) or zone(team_tz) or ZoneInfo("UTC")


def local_day(tz_name: str | None, *, now: datetime) -> date:
    """The date on the wall clock of that zone at `now` (UTC when the zone is unknown)."""
    return now.astimezone(zone(tz_name) or UTC).date()


def days_around(*, now: datetime, back: int = 1) -> tuple[date, date]:
    """The first and last UTC dates a query must cover to see every local date at `now`.

    Zones span UTC-12..+14, so a local date is within a day of the UTC date; jobs that also look at the slot
    a week ago (a prompt or digest sent late) ask for back=8.
    """
    return now.date() - timedelta(days=back), now.date() + timedelta(days=1)


def day_name(day: int) -> str:
    """'Friday' for 4; '?' for a number that is no weekday."""
    return WEEKDAYS[day].capitalize() if 0 <= day < len(WEEKDAYS) else "?"


def parse_hhmm(text: str) -> time:
    """'09:30' -> time(9, 30); ValueError with a readable message otherwise."""
    match = _HHMM.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a time of day like 09:30 (24-hour clock)")
    return time(int(match.group(1)), int(match.group(2)))


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant `day at` on the wall clock of `tz`.

    DST: a wall time that does not exist (the spring-forward gap) resolves to the instant one hour later by the
    wall clock, and an ambiguous one (the autumn repeat) to its first occurrence, so a weekly slot never vanishes
    or doubles. The result is in UTC: aware datetimes sharing one ZoneInfo compare by wall clock, ignoring DST.
    """
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def most_recent_slot(tz: ZoneInfo, weekday: int, at: time, *, now: datetime) -> tuple[date, datetime]:
    """The latest weekly slot at or before `now`: its local date and its instant."""
    local_now = now.astimezone(tz)
    day = local_now.date() - timedelta(days=(local_now.weekday() - weekday) % 7)
    instant = local_instant(day, at, tz)
    if instant > now:
        day -= WEEK
        instant = local_instant(day, at, tz)
    return day, instant


def next_slot(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The slot one week after the slot on `day`, by the local wall clock (DST-safe)."""
    return local_instant(day + WEEK, at, tz)


def week_key(day: date, at: time) -> str:
    """The identity of one owner's check-in week for one schedule, e.g. '2026-11-27@10:00'."""
    return f"{day.isoformat()}@{at.strftime('%H:%M')}"


def same_series(key_a: str, key_b: str) -> bool:
    """Whether two week keys belong to one weekly slot: the same time, on dates a whole number of weeks apart."""
    day_a, _, at_a = key_a.partition("@")
    day_b, _, at_b = key_b.partition("@")
    try:
        apart = (date.fromisoformat(day_a) - date.fromisoformat(day_b)).days
    except ValueError:
        return False
    return at_a == at_b and apart % 7 == 0
