"""Throwaway PostgreSQL schemas, so tests and benchmarks share one database without seeing each other's rows."""

from __future__ import annotations

import uuid
from typing import NamedTuple

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


class SchemaState(NamedTuple):
    """A freshly migrated schema, as empty_schema needs it: how to empty it, and how to tell that it changed."""

    tables: tuple[str, ...]  # alembic_version aside; tables referencing others first, the order to empty them in
    shape: str  # its tables, sequences and indexes, and its migration revisions


def _shape_sql(schema: str, with_version: bool = True) -> str:
    version = f"(SELECT string_agg(version_num, ',' ORDER BY version_num) FROM \"{schema}\".{VERSION_TABLE})"
    return ("(SELECT string_agg(relname || ':' || CAST(relkind AS text), ',' ORDER BY relname) FROM pg_class "
            f"WHERE relnamespace = CAST('\"{schema}\"' AS regnamespace)) || ' @' || "
            f"coalesce({version if with_version else 'NULL'}, '')")


def schema_state(conn: sa.Connection, schema: str) -> SchemaState:
    """What empty_schema needs to know about a freshly migrated schema."""
    names = set(conn.execute(sa.text(
        "SELECT relname FROM pg_class WHERE relnamespace = CAST(:schema AS regnamespace) AND relkind = 'r'"),
        {"schema": f'"{schema}"'}).scalars())
    refs = conn.execute(sa.text(
        "SELECT c.relname, p.relname FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid "
        "JOIN pg_class p ON p.oid = f.confrelid WHERE f.contype = 'f' AND f.connamespace = "
        "CAST(:schema AS regnamespace)"), {"schema": f'"{schema}"'}).all()
    shape = conn.execute(sa.text(f"SELECT {_shape_sql(schema, VERSION_TABLE in names)}")).scalar_one()
    referenced_by = {name: {child for child, parent in refs if parent == name and child != name} for name in names}
    order: list[str] = []

    def place(name: str) -> None:  # every table referencing `name` goes before it
        if name in order:
            return
        for child in sorted(referenced_by[name]):
            place(child)
        if name not in order:
            order.append(name)

    for name in sorted(names - {VERSION_TABLE}):
        place(name)
    return SchemaState(tuple(order), shape)


def empty_schema(admin: sa.Engine, schema: str, fresh: SchemaState, *, lock_timeout: str = "5s") -> bool:
    """Delete every row but alembic_version's and restart every sequence at 1: a freshly migrated schema again.

    `fresh` is schema_state() of the schema just after migrating. Returns False, leaving the schema as it is, when
    its tables, sequences, indexes or revisions are no longer those (something migrated it), or when another
    connection still writes to one of its tables after `lock_timeout` (a test left a transaction or process open).
    DELETE rather than TRUNCATE: on the few rows a test leaves, deleting costs a fraction of a millisecond per
    table, where TRUNCATE replaces the files of every table and index.
    """
    tables = [f'"{schema}"."{t}"' for t in fresh.tables]
    filled = ("ARRAY[]::int[]" if not tables else "ARRAY(SELECT n FROM (VALUES " + ", ".join(
        f"({n}, EXISTS (SELECT FROM {t}))" for n, t in enumerate(tables)) + ") AS v(n, filled) WHERE filled)")
    used = ("ARRAY(SELECT relname FROM pg_class WHERE relnamespace = CAST(:schema AS regnamespace) "
            "AND CASE WHEN relkind = 'S' THEN pg_sequence_last_value(oid) END IS NOT NULL)")  # CASE: sequences only
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{lock_timeout}'"))
            if tables:
                # Waits for any open writer, and keeps new ones out until the schema is empty.
                conn.execute(sa.text(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE"))
            shape, rows, sequences = conn.execute(sa.text(f"SELECT {_shape_sql(schema)}, {filled}, {used}"),
                                                  {"schema": f'"{schema}"'}).one()
            if shape != fresh.shape:
                return False
            work = [f"DELETE FROM {tables[n]}" for n in sorted(rows)]  # in fresh.tables' order
            work += [f"SELECT setval('\"{schema}\".\"{seq}\"', 1, false)" for seq in sequences]
            if work:
                conn.exec_driver_sql("; ".join(work))
    except sa.exc.DBAPIError:
        return False
    return True
