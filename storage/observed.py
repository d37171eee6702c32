"""Observed values: what the data said a KR's number was (pushed through the API), kept apart from check-ins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import flushed
from storage.models import ObservedValue

_NEWEST_FIRST = (ObservedValue.observed_at.desc(), ObservedValue.id.desc())


def observed_by_key(token_id: int, key: str, *, session: Session) -> ObservedValue | None:
    """The value a token stored under an Idempotency-Key, if it did."""
    return session.exec(select(ObservedValue).where(ObservedValue.token_id == token_id,
                                                    ObservedValue.idempotency_key == key)).first()


def record_observed(row: ObservedValue, *, session: Session) -> ObservedValue:
    """Store a value once: under an Idempotency-Key already used by its token, the value stored first is returned.

    For a request that has written nothing else yet: a key taken a moment ago by a concurrent retry rolls this unit
    of work back (storage.db.flushed) and answers with that retry's row.
    """
    if row.idempotency_key is not None and row.token_id is not None:
        first = observed_by_key(row.token_id, row.idempotency_key, session=session)
        if first is not None:
            return first
    session.add(row)
    if flushed(session):
        return row
    first = observed_by_key(row.token_id, row.idempotency_key, session=session)
    if first is None:
        raise RuntimeError("an observed value could not be stored and no earlier one holds its key")
    return first


def latest_observed(kr_ids: Iterable[int], *, session: Session, now: datetime | None = None
                    ) -> dict[int, ObservedValue]:
    """The newest observed value of each of these KRs (at or before `now` when given), in one query."""
    ids = list(set(kr_ids))
    if not ids:
        return {}
    ranked = (select(ObservedValue.id,
                     sa.func.row_number().over(partition_by=ObservedValue.kr_id, order_by=_NEWEST_FIRST).label("rn"))
              .where(ObservedValue.kr_id.in_(ids)))
    if now is not None:
        ranked = ranked.where(ObservedValue.observed_at <= now)
    ranked = ranked.subquery()
    rows = session.exec(select(ObservedValue).join(ranked, ranked.c.id == ObservedValue.id).where(ranked.c.rn == 1))
    return {row.kr_id: row for row in rows}
