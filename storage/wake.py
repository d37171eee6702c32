"""Each workspace's next wake-up (models.Wake), so that a minute with nothing due reads one row and stops.

Design: rather than a next-due column per owner-slot, reminder, nudge and digest (each kept right by every input
that moves it: zones, schedules, holidays, away weeks, check-ins, the outbox...), each job tells its tick the
earliest instant at which time alone can give it work ("nothing before T"), the tick stores the minimum, and ANY
write to okrbot's tables in the workspace resets it to "now". An input nobody thought of cannot be forgotten this
way: every flush of a scoped table and every ORM INSERT, UPDATE or DELETE counts, whichever code path made it (the
listeners are in storage.db; the outbox is the one exception, read here instead, see shared_wake). The price is one
extra full computation after each write, which is what a write needs anyway.

Except for the writes a busy workspace makes every minute, which would otherwise compute it in full every minute
(22 s of CPU at 100,000 owners): a check-in only counts in the row's `checkins`, and a tick that finds nothing else
due runs CHECKIN_JOBS alone (finish_checkins), since a check-in can only take work away from the other jobs; and a
person's Slack status, DM channel or zone-fetch time, a KR's observed value, or the sources job's own schedule
wakes nothing (the lists are in storage.db: _QUIET_PERSON, QUIET).

The protocol: a tick reads the row (begin), runs its jobs when due, and stores min(T) only if the row's generation
did not move meanwhile (finish); a session's commit bumps the generation when it wrote anything. The scheduler's
own sessions do not bump it per message (a fan-out would pay one UPDATE per message): the tick counts their writes
and, when there were any, bumps it once at the end, so the next minute computes again and settles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from storage.db import session_scope
from storage.models import SINGLE_WORKSPACE, CheckIn, Cycle, Delivery, Prompt, Wake
from storage.outbox import CLAIM_LEASE

# Holiday calendars come from a package and code changes with a deploy: a process recomputes every workspace
# once before trusting a wake_at that another version of okrbot stored.
_checked: set[str] = set()


# The jobs a check-in can give work (storage.db: a check-in wakes only these, not the whole workspace).
CHECKIN_JOBS = frozenset({"alerts"})


@dataclass
class TickWake:
    """What a tick of one workspace knows of its wake row: the generation it started from, whether it wrote, the
    check-ins counted when it began, and the jobs it runs (None: every one; CHECKIN_JOBS after check-ins only)."""

    workspace: str
    generation: int
    wrote: bool = False
    checkins: int = 0
    only: frozenset[str] | None = None


def begin(engine: Engine, workspace: str, *, now: datetime) -> tuple[bool, TickWake]:
    """Whether the workspace may have work at `now` (its wake_at passed, was reset, or was computed for a later
    `now` or by another process), and the state its tick carries; one query when it has none."""
    with session_scope(engine, workspace) as session:
        row = session.execute(sa.select(Wake.wake_at, Wake.computed_at, Wake.generation, Wake.checkins,
                                        Wake.checkins_seen).where(Wake.workspace_id == workspace)).first()
    if row is None:
        try:
            with session_scope(engine, workspace) as session:
                session.execute(sa.insert(Wake).values(workspace_id=workspace, generation=0))
        except sa.exc.IntegrityError:
            # Another process made the row a moment ago; its generation may have moved, so compute in full.
            return True, TickWake(workspace, -1)
        return True, TickWake(workspace, 0)
    wake_at, computed_at, generation, checkins, seen = row
    due = (workspace not in _checked or wake_at is None or computed_at is None or now < computed_at
           or now >= wake_at)
    if not due and checkins != seen:
        return True, TickWake(workspace, generation, checkins=checkins, only=CHECKIN_JOBS)
    return due, TickWake(workspace, generation, checkins=checkins)


def finish(engine: Engine, tick: TickWake, *, now: datetime, wake_at: datetime | None) -> None:
    """Store when the workspace next has work (None: at once), unless something was written since begin().

    The check-ins counted at begin() count as seen: check-ins since then make the alerts job due again.
    """
    _checked.add(tick.workspace)
    seen = {"checkins_seen": tick.checkins}
    if tick.wrote or wake_at is None:
        values = {"wake_at": None, "computed_at": now, **seen}
        if tick.wrote:
            values["generation"] = Wake.generation + 1
        stmt = sa.update(Wake).where(Wake.workspace_id == tick.workspace).values(**values)
    else:
        stmt = (sa.update(Wake).where(Wake.workspace_id == tick.workspace, Wake.generation == tick.generation)
                .values(wake_at=wake_at, computed_at=now, **seen))
    with session_scope(engine, tick.workspace) as session:
        session.execute(stmt.execution_options(synchronize_session=False))


def finish_checkins(engine: Engine, tick: TickWake, *, now: datetime, settled: bool) -> None:
    """After a tick that ran only CHECKIN_JOBS: the check-ins counted at begin() are seen when those jobs settled
    everything (nothing failed), and the workspace wakes no later than the outbox's next try or lease (shared_wake),
    or at once if the tick wrote."""
    with session_scope(engine, tick.workspace) as session:
        if tick.wrote:
            values = {"wake_at": None, "generation": Wake.generation + 1}
        else:
            soonest = shared_wake(session=session, now=now)
            values = {"wake_at": sa.case((Wake.wake_at.is_(None), None), (Wake.wake_at <= soonest, Wake.wake_at),
                                         else_=soonest)} if soonest is not None else {}
        if settled:
            values["checkins_seen"] = sa.case((Wake.checkins_seen < tick.checkins, tick.checkins),
                                              else_=Wake.checkins_seen)
        if values:
            session.execute(sa.update(Wake).where(Wake.workspace_id == tick.workspace).values(**values)
                            .execution_options(synchronize_session=False))


def sleeping(engine: Engine, *, now: datetime) -> set[str]:
    """The workspaces with nothing to do at `now`, in one indexed query (the others are due)."""
    with session_scope(engine, SINGLE_WORKSPACE) as session:
        found = session.execute(sa.select(Wake.workspace_id).where(Wake.wake_at > now, Wake.computed_at <= now,
                                                                    Wake.checkins == Wake.checkins_seen))
        return {w for w in found.scalars() if w in _checked}


def due_workspaces(workspaces: Iterable[str], *, engine: Engine, now: datetime) -> set[str]:
    """Which of these workspaces may have work at `now` (see sleeping)."""
    asleep = sleeping(engine, now=now)
    return {w for w in workspaces if w not in asleep}


def shared_wake(*, session: Session, now: datetime) -> datetime | None:
    """The soonest instant after `now` at which the outbox or the calendar of cycles makes work for any job.

    A held message's next try, a claim left by a process that died (its lease runs out), a check-in or prompt dated
    after `now`, and the first UTC midnights at which a cycle that has not started comes into the jobs' windows
    (bot.rules.schedule.days_around). None: none.
    """
    held, claimed = session.exec(select(
        sa.func.min(sa.case((Delivery.next_try_at > now, Delivery.next_try_at))),
        sa.func.min(sa.case((Delivery.claimed_at > now - CLAIM_LEASE, Delivery.claimed_at))))
        .where(Delivery.sent_at.is_(None),
               sa.or_(Delivery.next_try_at > now, Delivery.claimed_at > now - CLAIM_LEASE))
    ).one()
    # Rows dated after `now` (a check-in typed while this tick waited for its turn) count from their own instant.
    later_checkin = session.exec(select(sa.func.min(CheckIn.created_at)).where(CheckIn.created_at > now)).one()
    later_prompt = session.exec(select(sa.func.min(Prompt.due_at)).where(Prompt.due_at > now)).one()
    starts = session.exec(select(Cycle.start).where(Cycle.start >= now.date()).distinct()
                          .order_by(Cycle.start).limit(2)).all()
    candidates = [held, claimed + CLAIM_LEASE if claimed is not None else None, later_checkin, later_prompt]
    candidates += [_midnight(day - timedelta(days=d)) for day in starts for d in (1, 0)]
    return min((c for c in candidates if c is not None and c > now), default=None)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)
