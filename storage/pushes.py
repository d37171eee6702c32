"""The REST API's hot path: a pushed value checked and stored by a few prebuilt statements in one short transaction.

A push is okrbot's busiest write (a script may send hundreds at once). Through storage.observed and storage.okrs its
queries cost most of its 7.5 ms of CPU: each built its statement anew and loaded whole entities (an ObservedValue,
a KR with its objective, team and cycle) through the unit of work. These statements are built once, select only the
columns an answer needs and write without the unit of work (bench/bench_api.py). The semantics are
storage.observed.record_observed's and storage.okrs.live_krs_named's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.db import QUIET, workspace_of
from storage.models import ApiToken, Cycle, KeyResult, Objective, ObservedValue
from storage.tokens import TOUCH_EVERY


@dataclass(frozen=True)
class PushedKR:
    """What a push's answer needs of its KR."""

    id: int
    ref: int
    baseline: float
    target: float


@dataclass(frozen=True)
class Stored:
    """A stored value (or the one a retry's Idempotency-Key stored first) and its KR."""

    kr: PushedKR
    value: float
    recorded_at: datetime


# Built once, with bound parameters: building a statement and computing its cache key cost more than running it.
# ORM-enabled, so the session scopes each one to its workspace like every other query (storage.db).
# By id and hash: SQLite may give a revoked token's id to the next token created.
_TOKEN_USED = sa.select(ApiToken.last_used_at).where(ApiToken.id == sa.bindparam("token_id"),
                                                     ApiToken.token_hash == sa.bindparam("digest"))
_TOUCH = (sa.update(ApiToken).where(ApiToken.id == sa.bindparam("token_id"))
          .values(last_used_at=sa.bindparam("now")).execution_options(synchronize_session=False))
_LIVE_KRS = (sa.select(KeyResult.id, KeyResult.ref, KeyResult.baseline, KeyResult.target)
             .join(Objective, KeyResult.objective_id == Objective.id)
             .join(Cycle, Objective.cycle_id == Cycle.id)
             .where(KeyResult.archived_at.is_(None), Objective.archived_at.is_(None)))
_KR_NUMBERED = _LIVE_KRS.where(KeyResult.ref == sa.bindparam("number")).order_by(KeyResult.ref)
_KR_KEYED = (_LIVE_KRS.where(KeyResult.key == sa.bindparam("key"), Cycle.end >= sa.bindparam("first_day"))
             .order_by(KeyResult.ref))
_KR_BY_ID = (sa.select(KeyResult.id, KeyResult.ref, KeyResult.baseline, KeyResult.target)
             .where(KeyResult.id == sa.bindparam("kr_id")))
_BY_KEY = (sa.select(ObservedValue.kr_id, ObservedValue.value, ObservedValue.recorded_at)
           .where(ObservedValue.token_id == sa.bindparam("token_id"),
                  ObservedValue.idempotency_key == sa.bindparam("key")))
_INSERT = sa.insert(ObservedValue).execution_options(**QUIET)
# One conditional UPDATE, so that of two pushes racing for one KR the newer value wins whichever commits last.
_NEWEST = (sa.update(KeyResult)
           .where(KeyResult.id == sa.bindparam("kr_id"),
                  sa.or_(KeyResult.observed_at.is_(None), KeyResult.observed_at <= sa.bindparam("at")))
           .values(observed_value=sa.bindparam("value"), observed_at=sa.bindparam("at"),
                   observed_origin=sa.bindparam("origin"))
           .execution_options(synchronize_session=False, **QUIET))


def token_alive(token_id: int, digest: str, *, session: Session, now: datetime) -> bool:
    """Whether the token of this id and hash still exists (revocation deletes it), noting its use at most once a
    minute."""
    row = session.execute(_TOKEN_USED, {"token_id": token_id, "digest": digest}).first()
    if row is None:
        return False
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        session.execute(_TOUCH, {"token_id": token_id, "now": now})
    return True


def krs_named(number: int | None, key: str, *, session: Session, first_day: date) -> list[PushedKR]:
    """storage.okrs.live_krs_named, by reference, reading only what a push needs."""
    if number is not None:
        rows = session.execute(_KR_NUMBERED, {"number": number})
    else:
        rows = session.execute(_KR_KEYED, {"key": key, "first_day": first_day})
    return [PushedKR(*row) for row in rows]


def _kr_by_id(kr_id: int, session: Session) -> PushedKR:
    return PushedKR(*session.execute(_KR_BY_ID, {"kr_id": kr_id}).one())


def _by_key(token_id: int, key: str, session: Session):
    return session.execute(_BY_KEY, {"token_id": token_id, "key": key}).first()


def push_value(kr: PushedKR, *, value: float, observed_at: datetime, recorded_at: datetime, origin: str, note: str,
               token_id: int, idempotency_key: str | None, session: Session) -> Stored:
    """Store a value once per Idempotency-Key of its token (a retry gets the first one back) and make it the KR's
    newest if it is; for a request that has written nothing else yet (a lost race for the key rolls back)."""
    if idempotency_key is not None:
        first = _by_key(token_id, idempotency_key, session)
        if first is not None:
            return _earlier(first, kr, session)
    try:
        session.execute(_INSERT, {"workspace_id": workspace_of(session), "kr_id": kr.id, "value": value,
                                  "observed_at": observed_at, "recorded_at": recorded_at, "origin": origin,
                                  "note": note, "token_id": token_id, "idempotency_key": idempotency_key})
    except sa.exc.IntegrityError:
        # A concurrent retry took the key a moment ago (storage.db.flushed's rule: roll back, answer with its row).
        session.rollback()
        first = _by_key(token_id, idempotency_key, session) if idempotency_key is not None else None
        if first is None:
            raise
        return _earlier(first, kr, session)
    session.execute(_NEWEST, {"kr_id": kr.id, "at": observed_at, "value": value, "origin": origin})
    return Stored(kr, value, recorded_at)


def _earlier(first, kr: PushedKR, session: Session) -> Stored:
    return Stored(kr if first.kr_id == kr.id else _kr_by_id(first.kr_id, session), first.value, first.recorded_at)
