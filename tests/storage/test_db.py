from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage.db import DatabaseError, check_connection, make_engine, session_scope, upgrade
from storage.models import CheckIn, Cycle, KeyResult, Objective, Prompt, Team


def _seed(session):
    cycle = Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
    team = Team(name="Growth", channel="C1")
    session.add_all([cycle, team])
    session.flush()
    obj = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="Delight")
    session.add(obj)
    session.flush()
    kr = KeyResult(objective_id=obj.id, key="k", title="Increase X from 1 to 2", owner_id="U1", baseline=1, target=2)
    session.add(kr)
    session.flush()
    return kr


def test_upgrade_is_idempotent(engine):
    upgrade(engine)
    names = set(sa.inspect(engine).get_table_names())
    assert {"teams", "key_results", "checkins", "prompts", "alembic_version"} <= names


def test_datetimes_come_back_utc_aware(engine):
    berlin = timezone(timedelta(hours=1))
    with session_scope(engine) as s:
        kr = _seed(s)
        s.add(CheckIn(kr_id=kr.id, author_id="U1", value=1.5, confidence="green",
                      created_at=datetime(2026, 11, 27, 10, 0, tzinfo=berlin)))
    with session_scope(engine) as s:
        got = s.exec(select(CheckIn)).one()
    assert got.created_at.tzinfo is not None
    assert got.created_at == datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    assert got.created_at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine):
    with pytest.raises(sa.exc.StatementError):
        with session_scope(engine) as s:
            s.add(Prompt(user_id="U1", week_key="w", due_at=datetime(2026, 11, 27, 10, 0)))


def test_session_scope_rolls_back_on_error(engine):
    with pytest.raises(RuntimeError):
        with session_scope(engine) as s:
            s.add(Team(name="Ghost", channel="C9"))
            s.flush()
            raise RuntimeError("boom")
    with session_scope(engine) as s:
        assert s.exec(select(Team)).all() == []


def test_prompt_week_is_unique_per_user(engine):
    due = datetime(2026, 11, 27, 9, tzinfo=UTC)
    with session_scope(engine) as s:
        s.add(Prompt(user_id="U1", week_key="2026-11-27@10:00", due_at=due))
    with pytest.raises(sa.exc.IntegrityError):
        with session_scope(engine) as s:
            s.add(Prompt(user_id="U1", week_key="2026-11-27@10:00", due_at=due))


def test_check_connection_names_the_database():
    eng = make_engine("postgresql+psycopg://nobody:secret@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with pytest.raises(DatabaseError) as err:
        check_connection(eng)
    assert "cannot reach the database" in str(err.value)
    assert "secret" not in str(err.value)
