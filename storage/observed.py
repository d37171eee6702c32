"""Observed values: what the data said a KR's number was (pushed through the API or read from its source), kept
apart from check-ins.

Every value is a row of observed_values; the newest is also copied onto its KR (KeyResult.observed_*), so the
reports that load KRs show it without another query.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from storage.db import QUIET, chunked, flushed, workspace_of
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
    if row.read_slot is not None:
        return _record_read(row, session=session)
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
    _show_on_kr(row, session=session)
    return row


def _show_on_kr(row: ObservedValue, *, session: Session) -> None:
    # One conditional UPDATE, so that of two pushes racing for one KR the newer value wins whichever commits last.
    session.exec(sa.update(KeyResult)
                 .where(KeyResult.id == row.kr_id,
                        sa.or_(KeyResult.observed_at.is_(None), KeyResult.observed_at <= row.observed_at))
                 .values(observed_value=row.value, observed_at=row.observed_at, observed_origin=row.origin)
                 .execution_options(synchronize_session=False, **QUIET))


def _record_read(row: ObservedValue, *, session: Session) -> ObservedValue:
    stored = record_reads([row], session=session)
    if row.kr_id in stored:
        row.id = stored[row.kr_id]
        return row
    return session.exec(select(ObservedValue).where(ObservedValue.kr_id == row.kr_id,
                                                    ObservedValue.read_slot == row.read_slot)).one()


# Rows per INSERT: 500 rows of 11 columns stay far below both backends' bind-parameter limits.
READS_PER_INSERT = 500


def record_reads(rows: list[ObservedValue], *, session: Session) -> dict[int, int]:
    """Store values read from sources, each once per KR and read slot, and show each on its KR; returns the KRs whose
    value was stored now, with the new row's id (a slot stored already keeps its first value, and is left out).

    INSERT … ON CONFLICT DO NOTHING (both backends), not flush-and-roll-back: the job records many reads in one unit
    of work, and a slot another process stored a moment ago must not undo the others. A few statements for a
    thousand reads: one INSERT per READS_PER_INSERT rows and one executemany UPDATE.
    """
    if not rows:
        return {}
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    workspace = workspace_of(session)
    stored: dict[int, int] = {}
    for chunk in chunked(rows, READS_PER_INSERT):
        values = [row.model_dump(exclude={"id"}) | {"workspace_id": workspace} for row in chunk]
        result = session.execute(insert(ObservedValue).values(values)
                                 .on_conflict_do_nothing(index_elements=["kr_id", "read_slot"])
                                 .returning(ObservedValue.kr_id, ObservedValue.id).execution_options(**QUIET))
        stored.update((kr_id, row_id) for kr_id, row_id in result)
    shown = [{"kr": row.kr_id, "value": row.value, "at": row.observed_at, "origin": row.origin}
             for row in rows if row.kr_id in stored]
    if shown:
        # One executemany of _show_on_kr's conditional UPDATE. core_only skips the ORM's bulk-by-primary-key path,
        # and with it the session's workspace scoping: the workspace is in the WHERE clause instead.
        session.execute(sa.update(KeyResult)
                        .where(KeyResult.id == sa.bindparam("kr"), KeyResult.workspace_id == workspace,
                               sa.or_(KeyResult.observed_at.is_(None), KeyResult.observed_at <= sa.bindparam("at")))
                        .values(observed_value=sa.bindparam("value"), observed_at=sa.bindparam("at"),
                                observed_origin=sa.bindparam("origin")),
                        shown, execution_options={"dml_strategy": "core_only", **QUIET})
    return stored


def observed_history(kr_ids: Iterable[int], *, session: Session, limit: int = 20) -> list[ObservedValue]:
    """The newest observed values of these KRs, newest first."""
    ids = list(set(kr_ids))
    if not ids:
        return []
    return list(session.exec(select(ObservedValue).where(ObservedValue.kr_id.in_(ids))
                             .order_by(ObservedValue.observed_at.desc(), ObservedValue.id.desc()).limit(limit)))
