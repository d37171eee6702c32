"""Rules for the fields people type, shared by the YAML importer and the /okr commands and modals.

Each check returns the clean value or raises Invalid, whose str() is one sentence (or clause) for a person; the
importer prefixes it with the file, line and field, the commands and modals show it as it is.
"""

from __future__ import annotations

import difflib
import re
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.rules.holidays import normal_calendar
from bot.rules.schedule import WEEKDAYS
from bot.rules.values import format_value

DAYS = {name: i for i, name in enumerate(WEEKDAYS)} | {name[:3]: i for i, name in enumerate(WEEKDAYS)}

CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
# With "escape channels, users and links" on, Slack sends mentions as <@U123|name> and channels as <#C123|name>.
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>$")
CHANNEL_MENTION = re.compile(r"^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$")

DEFAULT_TIMEZONE = "UTC"
DEFAULT_CHECKIN = (DAYS["friday"], "10:00")
DEFAULT_DIGEST = (DAYS["monday"], "09:00")

# Column sizes in storage.models.
TEAM_NAME_MAX = 80
CYCLE_NAME_MAX = 64
TITLE_MAX = 200
UNIT_MAX = 24


class Invalid(ValueError):
    """A value a person typed that does not pass; str() says why, for that person."""


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """Every IANA zone name this system knows, sorted."""
    return tuple(sorted(available_timezones()))


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """" (did you mean 'friday'?)" for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def describe(value: Any) -> str:
    """How a value reads in a message: its repr, or what kind of thing it is."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def day_of_week(value: Any) -> int:
    """'friday' or 'fri' (any case) -> 4."""
    if isinstance(value, str) and value.strip().lower() in DAYS:
        return DAYS[value.strip().lower()]
    hint = suggest(value.strip().lower(), WEEKDAYS) if isinstance(value, str) else ""
    raise Invalid(f"{describe(value)} is not a day of the week; use monday to sunday{hint}")


def time_of_day(value: Any) -> str:
    """'9:30' or '09:30' -> '09:30' on a 24-hour clock."""
    if isinstance(value, str) and (m := TIME.fullmatch(value.strip())):
        hours, minutes = int(m[1]), int(m[2])
        if hours < 24 and minutes < 60:
            return f"{hours:02d}:{minutes:02d}"
    raise Invalid(f"{describe(value)} is not a time of day; write it as \"HH:MM\" on a 24-hour clock, like \"09:30\"")


# Words that clear a team's holiday calendar in `/okr team holidays NAME none`.
NO_CALENDAR = ("none", "off", "-")


def holiday_calendar(value: Any) -> str:
    """A public-holiday calendar code such as GB or US-CA, in its stored spelling (bot.rules.holidays)."""
    if isinstance(value, str) and value.strip():
        try:
            return normal_calendar(value)
        except ValueError as exc:
            raise Invalid(str(exc)) from None
    raise Invalid(f"the holiday calendar must be a country code like GB or US-CA, not {describe(value)}")


def time_zone(value: Any) -> str:
    """An IANA zone name such as Europe/London, checked against the zone database."""
    if isinstance(value, str) and value.strip():
        name = value.strip()
        try:
            ZoneInfo(name)
            return name
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(f"{name!r} is not a known IANA time zone{suggest(name, zone_names())}; "
                          f"use a name like Europe/London or America/New_York") from None
    raise Invalid(f"the time zone must be an IANA name like Europe/London, not {describe(value)}")


def slack_id(value: Any, pattern: re.Pattern[str], what: str, example: str) -> str:
    """A Slack user or channel id matching `pattern`, stripped."""
    if not isinstance(value, str) or not pattern.fullmatch(value.strip()):
        raise Invalid(f"{describe(value)} is not a Slack {what} id; it should look like {example}")
    return value.strip()


def user_id(value: Any) -> str:
    """A Slack user id like U0123ABCD."""
    return slack_id(value, USER_ID, "user", "U0123ABCD")


def channel_id(value: Any) -> str:
    """A Slack channel id like C0123ABCD."""
    return slack_id(value, CHANNEL_ID, "channel", "C0123ABCD")


def mentioned_user(arg: str) -> str | None:
    """The user id in a mention like <@U123|ann> (or a bare id like U123ABC), or None."""
    match = USER_MENTION.match(arg)
    if match:
        return match.group(1)
    return arg if USER_ID.fullmatch(arg) else None


def mentioned_channel(arg: str) -> str | None:
    """The channel id in a mention like <#C123|growth> (or a bare id like C123ABC), or None."""
    match = CHANNEL_MENTION.match(arg)
    if match:
        return match.group(1)
    return arg if CHANNEL_ID.fullmatch(arg) else None


def text(value: Any, what: str, max_len: int) -> str:
    """Non-empty text of at most max_len characters, stripped."""
    if not isinstance(value, str):
        raise Invalid(f"{what} must be text, not {describe(value)}; put it in quotes if needed")
    value = value.strip()
    if not value:
        raise Invalid(f"{what} is empty; it needs some text")
    if len(value) > max_len:
        raise Invalid(f"{what} is {len(value)} characters long; keep it to {max_len} at most")
    return value


def a_date(value: Any, what: str) -> date:
    """A date written like 2026-10-01."""
    if isinstance(value, date) and not hasattr(value, "hour"):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise Invalid(f"{what} {describe(value)} is not a date; write it like 2026-10-01")


def cycle_dates(start: date, end: date) -> None:
    """A cycle must end after it starts."""
    if end <= start:
        raise Invalid(f"the cycle ends on {end.isoformat()}, which is not after its start on {start.isoformat()}")


def unit(value: Any) -> str:
    """A KR's unit such as "%" or "days": text of at most UNIT_MAX characters, possibly empty."""
    if not isinstance(value, str):
        raise Invalid(f"the unit must be text like \"%\" or \"days\", not {describe(value)}")
    value = value.strip()
    if len(value) > UNIT_MAX:
        raise Invalid(f"the unit is {len(value)} characters long; keep it to {UNIT_MAX} at most")
    return value


def kr_change(baseline: float, target: float) -> None:
    """A key result must move: its target differs from its baseline."""
    if baseline == target:
        raise Invalid(f"the baseline and target are both {format_value(target)}; a key result needs a change to "
                      f"measure, so the target must differ from the baseline")
