"""Public holidays and working days: pure functions of dates and a team's calendar code ("GB", "US-CA").

The calendars come from the maintained `holidays` package rather than a table of our own: public holidays change
by law every year (and differ by subdivision), and that package follows the changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

# A check-in day that is a holiday moves forward at most this far; a week with no working day is not prompted.
WEEK_DAYS = 7


def parse_calendar(code: str) -> tuple[str, str | None]:
    """'US-CA' -> ('US', 'CA'), 'gb' -> ('GB', None); ValueError naming the code when the package lacks it."""
    text = (code or "").strip().upper()
    country, _, subdiv = text.partition("-")
    supported = _calendars().list_supported_countries()
    if country not in supported:
        raise ValueError(f"{code!r} is not a holiday calendar: use a country code such as GB, US or DE, "
                         "optionally with a subdivision, e.g. US-CA")
    if subdiv and subdiv not in supported[country]:
        some = ", ".join(supported[country][:6])
        raise ValueError(f"{code!r} is not a holiday calendar: {country} has no subdivision {subdiv!r}"
                         + (f" (it has {some}, …)" if some else " (it has none)"))
    return country, subdiv or None


def normal_calendar(code: str) -> str:
    """The stored spelling of a calendar code: 'us-ca' -> 'US-CA'; ValueError as parse_calendar."""
    country, subdiv = parse_calendar(code)
    return f"{country}-{subdiv}" if subdiv else country


def _calendars():
    # Imported when a team first names a calendar: the package's country data is a few MB that a deployment without
    # holiday calendars never needs (bench/bench_memory.py).
    import holidays

    return holidays


@lru_cache(maxsize=256)
def _holidays_of(code: str, year: int) -> dict[date, str]:
    country, subdiv = parse_calendar(code)
    return dict(_calendars().country_holidays(country, subdiv=subdiv, years=year).items())


def holiday_name(day: date, codes: Iterable[str | None]) -> str | None:
    """The name of the public holiday on `day` in any of these calendars (None entries ignored), or None."""
    for code in sorted({c for c in codes if c}):
        try:
            name = _holidays_of(code, day.year).get(day)
        except ValueError:
            # A code stored before its calendar left the package: no holidays rather than no prompts.
            continue
        if name:
            return name
    return None


def is_working_day(day: date, codes: Iterable[str | None]) -> bool:
    """Monday to Friday and a public holiday in none of these calendars."""
    return day.weekday() < 5 and holiday_name(day, codes) is None


def next_working_day(day: date, codes: Iterable[str | None]) -> date:
    """`day` itself when it is a working day, else the first working day after it (weekends are skipped)."""
    codes = tuple(codes)
    while not is_working_day(day, codes):
        day += timedelta(days=1)
    return day


def moved_day(day: date, codes: Iterable[str | None]) -> date | None:
    """Where a weekly slot on `day` lands: `day` unless it is a holiday, else the next working day.

    None when that is a week or more away: the week holds no working day, so it is neither prompted nor missed.
    A slot set on a weekend stays there unless the weekend day is itself a holiday.
    """
    codes = tuple(codes)
    if holiday_name(day, codes) is None:
        return day
    moved = next_working_day(day, codes)
    return moved if (moved - day).days < WEEK_DAYS else None
