"""Engine, session scope and schema migrations, and the one rule for who commits.

The session rule: a Slack request or a job gets one session, from session_scope, which commits when its block
ends and rolls back when it raises. Code in bot/ never calls commit() or rollback() itself. Inside a scope only
storage commits early, and only where a record must be durable before okrbot talks to Slack or while other
processes race for the same row: storage.outbox (each message's claim before it is sent, its mark or release
after), storage.prompts.open_week (one row per owner and week, however many ticks race) and storage.problems
(a problem recorded right after its message was given back, or resolved with its held messages released) and
storage.reads.claim_reads (the sources due, claimed before they are read over the network). Two helpers here roll
back: `flushed` (a unique key says the row exists already) and `recover` (a job's message failed; the next one
starts clean, and what was committed before stays). Outside any scope, storage.leases claims, renews and gives back
a workspace's tick lease in a short session of its own, each committed at once, as instances race for the row.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import orm
from sqlalchemy.engine import Engine
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE
from sqlmodel import Session

from storage.models import (READ_AT_ONCE, SCOPED_TABLES, SINGLE_WORKSPACE, CheckIn, Delivery, KeyResult,
                            ObservedValue, Person, Wake, Workspace)

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseError(RuntimeError):
    """The database cannot be reached or prepared; the message is meant for a person."""


def make_engine(url: str, **kwargs) -> Engine:
    """Build an engine with the settings okrbot relies on for each backend."""
    sa_url = sa.make_url(url)
    if sa_url.get_backend_name() == "sqlite":
        kwargs.setdefault("connect_args", {}).update({"timeout": 30, "check_same_thread": False})
        engine = sa.create_engine(sa_url, **kwargs)

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets the scheduler write while requests read; foreign keys are off by default in SQLite.
            if sa_url.database not in (None, "", ":memory:"):
                cur.execute("PRAGMA journal_mode=WAL")
                # In WAL mode NORMAL syncs at checkpoints, not on every commit: a crash of okrbot loses nothing, a
                # power cut may lose the last commits, and a commit no longer waits for an fsync with the write lock
                # held (that wait serialised bursts of API pushes: bench/bench_api.py).
                cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(sa_url, **kwargs)


# Bound IN lists well below the bind-parameter limits (SQLite 3.32+: 32,766; PostgreSQL: 65,535), so a query over
# a few thousand keys stays one statement.
CHUNK = 5000


def chunked(values: list, size: int = CHUNK) -> Iterator[list]:
    """Slices of at most `size` values, for IN clauses over many ids."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


class UnscopedSession(RuntimeError):
    """A session without a workspace touched okrbot's tables: a bug that could leak one workspace's data."""


_SCOPED = frozenset(SCOPED_TABLES)


def workspace_of(session: Session) -> str:
    """The workspace every query in this session is scoped to."""
    workspace = session.info.get("workspace")
    if workspace is None:
        raise UnscopedSession("this session has no workspace: open it with storage.db.open_session")
    return workspace


def open_session(engine: Engine, workspace: str = SINGLE_WORKSPACE) -> Session:
    """A session whose every read, update, delete and insert is confined to one workspace."""
    if not isinstance(workspace, str):
        raise TypeError("workspace must be a string (a Slack team or enterprise id, or '')")
    return Session(engine, expire_on_commit=False, info={"workspace": workspace})


@sa.event.listens_for(Session, "do_orm_execute")
def _scope_statement(state: orm.ORMExecuteState) -> None:
    # Applied to every ORM statement, joins and subqueries included, so no query can forget its workspace.
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if not state.is_select and state.bind_mapper.class_ not in _SCOPED:
        return
    # Every table, not only the statement's own entities: a table that appears only in a subquery counts too, in an
    # UPDATE's or DELETE's WHERE and SET as much as in a SELECT (else UPDATE … SET x = (SELECT …) reads any workspace).
    criteria = _criteria(workspace_of(state.session))
    state.statement = state.statement.options(*(criteria[cls] for cls in SCOPED_TABLES))


@functools.lru_cache(maxsize=4096)
def _criteria(workspace: str) -> dict[type, orm.LoaderCriteriaOption]:
    # Built once per workspace: constructing these options costs more than the queries they scope.
    return {cls: orm.with_loader_criteria(cls, lambda c: c.workspace_id == workspace, include_aliases=True)
            for cls in SCOPED_TABLES}


@functools.lru_cache(maxsize=4096)
def _scoped(statement: sa.Select, workspace: str) -> sa.Select:
    # Plain expressions rather than _criteria's lambdas: the ORM runs a lambda again on every execution to read its
    # workspace, while this statement's workspace is bound once.
    return statement.options(*(orm.with_loader_criteria(cls, cls.workspace_id == workspace, include_aliases=True)
                               for cls in SCOPED_TABLES))


def read_rows(statement: sa.Select, params: dict, *, session: Session) -> sa.CursorResult:
    """The plain rows of a statement built once at import (bind parameters for what varies), scoped to the session's
    workspace with the same criteria as every ORM query, for the hot read paths (/okr status, digests).

    The session's ORM execution costs four times the query itself on SQLite (events, re-scoping and a fresh cache
    key per call, result set-up): here the scoped statement is built once per statement and workspace, and runs
    on the session's connection (after the autoflush the ORM would have done).
    """
    scoped = _scoped(statement, workspace_of(session))
    if session.autoflush:
        session.flush()
    return session.connection().execute(scoped, params)


@sa.event.listens_for(Session, "before_flush")
def _stamp_workspace(session: Session, _context, _instances) -> None:
    # New rows take the session's workspace; a row of another workspace can never be written through it.
    pending = [obj for obj in (*session.new, *session.dirty) if type(obj) in _SCOPED]
    if not pending:
        return
    workspace = workspace_of(session)
    for obj in pending:
        if obj in session.new and obj.workspace_id in (SINGLE_WORKSPACE, workspace):
            obj.workspace_id = workspace
        elif obj.workspace_id != workspace:
            raise UnscopedSession(f"a {type(obj).__name__} of another workspace cannot be written in this session")
    _number_key_results(session, [obj for obj in session.new if type(obj) is KeyResult and obj.ref is None])


def _number_key_results(session: Session, new: list) -> None:
    # Every path that creates a KR (import, /okr new, tests) gets its KR-<n> here, so none can forget it. Numbers
    # follow the workspace's highest, archived KRs included, so a reference is never handed out twice; two sessions
    # numbering at once collide on uq_key_results_ref_workspace and one fails as any unique-key race does.
    if not new:
        return
    with session.no_autoflush:
        highest = session.execute(sa.select(sa.func.max(KeyResult.ref))).scalar() or 0
    for number, kr in enumerate(new, start=highest + 1):
        kr.ref = number


# --- the wake bookkeeping (storage.wake): every session's writes wake its workspace's tick -----------------------
# Here, not in storage.wake, so that they listen wherever sessions are (a Slack request's write must wake the tick
# of another process), not only where the scheduler runs.

# What the jobs read: every scoped table, and the workspace's stop (a reinstall resumes it). Not the outbox: its
# rows that can make work later (a claim in flight, a message held until its next try) are read by shared_wake
# on every computation, and a message is always planned after a write that woke the tick already; so a send
# outside the tick (the check-in listener's alerts) costs no extra statement.
_INPUTS = (frozenset(SCOPED_TABLES) - {Delivery}) | {Workspace}


# Writes that can only take work away from the jobs, or postpone it, apart from one: a check-in ends a week's
# reason for a reminder or a nudge, and the only work it makes is a confidence alert, which the alerts job alone
# plans (storage.wake.CHECKIN_JOBS). At scale check-ins come every minute of the working day, and waking every job
# for each would compute the whole workspace every minute.
_CHECKIN_WRITES = frozenset({CheckIn})
# And a person's Slack status, DM channel and zone-fetch time: a status is read only when a week's prompt is first
# opened, at its slot, and a fetch only moves the next refresh later. A zone, a deactivation or an admin flag wakes.
_QUIET_PERSON = frozenset({"status_text", "status_emoji", "status_expiration", "status_fetched_at", "tz_fetched_at",
                           "dm_channel"})


# A write of a KR's observed value (an API push, a source read) and of the sources job's own schedule gives no job
# work: values are shown when a message is built, and the sources job reads its next due instant after writing it.
# At scale they come every minute, so their statements carry QUIET and wake no one; new ObservedValue rows likewise.
QUIET = {"okrbot_quiet": True}
_QUIET_ROWS = frozenset({ObservedValue})


def _mark(session: Session, what: str = "wake_dirty") -> None:
    if session.info.get("workspace") is not None:
        session.info[what] = True


def _quiet_change(obj) -> bool:
    if type(obj) is not Person:
        return False
    changed = {attr.key for attr in sa.inspect(obj).attrs if attr.history.has_changes()}
    return changed <= _QUIET_PERSON


@sa.event.listens_for(Session, "before_flush")
def _note_writes(session: Session, _context, _instances) -> None:
    written = [o for o in session.new if type(o) in _INPUTS and type(o) not in _QUIET_ROWS]
    written += [o for o in session.deleted if type(o) in _INPUTS]
    written += [o for o in session.dirty if type(o) in _INPUTS and session.is_modified(o) and not _quiet_change(o)]
    if any(type(o) not in _CHECKIN_WRITES or o in session.deleted for o in written):
        _mark(session)
    elif written:
        _mark(session, "wake_checkins")


@sa.event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state: orm.ORMExecuteState) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in _INPUTS and not state.execution_options.get("okrbot_quiet"):
        _mark(state.session)


@sa.event.listens_for(Session, "before_commit")
def _reset_wake(session: Session) -> None:
    workspace = session.info.get("workspace")
    if workspace is None:
        return
    # Flush here: commit flushes only after this hook, and a write seen only then would not wake anyone.
    session.flush()
    dirty = session.info.pop("wake_dirty", False)
    checkins = session.info.pop("wake_checkins", False)
    if not (dirty or checkins):
        return
    tick = session.info.get("wake_tick")
    if tick is not None:
        tick.wrote = True
        return
    values = {"wake_at": None, "generation": Wake.generation + 1} if dirty else {"checkins": Wake.checkins + 1}
    session.execute(sa.update(Wake).where(Wake.workspace_id == workspace).values(**values)
                    .execution_options(synchronize_session=False))


@sa.event.listens_for(Session, "after_rollback")
def _forget_writes(session: Session) -> None:
    session.info.pop("wake_dirty", None)
    session.info.pop("wake_checkins", None)


@contextmanager
def session_scope(engine: Engine, workspace: str = SINGLE_WORKSPACE) -> Iterator[Session]:
    """One unit of work in one workspace: commit on success, roll back on any error."""
    session = open_session(engine, workspace)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def flushed(session: Session) -> bool:
    """Flush pending writes; on a unique-key conflict roll the unit of work back and return False.

    For a request that wrote nothing else yet (creating a team, a lead, a cycle, an objective, a check-in): a
    False means someone else created the same row a moment ago, and the answer says so.
    """
    try:
        session.flush()
    except sa.exc.IntegrityError:
        session.rollback()
        return False
    return True


def recover(session: Session) -> None:
    """After one unit of a job failed, roll back what it left pending so the next unit starts clean."""
    session.rollback()


@contextmanager
def count_statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the block runs (query budgets in tests and benchmarks)."""
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _alembic_config(connection):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def slack_tables() -> sa.MetaData:
    """The tables of slack_sdk's SQLAlchemy installation and OAuth state stores, as those stores define them."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, SLACK_TABLES[0])
    SQLAlchemyInstallationStore.build_bots_table(metadata, SLACK_TABLES[1])
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, SLACK_TABLES[2])
    return metadata


def upgrade(engine: Engine) -> None:
    """Apply every pending migration; safe to call from several processes at once."""
    from alembic import command

    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Several instances may start together; one migrates while the others wait here.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))
            command.upgrade(_alembic_config(conn), "head")
            # Slack's own installation and OAuth state tables (multi-workspace mode); slack_sdk owns their shape.
            slack_tables().create_all(conn)
    except sa.exc.OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
                            f"{exc.orig}") from exc


def check_connection(engine: Engine) -> None:
    """Raise DatabaseError with a readable sentence when the database is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
                            f"{exc.orig}") from exc


def migration_state(engine: Engine) -> tuple[str | None, str]:
    """The database's migration revision (None if never migrated) and the newest one okrbot has; reads only."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(None)).get_current_head()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except sa.exc.OperationalError as exc:
        raise DatabaseError(f"cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
                            f"{exc.orig}") from exc
    return current, head


@sa.event.listens_for(KeyResult.source, "set")
def _schedule_source(target: KeyResult, value, old, _initiator) -> None:
    # Wherever a definition is written (import, a lead's edit, a test), the schedule follows it: a new or changed
    # source is read at once and forgets the old one's failure; a removed one is never read again.
    if value == old or (value is None and old in (NO_VALUE, NEVER_SET)):
        return
    target.source_next_read_at = READ_AT_ONCE if value is not None else None
    target.source_note = None


@sa.event.listens_for(KeyResult, "before_insert")
def _schedule_new_source(_mapper, _connection, target: KeyResult) -> None:
    # SQLModel's constructor sets columns without attribute events: a KR created with a source is scheduled here.
    if target.source is not None and target.source_next_read_at is None:
        target.source_next_read_at = READ_AT_ONCE
