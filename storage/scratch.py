"""Throwaway PostgreSQL schemas, so tests and benchmarks share one database without seeing each other's rows."""

from __future__ import annotations

import uuid

import sqlalchemy as sa


def create_schema(admin_url: str, prefix: str = "t") -> tuple[str, str]:
    """Create an empty schema; returns a URL whose connections use it (via search_path) and its name."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = sa.make_url(admin_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False), schema


def drop_schema(admin_url: str, schema: str) -> None:
    """Drop a schema made by create_schema, with everything in it."""
    admin = sa.create_engine(admin_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
