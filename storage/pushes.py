"""The REST API's hot path: a pushed value checked and stored with a few core statements in one short transaction.

A push is okrbot's busiest write (a script may send hundreds at once). Through the ORM its five queries cost most of
its 7.5 ms of CPU (building, scoping and loading entities is ~0.4 ms a statement); these core statements on the
session's connection cost a fraction of that (bench/bench_api.py). The session's automatic workspace scoping covers
ORM entities only, so every statement here names the workspace itself; tests/web/test_api.py checks that another
workspace's token can neither read nor write a KR. The semantics are storage.observed.record_observed's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.db import workspace_of
from storage.models import ApiToken, Cycle, KeyResult, Objective, ObservedValue
from storage.tokens import TOUCH_EVERY

_KR, _OBJ, _CYCLE = KeyResult.__table__.c, Objective.__table__.c, Cycle.__table__.c
_OBS, _TOKENS = ObservedValue.__table__.c, ApiToken.__table__.c


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
_TOKEN_USED = sa.select(_TOKENS.last_used_at).where(_TOKENS.id == sa.bindparam("token_id"))
_TOUCH = sa.update(ApiToken.__table__).where(_TOKENS.id == sa.bindparam("token_id")).values(
    last_used_at=sa.bindparam("now"))
_LIVE_KRS = (sa.select(_KR.id, _KR.ref, _KR.baseline, _KR.target)
             .join(Objective.__table__, _KR.objective_id == _OBJ.id)
             .join(Cycle.__table__, _OBJ.cycle_id == _CYCLE.id)
             .where(_KR.workspace_id == sa.bindparam("workspace"), _OBJ.workspace_id == sa.bindparam("workspace"),
                    _CYCLE.workspace_id == sa.bindparam("workspace"),
                    _KR.archived_at.is_(None), _OBJ.archived_at.is_(None)))
_KR_NUMBERED = _LIVE_KRS.where(_KR.ref == sa.bindparam("number")).order_by(_KR.ref)
_KR_KEYED = _LIVE_KRS.where(_KR.key == sa.bindparam("key"), _CYCLE.end >= sa.bindparam("first_day")).order_by(_KR.ref)
_KR_BY_ID = (sa.select(_KR.id, _KR.ref, _KR.baseline, _KR.target)
             .where(_KR.id == sa.bindparam("kr_id"), _KR.workspace_id == sa.bindparam("workspace")))
_BY_KEY = (sa.select(_OBS.kr_id, _OBS.value, _OBS.recorded_at)
           .where(_OBS.token_id == sa.bindparam("token_id"), _OBS.idempotency_key == sa.bindparam("key"),
                  _OBS.workspace_id == sa.bindparam("workspace")))
_INSERT = sa.insert(ObservedValue.__table__)
# One conditional UPDATE, so that of two pushes racing for one KR the newer value wins whichever commits last.
_NEWEST = (sa.update(KeyResult.__table__)
           .where(_KR.id == sa.bindparam("kr_id"), _KR.workspace_id == sa.bindparam("workspace"),
                  sa.or_(_KR.observed_at.is_(None), _KR.observed_at <= sa.bindparam("at", type_=_KR.observed_at.type)))
           .values(observed_value=sa.bindparam("value"), observed_at=sa.bindparam("at"),
                   observed_origin=sa.bindparam("origin")))


def token_alive(token_id: int, *, session: Session, now: datetime) -> bool:
    """Whether the token still exists (revocation deletes it), noting its use at most once a minute."""
    conn = session.connection()
    row = conn.execute(_TOKEN_USED, {"token_id": token_id}).first()
    if row is None:
        return False
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        conn.execute(_TOUCH, {"token_id": token_id, "now": now})
    return True


def krs_named(number: int | None, key: str, *, session: Session, first_day: date) -> list[PushedKR]:
    """storage.okrs.live_krs_named for the session's workspace, by reference, reading only what a push needs."""
    workspace = workspace_of(session)
    if number is not None:
        rows = session.connection().execute(_KR_NUMBERED, {"workspace": workspace, "number": number})
    else:
        rows = session.connection().execute(_KR_KEYED, {"workspace": workspace, "key": key, "first_day": first_day})
    return [PushedKR(*row) for row in rows]


def _kr_by_id(kr_id: int, workspace: str, conn) -> PushedKR:
    return PushedKR(*conn.execute(_KR_BY_ID, {"kr_id": kr_id, "workspace": workspace}).one())


def _by_key(token_id: int, key: str, workspace: str, conn):
    return conn.execute(_BY_KEY, {"token_id": token_id, "key": key, "workspace": workspace}).first()


def push_value(kr: PushedKR, *, value: float, observed_at: datetime, recorded_at: datetime, origin: str, note: str,
               token_id: int, idempotency_key: str | None, session: Session) -> Stored:
    """Store a value once per Idempotency-Key of its token (a retry gets the first one back) and make it the KR's
    newest if it is; for a request that has written nothing else yet (a lost race for the key rolls back)."""
    workspace, conn = workspace_of(session), session.connection()
    if idempotency_key is not None:
        first = _by_key(token_id, idempotency_key, workspace, conn)
        if first is not None:
            return _earlier(first, kr, workspace, conn)
    try:
        conn.execute(_INSERT, {"workspace_id": workspace, "kr_id": kr.id, "value": value, "observed_at": observed_at,
                               "recorded_at": recorded_at, "origin": origin, "note": note, "token_id": token_id,
                               "idempotency_key": idempotency_key})
    except sa.exc.IntegrityError:
        # A concurrent retry took the key a moment ago (storage.db.flushed's rule: roll back, answer with its row).
        session.rollback()
        conn = session.connection()
        first = _by_key(token_id, idempotency_key, workspace, conn) if idempotency_key is not None else None
        if first is None:
            raise
        return _earlier(first, kr, workspace, conn)
    conn.execute(_NEWEST, {"kr_id": kr.id, "workspace": workspace, "at": observed_at, "value": value,
                           "origin": origin})
    return Stored(kr, value, recorded_at)


def _earlier(first, kr: PushedKR, workspace: str, conn) -> Stored:
    return Stored(kr if first.kr_id == kr.id else _kr_by_id(first.kr_id, workspace, conn), first.value,
                  first.recorded_at)
