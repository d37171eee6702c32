"""Observed values: what the data said a KR's number was (pushed through the API), kept apart from check-ins.

Every value is a row of observed_values; the newest is also copied onto its KR (KeyResult.observed_*), so the
reports that load KRs show it without another query.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import flushed
from storage.models import KeyResult, ObservedValue


def observed_by_key(token_id: int, key: str, *, session: Session) -> ObservedValue | None:
    """The value a token stored under an Idempotency-Key, if it did."""
    return session.exec(select(ObservedValue).where(ObservedValue.token_id == token_id,
                                                    ObservedValue.idempotency_key == key)).first()


def record_observed(row: ObservedValue, *, session: Session) -> ObservedValue:
    """Store a value once: under an Idempotency-Key already used by its token, the value stored first is returned.

    For a request that has written nothing else yet: a key taken a moment ago by a concurrent retry rolls this unit
    of work back (storage.db.flushed) and answers with that retry's row.
    """
    keyed = row.idempotency_key is not None and row.token_id is not None
    if keyed:
        first = observed_by_key(row.token_id, row.idempotency_key, session=session)
        if first is not None:
            return first
    session.add(row)
    if not flushed(session):
        first = observed_by_key(row.token_id, row.idempotency_key, session=session) if keyed else None
        if first is None:
            raise RuntimeError("an observed value could not be stored and no earlier one holds its key")
        return first
    # One conditional UPDATE, so that of two pushes racing for one KR the newer value wins whichever commits last.
    session.exec(sa.update(KeyResult)
                 .where(KeyResult.id == row.kr_id,
                        sa.or_(KeyResult.observed_at.is_(None), KeyResult.observed_at <= row.observed_at))
                 .values(observed_value=row.value, observed_at=row.observed_at, observed_origin=row.origin)
                 .execution_options(synchronize_session=False))
    return row


def observed_history(kr_ids: Iterable[int], *, session: Session, limit: int = 20) -> list[ObservedValue]:
    """The newest observed values of these KRs, newest first."""
    ids = list(set(kr_ids))
    if not ids:
        return []
    return list(session.exec(select(ObservedValue).where(ObservedValue.kr_id.in_(ids))
                             .order_by(ObservedValue.observed_at.desc(), ObservedValue.id.desc()).limit(limit)))
