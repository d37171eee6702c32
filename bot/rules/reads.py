"""When okrbot reads a KR's source: pure functions of `now` and the owner's wall clock.

A source is read once a day at DAILY_AT on its owner's wall clock, and again BEFORE_PROMPT ahead of each of the
owner's weekly prompts, so the prompt shows a value at most an hour old. Every read belongs to a slot, the instant
it was due; the slot's key is what makes a value read twice (a re-run, two processes) stored once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.rules.schedule import local_instant, most_recent_slot, next_slot

DAILY_AT = time(6, 0)
BEFORE_PROMPT = timedelta(hours=1)
# A failed read is tried again this much later (or at the next slot, when that comes first): twice within the hour
# before a prompt, the second time in the prompt's own tick, which reads sources before it sends prompts.
RETRY_AFTER = timedelta(minutes=30)

# A weekly prompt slot: weekday (Monday is 0) and local time of day, as Team.checkin_day and Team.checkin_time say.
PromptSlot = tuple[int, time]


def read_instants(tz: ZoneInfo, prompts: Iterable[PromptSlot], *, now: datetime) -> list[datetime]:
    """Every read slot from the day before `now` to the next prompt's, in UTC, sorted."""
    today = now.astimezone(tz).date()
    # local_instant is DST-safe: 06:00 exists every day, and a prompt in a spring-forward gap moves an hour later.
    out = {local_instant(today + timedelta(days=d), DAILY_AT, tz) for d in (-1, 0, 1, 2)}
    for weekday, at in prompts:
        day, due = most_recent_slot(tz, weekday, at, now=now)
        # An hour before the prompt by the clock on the wall of the world, not the owner's: a DST change in that
        # hour still leaves an hour to read (and retry) before the prompt.
        out |= {due - BEFORE_PROMPT, next_slot(day, at, tz) - BEFORE_PROMPT}
    return sorted(instant.astimezone(UTC) for instant in out)


def current_slot(tz: ZoneInfo, prompts: Iterable[PromptSlot], *, now: datetime) -> datetime:
    """The latest read slot at or before `now`: the one a read at `now` belongs to."""
    return max(i for i in read_instants(tz, prompts, now=now) if i <= now)


def next_read(tz: ZoneInfo, prompts: Iterable[PromptSlot], *, now: datetime) -> datetime:
    """The first read slot after `now`."""
    return min(i for i in read_instants(tz, prompts, now=now) if i > now)


def retry_read(tz: ZoneInfo, prompts: Iterable[PromptSlot], *, now: datetime) -> datetime:
    """When a read that failed at `now` is tried again: after RETRY_AFTER, or at the next slot if that is sooner."""
    return min(now + RETRY_AFTER, next_read(tz, prompts, now=now))


def slot_key(slot: datetime) -> str:
    """The identity of one read slot, e.g. '2026-12-07T05:00Z' (UTC, to the minute)."""
    return slot.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def failure_note(failure: str, *, at: datetime, tz: ZoneInfo) -> str:
    """'source failed: HTTP 503 at 09:12', the time on the owner's wall clock."""
    return f"source failed: {failure.rstrip('.')} at {at.astimezone(tz):%H:%M}"
