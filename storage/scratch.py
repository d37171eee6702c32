"""Throwaway PostgreSQL schemas, so tests and benchmarks share one database without seeing each other's rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

# The one table emptying a schema keeps: it says which migration the schema is at.
VERSION_TABLE = "alembic_version"


def create_schema(admin_url: str, prefix: str = "t") -> tuple[str, str]:
    """Create an empty schema; returns a URL whose connections use it (via search_path) and its name."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = sa.make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(admin_url: str, schema: str, *, terminate: bool = False) -> None:
    """Drop a schema made by create_schema, with everything in it.

    terminate=True first ends every other connection holding a lock on one of its tables (a test's leftover), so
    the drop cannot wait for them forever.
    """
    admin = sa.create_engine(admin_url)
    try:
        with admin.begin() as conn:
            if terminate:
                conn.execute(sa.text(
                    "SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = :schema AND l.pid <> pg_backend_pid()"), {"schema": schema})
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        admin.dispose()


def schema_state(conn: sa.Connection, schema: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The schema's tables and its migration revisions (empty when it has no alembic_version table)."""
    tables = tuple(conn.execute(sa.text(
        "SELECT tablename FROM pg_tables WHERE schemaname = :schema ORDER BY tablename"), {"schema": schema}).scalars())
    revisions: tuple[str, ...] = ()
    if VERSION_TABLE in tables:
        revisions = tuple(conn.execute(sa.text(
            f'SELECT version_num FROM "{schema}".{VERSION_TABLE} ORDER BY version_num')).scalars())
    return tables, revisions


def empty_schema(admin: sa.Engine, schema: str, expected: tuple[tuple[str, ...], tuple[str, ...]], *,
                 lock_timeout: str = "5s") -> bool:
    """Empty every table but alembic_version, identities restarting at 1, as in a freshly migrated schema.

    `expected` is schema_state() of the freshly migrated schema. Returns False, leaving the schema as it is, when
    it no longer has those tables at that revision (something migrated it) or when a lock on one of its tables is
    still held after `lock_timeout` (a connection or process left open): then it cannot pass for a fresh one.
    """
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
            if schema_state(conn, schema) != expected:
                return False
            tables = ", ".join(f'"{schema}"."{t}"' for t in expected[0] if t != VERSION_TABLE)
            if tables:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    except sa.exc.DBAPIError:
        return False
    return True
