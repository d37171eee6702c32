"""Migrations on SQLite and PostgreSQL: each step keeps the rows, and head matches the SQLModel tables."""

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage.db import _alembic_config, make_engine, session_scope
from storage.models import Person
from storage.people import find_person


def _migrate(engine, revision: str, *, down: bool = False) -> None:
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(_alembic_config(conn), revision)


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
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


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
def test_0003_puts_existing_rows_in_the_single_token_workspace(db_url):
    from storage.models import Cycle, Delivery, Prompt, Team
    from storage.people import find_person

    engine = make_engine(db_url)
    try:
        _migrate(engine, "0002", down=True)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO cycles (name, start, \"end\") VALUES ('2026-Q4', '2026-10-01', "
                                 "'2026-12-31')"))
            conn.execute(sa.text("INSERT INTO teams (name, channel, timezone, checkin_day, checkin_time, digest_day, "
                                 "digest_time) VALUES ('Growth', 'C0GROWTH', 'UTC', 4, '10:00', 0, '09:00')"))
            conn.execute(sa.text("INSERT INTO people (user_id, tz) VALUES ('U0ALICE', 'Europe/Berlin')"))
            conn.execute(sa.text("INSERT INTO prompts (user_id, week_key, due_at) VALUES ('U0ALICE', "
                                 "'2026-11-27@10:00', '2026-11-27 10:00:00')"))
            conn.execute(sa.text("INSERT INTO deliveries (key, kind, attempts) VALUES ('prompt:1', 'prompt', 1)"))
        _migrate(engine, "head")
        with engine.begin() as conn:
            for table in ("cycles", "teams", "people", "prompts", "deliveries"):
                assert conn.execute(sa.text(f"SELECT workspace_id FROM {table}")).scalars().all() == [""], table
        with session_scope(engine) as s:
            assert [t.name for t in s.exec(sa.select(Team)).scalars()] == ["Growth"]
            assert find_person("U0ALICE", session=s).tz == "Europe/Berlin"
        # The keys that were global are per workspace now: another workspace may reuse every one of them.
        with session_scope(engine, "T1") as s:
            s.add_all([Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31)),
                       Team(name="Growth", channel="C0OTHER"), Person(user_id="U0ALICE"),
                       Prompt(user_id="U0ALICE", week_key="2026-11-27@10:00", due_at=datetime(2026, 11, 27, tzinfo=UTC)),
                       Delivery(key="prompt:1", kind="prompt")])
        with session_scope(engine, "T1") as s:
            s.exec(sa.delete(Team))
            s.exec(sa.delete(Cycle))
            s.exec(sa.delete(Person))
            s.exec(sa.delete(Prompt))
            s.exec(sa.delete(Delivery))
        _migrate(engine, "0002", down=True)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT name FROM teams")).scalars().all() == ["Growth"]
        _migrate(engine, "head")
    finally:
        engine.dispose()


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
def test_0004_adds_holds_problems_and_deactivation_and_keeps_rows(db_url):
    engine = make_engine(db_url)
    try:
        _migrate(engine, "0003", down=True)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO people (user_id, workspace_id, tz) VALUES ('U0ALICE', '', 'UTC')"))
            conn.execute(sa.text("INSERT INTO deliveries (key, kind, attempts, workspace_id) "
                                 "VALUES ('digest:1:2026-11-30', 'digest', 1, '')"))
        _migrate(engine, "head")
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT key, next_try_at FROM deliveries")).one() == (
                "digest:1:2026-11-30", None)
            assert conn.execute(sa.text("SELECT user_id, deactivated_at FROM people")).one() == ("U0ALICE", None)
            conn.execute(sa.text("INSERT INTO problems (workspace_id, subject, kind, error, first_seen_at) "
                                 "VALUES ('', 'C0GROWTH', 'channel', 'not_in_channel', '2026-11-30 09:00:00')"))
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(sa.text("INSERT INTO problems (workspace_id, subject, kind, error, first_seen_at) "
                                         "VALUES ('', 'C0GROWTH', 'channel', 'is_archived', '2026-11-30 10:00:00')"))
        _migrate(engine, "0003", down=True)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT key FROM deliveries")).scalar_one() == "digest:1:2026-11-30"
            assert "problems" not in sa.inspect(conn).get_table_names()
        _migrate(engine, "head")
    finally:
        engine.dispose()


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
def test_0008_numbers_existing_key_results_per_workspace(db_url):
    engine = make_engine(db_url)
    try:
        _migrate(engine, "0003", down=True)
        with engine.begin() as conn:
            for workspace in ("", "T1"):
                conn.execute(sa.text("INSERT INTO cycles (name, start, \"end\", workspace_id) VALUES ('Q4', "
                                     "'2026-10-01', '2026-12-31', :w)"), {"w": workspace})
                conn.execute(sa.text("INSERT INTO teams (name, channel, timezone, checkin_day, checkin_time, "
                                     "digest_day, digest_time, workspace_id) VALUES ('Growth', 'C0G', 'UTC', 4, "
                                     "'10:00', 0, '09:00', :w)"), {"w": workspace})
            conn.execute(sa.text("INSERT INTO objectives (team_id, cycle_id, key, title, type, workspace_id) "
                                 "VALUES (1, 1, 'o', 'O', 'aspirational', ''), (2, 2, 'o', 'O', 'aspirational', 'T1')"))
            for objective, key, workspace in ((1, "a", ""), (2, "x", "T1"), (1, "b", ""), (2, "y", "T1")):
                conn.execute(sa.text("INSERT INTO key_results (objective_id, key, title, owner_id, baseline, target, "
                                     "unit, workspace_id) VALUES (:o, :k, :k, 'U1', 0, 1, '', :w)"),
                             {"o": objective, "k": key, "w": workspace})
        _migrate(engine, "head")
        with engine.begin() as conn:
            rows = conn.execute(sa.text("SELECT key, ref FROM key_results ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [("a", 1), ("x", 1), ("b", 2), ("y", 2)]
        _migrate(engine, "0003", down=True)
        with engine.begin() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM key_results")).scalar() == 4
        _migrate(engine, "head")
    finally:
        engine.dispose()


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
def test_0009_adds_kr_sources_and_keeps_key_results(db_url):
    from sqlmodel import select

    from storage.models import KeyResult

    engine = make_engine(db_url)
    try:
        with session_scope(engine) as s:
            from storage.models import Cycle, Objective, Team

            cycle, team = Cycle(name="Q4", start=date(2026, 10, 1), end=date(2026, 12, 31)), Team(name="G", channel="C0G")
            s.add_all([cycle, team])
            s.flush()
            objective = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="O")
            s.add(objective)
            s.flush()
            s.add(KeyResult(objective_id=objective.id, key="k", title="K", owner_id="U1", baseline=0, target=1,
                            source={"type": "sql", "database": "DB", "query": "select 1"}))
        with session_scope(engine) as s:
            assert s.exec(select(KeyResult)).one().source == {"type": "sql", "database": "DB", "query": "select 1"}
        _migrate(engine, "0008", down=True)
        with engine.begin() as conn:
            assert "source" not in {c["name"] for c in sa.inspect(conn).get_columns("key_results")}
            assert conn.execute(sa.text("SELECT key FROM key_results")).scalars().all() == ["k"]
        _migrate(engine, "head")
        with session_scope(engine) as s:
            assert s.exec(select(KeyResult)).one().source is None
    finally:
        engine.dispose()


@pytest.mark.fresh_database  # it migrates down and up: a schema of its own
def test_0010_adds_source_reads_and_keeps_observed_values(db_url):
    engine = make_engine(db_url)
    try:
        _migrate(engine, "0008", down=True)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO cycles (name, start, \"end\", workspace_id) VALUES ('Q4', '2026-10-01', "
                                 "'2026-12-31', '')"))
            conn.execute(sa.text("INSERT INTO teams (name, channel, timezone, checkin_day, checkin_time, digest_day, "
                                 "digest_time, workspace_id) VALUES ('Growth', 'C0G', 'UTC', 4, '10:00', 0, '09:00', '')"))
            conn.execute(sa.text("INSERT INTO objectives (team_id, cycle_id, key, title, type, workspace_id) "
                                 "VALUES (1, 1, 'o', 'O', 'aspirational', '')"))
            conn.execute(sa.text("INSERT INTO key_results (objective_id, key, title, owner_id, baseline, target, unit, "
                                 "workspace_id, ref) VALUES (1, 'a', 'A', 'U1', 0, 1, '', '', 1)"))
            conn.execute(sa.text("INSERT INTO observed_values (workspace_id, kr_id, value, observed_at, recorded_at, "
                                 "origin, note) VALUES ('', 1, 0.5, '2026-12-01 09:00:00', '2026-12-01 09:00:00', "
                                 "'api', '')"))
        _migrate(engine, "head")
        with engine.begin() as conn:
            assert tuple(conn.execute(sa.text("SELECT source_next_read_at, source_note FROM key_results")).one()) == (
                None, None)
            assert conn.execute(sa.text("SELECT read_slot FROM observed_values")).scalar_one() is None
            insert = sa.text("INSERT INTO observed_values (workspace_id, kr_id, value, observed_at, recorded_at, "
                             "origin, note, read_slot) VALUES ('', 1, :v, '2026-12-07 05:00:00', "
                             "'2026-12-07 05:00:00', 'http', '', '2026-12-07T05:00Z')")
            conn.execute(insert, {"v": 0.6})
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(insert, {"v": 0.7})
        _migrate(engine, "0008", down=True)
        with engine.begin() as conn:
            assert sorted(conn.execute(sa.text("SELECT value FROM observed_values")).scalars()) == [0.5, 0.6]
            assert conn.execute(sa.text("SELECT key FROM key_results")).scalar_one() == "a"
        _migrate(engine, "head")
    finally:
        engine.dispose()
