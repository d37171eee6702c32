"""Each KR's check-in weeks up to `now`, read from the prompts and check-ins recorded in the database."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from bot.rules.weeks import KRWeeks, weeks_of
from storage.prompts import week_rows


def kr_weeks(kr_ids: Iterable[int], *, session: Session, now: datetime) -> dict[int, KRWeeks]:
    """The check-in weeks of these KRs up to `now`, in one query; KRs never prompted are absent."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    rows = week_rows(ids, session=session, now=now)
    checked = {(kr_id, prompt_id) for kr_id, prompt_id, *_, done in rows if done}
    return weeks_of([row[:6] for row in rows], checked)
