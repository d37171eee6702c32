"""Queries about absences (/okr away): who is away on which days."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import chunked
from storage.models import Absence


def stretches_of(user_ids: Iterable[str], *, session: Session, first_day: date
                 ) -> dict[str, list[tuple[date, date | None]]]:
    """Each user's (start, until) stretches that have not ended before `first_day`, in bounded queries."""
    found: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    for chunk in chunked(sorted(set(user_ids))):
        stmt = (select(Absence.user_id, Absence.start, Absence.until)
                .where(Absence.user_id.in_(chunk), sa.or_(Absence.until.is_(None), Absence.until >= first_day)))
        for user_id, start, until in session.exec(stmt):
            found[user_id].append((start, until))
    return dict(found)


def set_away(user_id: str, start: date, until: date | None, *, set_by: str, session: Session,
             now: datetime) -> None:
    """Record that the user is away from `start` to `until` (None: until they are back), replacing what overlaps."""
    end_before(user_id, start, session=session)
    session.add(Absence(user_id=user_id, start=start, until=until, set_by=set_by, created_at=now))


def end_before(user_id: str, day: date, *, session: Session) -> bool:
    """End the user's absences at the day before `day` (dropping those that start later); True if any changed."""
    rows = session.exec(select(Absence).where(Absence.user_id == user_id,
                                              sa.or_(Absence.until.is_(None), Absence.until >= day))).all()
    for row in rows:
        if row.start >= day:
            session.delete(row)
        else:
            row.until = day - timedelta(days=1)
            session.add(row)
    return bool(rows)
