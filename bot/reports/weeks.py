"""Each KR's check-in weeks up to `now`, read from the prompts and check-ins recorded in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.rules.weeks import KRWeeks, weeks_of
from storage.prompts import checked_weeks, week_rows


def kr_weeks(kr_ids: Iterable[int], *, session: Session, now: datetime) -> dict[int, KRWeeks]:
    """The check-in weeks of these KRs up to `now`, in two queries; KRs never prompted are absent."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    return weeks_of(week_rows(ids, session=session, now=now), checked_weeks(ids, session=session, now=now))
