"""Migrations on SQLite and PostgreSQL: each step keeps the rows, and head matches the SQLModel tables."""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.db import _alembic_config, make_engine, session_scope
from storage.queries import find_person


def _migrate(engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(_alembic_config(conn), revision)


def test_0002_adds_the_admin_flag_and_keeps_people(db_url):
    engine = make_engine(db_url)
    try:
        _migrate(engine, "0001", down=True)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO people (user_id, tz) VALUES ('U0ALICE', 'Europe/Berlin')"))
        _migrate(engine, "head")
        with engine.begin() as conn:
            row = conn.execute(sa.text("SELECT user_id, tz, is_admin, admin_checked_at FROM people")).one()
        assert tuple(row) == ("U0ALICE", "Europe/Berlin", None, None)
        with session_scope(engine) as s:
            person = find_person("U0ALICE", session=s)
            person.is_admin, person.admin_checked_at = True, datetime(2026, 11, 23, tzinfo=UTC)
        with session_scope(engine) as s:
            assert find_person("U0ALICE", session=s).is_admin is True
        _migrate(engine, "0001", down=True)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT user_id, tz FROM people")).one() == ("U0ALICE", "Europe/Berlin")
        _migrate(engine, "head")
    finally:
        engine.dispose()


def test_head_matches_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "include_name": lambda name, type_, _: type_ != "table" or not name.startswith("slack_")})
        assert compare_metadata(context, SQLModel.metadata) == []
