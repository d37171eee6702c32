"""Whether an owner is away: /okr away stretches and Slack statuses, as pure functions of dates and `now`.

An away week is a skipped week (bot.rules.weeks): no prompt, no reminder, never missed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

# The status emoji that plainly say "not at work"; README "Away" lists them.
AWAY_EMOJI = frozenset({
    ":palm_tree:", ":beach_with_umbrella:", ":desert_island:", ":airplane:", ":airplane_departure:",
    ":face_with_thermometer:", ":thermometer:", ":sick:",
})
# Whole words or phrases in the status text, any case; README "Away" lists them.
AWAY_WORDS = re.compile(r"\b(ooo|out of (the )?office|on leave|parental leave|annual leave|vacation|holidays?|"
                        r"sick|pto)\b", re.IGNORECASE)

# Why a week was skipped without a prompt (models.Prompt.away).
BY_COMMAND = "away"
BY_STATUS = "status"


def status_says_away(text: str | None, emoji: str | None) -> bool:
    """Whether a Slack status plainly says the person is away (emoji or words), whatever its expiry."""
    return (emoji or "").strip() in AWAY_EMOJI or bool(AWAY_WORDS.search(text or ""))


def status_away(text: str | None, emoji: str | None, expiration: int | None, *, now: datetime) -> bool:
    """Whether a Slack status makes the person away at `now`: it says away and has not expired (0: no expiry)."""
    return status_says_away(text, emoji) and (not expiration or expiration > now.timestamp())


def away_on(day: date, stretches: Iterable[tuple[date, date | None]]) -> bool:
    """Whether `day` falls in one of these (start, until) stretches, both ends included; until None is open-ended."""
    return any(start <= day and (until is None or day <= until) for start, until in stretches)


def away_reason(day: date, stretches: Iterable[tuple[date, date | None]], status: tuple[str, str, int] | None, *,
                now: datetime) -> str | None:
    """Why the owner's check-in week on `day` is away (BY_COMMAND, BY_STATUS), or None when they are at work."""
    if away_on(day, stretches):
        return BY_COMMAND
    if status is not None and status_away(*status, now=now):
        return BY_STATUS
    return None
