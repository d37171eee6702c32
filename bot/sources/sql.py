"""Reading one number with SQL: read-only, one statement, one row, within the timeout.

PostgreSQL: a READ ONLY transaction with a statement_timeout, and the query run through a server-side cursor
(DECLARE … CURSOR FOR), which the server accepts only for one SELECT or VALUES statement and which hands over only
the first row. SQLite: the file opened read-only (mode=ro) with PRAGMA query_only, one statement (sqlite3 refuses
more) and a progress handler that interrupts it at the deadline. Other databases are refused: okrbot cannot
promise read-only there.
"""

from __future__ import annotations

import math
import sqlite3
import time
from typing import Any, Final

import psycopg
import psycopg.errors as pg
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from bot.sources.fetch import seconds

__all__ = ["SqlFailed", "first_value"]

# psycopg 3 is the PostgreSQL driver okrbot ships; a plain postgresql:// (or Heroku's postgres://) URL means it too.
_PG_DRIVERS: Final = ("postgresql", "postgres", "postgresql+psycopg")


class SqlFailed(Exception):
    """The query gave no value; str() is a sentence (callers scrub secrets from it)."""


def _url(text: str) -> sa.URL:
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        raise SqlFailed("the database URL is not one I can read") from None
    if url.drivername in _PG_DRIVERS:
        return url.set(drivername="postgresql+psycopg")
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        return url
    raise SqlFailed(f"{url.get_backend_name()} databases are not supported: SQL sources read PostgreSQL or SQLite, "
                    "where okrbot can make the query read-only")


def _single(query: str) -> str:
    # A trailing semicolon is how many people end a query; it is not a second statement.
    return query.strip().rstrip(";").rstrip()


def first_value(database_url: str, query: str, *, timeout: float) -> Any:
    """The first column of the first row of a read-only query; raises SqlFailed with the reason."""
    url = _url(database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite(url, _single(query), timeout)
    return _postgres(url, _single(query), timeout)


def _postgres(url: sa.URL, query: str, timeout: float) -> Any:
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": max(2, math.ceil(timeout))})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            raw = conn.connection.driver_connection
            # A named cursor is DECLARE … CURSOR FOR the query over the extended protocol: one statement, a query
            # (SELECT, VALUES, WITH … SELECT), and rows fetched one at a time instead of the whole result.
            with raw.cursor(name="okrbot_source") as cursor:
                cursor.execute(query)
                rows = cursor.fetchmany(1)
            # Leaving the block without a commit rolls the (read-only) transaction back.
    except sa.exc.OperationalError as exc:
        raise SqlFailed(_pg_reason(exc.orig, connecting=True, timeout=timeout)) from None
    except psycopg.errors.SyntaxError as exc:
        first = query.split(None, 1)[0] if query.split() else ""
        if first and f'at or near "{first}"' in (exc.diag.message_primary or "") and first.lower() != "select":
            # DECLARE … CURSOR FOR accepts only queries: the server's "syntax error" means "not a query".
            raise SqlFailed(f"a SQL source runs one query (SELECT, WITH or VALUES), not {first.upper()}") from None
        raise SqlFailed(_pg_reason(exc, connecting=False, timeout=timeout)) from None
    except psycopg.Error as exc:
        raise SqlFailed(_pg_reason(exc, connecting=False, timeout=timeout)) from None
    except sa.exc.DBAPIError as exc:
        raise SqlFailed(_pg_reason(exc.orig, connecting=False, timeout=timeout)) from None
    finally:
        engine.dispose()
    if not rows:
        raise SqlFailed("the query returned no rows")
    return rows[0][0]


def _pg_reason(exc: BaseException | None, *, connecting: bool, timeout: float) -> str:
    if isinstance(exc, pg.QueryCanceled):
        return f"the query timed out after {seconds(timeout)}"
    if isinstance(exc, pg.ReadOnlySqlTransaction):
        return "the query tried to write; SQL sources are read-only"
    message = ""
    diag = getattr(exc, "diag", None)
    if diag is not None and diag.message_primary:
        message = diag.message_primary
    if isinstance(exc, pg.SyntaxError) and "multiple commands" in message:
        return "the query must be exactly one statement"
    if isinstance(exc, pg.SyntaxError):
        return f"the database refused the query: {message} (a SQL source runs one SELECT)"
    if message:
        return f"the database refused the query: {message}"
    if connecting or isinstance(exc, psycopg.OperationalError):
        # libpq's connection messages name the host and port, never the password; still, say only what matters.
        text = str(exc or "")
        if "timeout" in text.lower():
            return "could not connect to the database: timed out"
        if "refused" in text.lower():
            return "could not connect to the database: connection refused"
        if "password" in text.lower() or "authentication" in text.lower():
            return "could not connect to the database: the login was refused"
        if "does not exist" in text:
            return "could not connect to the database: it does not exist"
        return "could not connect to the database"
    return f"the database refused the query ({type(exc).__name__})"


def _sqlite(url: sa.URL, query: str, timeout: float) -> Any:
    path = url.database or ""
    if not path or path == ":memory:":
        raise SqlFailed("the SQLite URL names no database file")
    # mode=ro opens the file read-only (and never creates it); query_only refuses writes on top of that.
    uri = "file:" + path.replace("?", "%3f").replace("#", "%23") + "?mode=ro"
    deadline = time.monotonic() + timeout
    timed_out = False

    def interrupt() -> int:
        nonlocal timed_out
        timed_out = time.monotonic() > deadline
        return 1 if timed_out else 0

    try:
        conn = sqlite3.connect(uri, uri=True, timeout=timeout)
    except sqlite3.Error:
        raise SqlFailed("could not open the SQLite database (it must exist and be readable)") from None
    try:
        conn.execute("PRAGMA query_only = ON")
        conn.set_progress_handler(interrupt, 1000)
        cursor = conn.execute(query)
        row = cursor.fetchone()
    except sqlite3.Warning:
        # sqlite3 raises Warning (ProgrammingError on newer Pythons) for a second statement.
        raise SqlFailed("the query must be exactly one statement") from None
    except sqlite3.ProgrammingError as exc:
        if "one statement" in str(exc):
            raise SqlFailed("the query must be exactly one statement") from None
        raise SqlFailed(f"the database refused the query: {exc}") from None
    except sqlite3.OperationalError as exc:
        text = str(exc)
        if timed_out or "interrupted" in text:
            raise SqlFailed(f"the query timed out after {seconds(timeout)}") from None
        if "readonly" in text or "read-only" in text or "query_only" in text:
            raise SqlFailed("the query tried to write; SQL sources are read-only") from None
        raise SqlFailed(f"the database refused the query: {text}") from None
    except sqlite3.Error as exc:
        raise SqlFailed(f"the database refused the query: {exc}") from None
    finally:
        conn.close()
    if row is None:
        raise SqlFailed("the query returned no rows")
    if not row:
        raise SqlFailed("the query returned no columns")
    return row[0]
