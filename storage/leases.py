"""Tick leases: each workspace's scheduled tick is computed by one instance per minute, however many run.

A lease is one row per workspace (models.TickLease): who holds it, for which minute, until when. An instance claims
a workspace for minute M only when the row's minute is older than M and its lease has ended, either given back
(release, when the tick is done) or run out (its holder died, or stopped renewing). So one minute of one workspace
is computed once, and a holder killed mid fan-out is replaced on a later minute by whoever claims next; the outbox's
own claims (storage.outbox) then make sure the messages it was sending go out once.

Why a row with an expiry, claimed by one INSERT ... ON CONFLICT DO UPDATE ... WHERE, rather than a row lock held with
SELECT ... FOR UPDATE SKIP LOCKED or a job queue such as procrastinate: the claim is a single statement that both
PostgreSQL and SQLite run the same way (SQLite keeps working with this very code), no connection or transaction
stays open for the minutes a paced fan-out takes, `now` is a parameter so tests and benchmarks can move time, and
the scheduler keeps deriving its work from the database every minute instead of enqueueing jobs a queue would then
own. Each call commits: a claim must be durable before the work starts, like an outbox claim.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from storage.db import open_session
from storage.models import TickLease

# Long enough that a busy database or a slow Slack call never lets a live holder's lease run out between its
# renewals (every LEASE / 3), short enough that a dead holder's workspaces are taken over within two minutes.
LEASE = timedelta(seconds=90)


def instance_name() -> str:
    """This process's holder name: host, pid and a random suffix (a pid is reused after a restart)."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}:{secrets.token_hex(4)}"


def minute_of(instant: datetime) -> datetime:
    """The minute an instant falls in: the unit a workspace's tick is leased for."""
    return instant.replace(second=0, microsecond=0)


def claim(workspace: str, *, holder: str, now: datetime, engine: Engine, lease: timedelta = LEASE) -> bool:
    """Take `workspace` for the minute of `now` and commit; False when that minute was taken, or a lease runs."""
    minute = minute_of(now)
    values = {"workspace_id": workspace, "holder": holder, "minute": minute, "expires_at": now + lease}
    insert = (postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert)(TickLease).values(values)
    # On PostgreSQL the conflicting row is locked and the WHERE evaluated on its newest version, so of several
    # instances claiming at once exactly one updates it; SQLite has one writer at a time.
    stmt = insert.on_conflict_do_update(
        index_elements=[TickLease.workspace_id],
        set_={"holder": insert.excluded.holder, "minute": insert.excluded.minute,
              "expires_at": insert.excluded.expires_at},
        where=sa.and_(TickLease.minute < minute, TickLease.expires_at <= now),
    ).returning(TickLease.holder)
    with open_session(engine) as session:
        taken = session.execute(stmt).first() is not None
        session.commit()
    return taken


def renew(workspaces: Iterable[str], *, holder: str, now: datetime, engine: Engine,
          lease: timedelta = LEASE) -> set[str]:
    """Extend `holder`'s leases on these workspaces to now + lease, and commit; returns those it still holds.

    A lease that ran out and was claimed by another instance is not given back: its workspace is missing from the
    answer, and its tick should stop.
    """
    wanted = sorted(set(workspaces))
    if not wanted:
        return set()
    with open_session(engine) as session:
        kept = session.execute(
            sa.update(TickLease).where(TickLease.holder == holder, TickLease.workspace_id.in_(wanted))
            .values(expires_at=now + lease).returning(TickLease.workspace_id)
            .execution_options(synchronize_session=False)).scalars().all()
        session.commit()
    return set(kept)


def release(workspace: str, *, holder: str, now: datetime, engine: Engine) -> None:
    """End `holder`'s lease on `workspace` at `now`, and commit: its minute stays done, a later one is free."""
    with open_session(engine) as session:
        session.execute(sa.update(TickLease)
                        .where(TickLease.workspace_id == workspace, TickLease.holder == holder,
                               TickLease.expires_at > now)
                        .values(expires_at=now).execution_options(synchronize_session=False))
        session.commit()


def holders(*, engine: Engine) -> dict[str, tuple[str, datetime, datetime]]:
    """Every lease: workspace -> (holder, minute, expires_at), for tests, benchmarks and an operator's look."""
    with open_session(engine) as session:
        rows = session.execute(sa.select(TickLease.workspace_id, TickLease.holder, TickLease.minute,
                                         TickLease.expires_at)).all()
    return {row.workspace_id: (row.holder, row.minute, row.expires_at) for row in rows}
