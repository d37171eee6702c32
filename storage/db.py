"""Engine, session scope and schema migrations."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

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
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return sa.create_engine(sa_url, **kwargs)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


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


def upgrade(engine: Engine) -> None:
    """Apply every pending migration; safe to call from several processes at once."""
    from alembic import command

    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Several instances may start together; one migrates while the others wait here.
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242001)"))
            command.upgrade(_alembic_config(conn), "head")
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
