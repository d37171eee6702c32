"""Reading KRs' sources on schedule: which are due, the claim on them, and what a read leaves on the KR.

claim_reads commits: it is a commit point of the session rule (storage.db), because the sources are read over the
network after it, and no write transaction may stay open that long. The reads' results are written in the job's
own unit of work; each value goes through storage.observed.record_observed under its read slot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from storage.db import QUIET, chunked, workspace_of
from storage.models import Cycle, KeyResult, Objective, Person, Team

# A claim older than this was left by a process that died while reading; the next tick reads those sources again.
# Well above a tick's reads, which take about one read timeout.
CLAIM_LEASE = timedelta(minutes=10)
NOTE_CHARS = 200
# Sources read per tick at most; the rest are read a minute later. Even if every one of them hung, a tick (2,000 /
# 128 at a time x 10 s) would end well within CLAIM_LEASE.
READS_PER_TICK = 2_000


@dataclass(frozen=True)
class DueRead:
    """A KR whose source is due: what to read and what decides its next read (owner's zone, team's prompt slot)."""

    kr_id: int
    # The instant the read was due (models.READ_AT_ONCE: its source was just set).
    due_at: datetime
    ref: int | None
    owner_id: str
    source: object
    archived: bool
    cycle_end: date
    team_tz: str
    person_tz: str | None
    checkin_day: int
    checkin_time: str


def due_reads(*, now: datetime, session: Session, limit: int = READS_PER_TICK) -> list[DueRead]:
    """The KRs whose next read is at or before `now`, oldest first: one indexed query, empty when none are due."""
    rows = session.exec(
        select(KeyResult.id, KeyResult.source_next_read_at, KeyResult.ref, KeyResult.owner_id, KeyResult.source, KeyResult.archived_at, Cycle.end,
               Team.timezone, Person.tz, Team.checkin_day, Team.checkin_time)
        .join(Objective, Objective.id == KeyResult.objective_id)
        .join(Team, Team.id == Objective.team_id)
        .join(Cycle, Cycle.id == Objective.cycle_id)
        .join(Person, Person.user_id == KeyResult.owner_id, isouter=True)
        .where(KeyResult.source_next_read_at <= now)
        .order_by(KeyResult.source_next_read_at, KeyResult.id).limit(limit))
    return [DueRead(kr_id, due_at, ref, owner, source, archived is not None, end, team_tz, person_tz, day, at)
            for kr_id, due_at, ref, owner, source, archived, end, team_tz, person_tz, day, at in rows]


def claim_reads(kr_ids: list[int], *, now: datetime, session: Session) -> set[int]:
    """Take the KRs still due (no other process took them meanwhile) for CLAIM_LEASE, and commit; returns their ids.

    A compare-and-set on the next read's instant, so of two processes ticking at once each source is read by one.
    """
    claimed: set[int] = set()
    for chunk in chunked(sorted(set(kr_ids))):
        claimed.update(session.execute(
            sa.update(KeyResult).where(KeyResult.id.in_(chunk), KeyResult.source_next_read_at <= now)
            .values(source_next_read_at=now + CLAIM_LEASE).returning(KeyResult.id)
            .execution_options(synchronize_session=False, **QUIET)).scalars())
    session.commit()
    return claimed


def schedule_reads(plans: list[tuple[int, datetime | None, str | None]], *, session: Session) -> None:
    """For each (KR id, next read, failure note): set when its source is read next (None: never again until it is
    set anew) and its note (None: clear). One executemany UPDATE however many.

    For the sources job, which reads its next due instant after this: the write wakes no one (storage.db.QUIET).
    A read brought forward from elsewhere goes through the KR's source, which wakes the tick.
    """
    if not plans:
        return
    # core_only skips the ORM's bulk-by-primary-key path, and with it the session's workspace scoping: the
    # workspace is in the WHERE clause instead.
    session.execute(sa.update(KeyResult)
                    .where(KeyResult.id == sa.bindparam("kr"), KeyResult.workspace_id == workspace_of(session))
                    .values(source_next_read_at=sa.bindparam("next"), source_note=sa.bindparam("note")),
                    [{"kr": kr_id, "next": at, "note": _clipped(note)} for kr_id, at, note in plans],
                    execution_options={"dml_strategy": "core_only", **QUIET})


def schedule_read(kr_id: int, *, at: datetime | None, note: str | None, session: Session) -> None:
    """Set one KR's next read and failure note (see schedule_reads)."""
    schedule_reads([(kr_id, at, note)], session=session)


def _clipped(note: str | None) -> str | None:
    return note if note is None or len(note) <= NOTE_CHARS else note[:NOTE_CHARS - 1] + "…"


def next_read_due(*, session: Session) -> datetime | None:
    """The soonest next read of any source (the job's next due instant, storage.wake); None when none is scheduled."""
    return session.exec(select(sa.func.min(KeyResult.source_next_read_at))).one()
