"""Workspace scoping at the storage layer, on SQLite and PostgreSQL: a session opened for T1 neither sees nor
writes a row of T2, whatever the statement (select, get by key, join, subquery, count, ORM update or delete),
and a session without a workspace is refused outright.

T1 and T2 are built alike on purpose: a team called Growth, a cycle called 2026-Q4, the same objective and KR
keys, the same lead (U0SAME), the same outbox key and prompt week. T2 has one KR more, so counts tell them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from storage.db import UnscopedSession, open_session, read_rows, session_scope
from storage.models import (SCOPED_TABLES, Absence, CheckIn, Cycle, Delivery, Grading, KeyResult, KRGrade, Objective,
                            ObservedValue, Person, Problem, Prompt, PromptItem, Team, TeamLead)
from storage.checkins import latest_checkins
from storage.people import find_person
from storage.teams import leads_by_team
from storage.checkins import recent_checkins
from storage.okrs import live_key_results
from storage.prompts import week_rows
from storage.outbox import sent
from storage.teams import find_team, live_team_cycles, team_names, team_overview, teams_of_user
from tests.status_helpers import add_team, cycle

WORKSPACES = ("T1", "T2")
KRS = {"T1": 2, "T2": 3}
SAME = "U0SAME"
T0 = datetime(2026, 11, 20, 11, tzinfo=UTC)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


@dataclass(frozen=True)
class Seeded:
    """The ids of one workspace's rows."""

    cycle: int
    team: int
    objective: int
    krs: tuple[int, ...]
    checkins: tuple[int, ...]
    prompt: int
    delivery: int


def _seed(engine, workspace: str) -> Seeded:
    with session_scope(engine, workspace) as s:
        q4 = cycle(s)
        team = add_team(s, q4, "Growth", objectives=1, krs=KRS[workspace], owner=f"U0{workspace}OWN", lead=SAME,
                        channel=f"C0{workspace}", checkins=[(T0 - timedelta(days=7), 10, "green"),
                                                            (T0, 20 if workspace == "T1" else 70, "amber")])
        objective = s.exec(select(Objective)).one()
        krs = tuple(s.exec(select(KeyResult.id).order_by(KeyResult.id)))
        checkins = tuple(s.exec(select(CheckIn.id).order_by(CheckIn.id)))
        prompt = Prompt(user_id=SAME, week_key="2026-11-27@10:00", due_at=T0 + timedelta(days=7))
        s.add(prompt)
        s.flush()
        s.add(PromptItem(prompt_id=prompt.id, kr_id=krs[0]))
        s.add(Person(user_id=SAME, tz="Europe/London" if workspace == "T1" else "Asia/Tokyo",
                     is_admin=workspace == "T2"))
        s.add(Problem(subject=f"C0{workspace}", kind="channel", error="not_in_channel", first_seen_at=T0))
        delivery = Delivery(key="digest:Growth:2026-11-23", kind="digest", claimed_at=T0, sent_at=T0, attempts=1)
        s.add(delivery)
        # The same grading in both workspaces (same team name, cycle and lead), told apart by its retrospective.
        grading = Grading(team_id=team.id, cycle_id=q4.id, graded_by=SAME, graded_at=T0, change_next=workspace)
        s.add(grading)
        s.flush()
        s.add(KRGrade(grading_id=grading.id, kr_id=krs[0], computed=0.5, grade=0.5))
        s.add(ObservedValue(kr_id=krs[0], value=15, observed_at=T0, recorded_at=T0, origin="api"))
        s.add(Absence(user_id=SAME, start=T0.date(), until=None, set_by=SAME, created_at=T0))
        s.flush()
        return Seeded(q4.id, team.id, objective.id, krs, checkins, prompt.id, delivery.id)


@pytest.fixture
def seeded(engine) -> dict[str, Seeded]:
    return {workspace: _seed(engine, workspace) for workspace in WORKSPACES}


def _raw_rows(engine, table: str) -> list[tuple]:
    """A table's rows read with plain SQL, outside any session: what is really stored."""
    with engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(sa.text(f"SELECT * FROM {table}")))


def _raw_count(engine, table: str, workspace: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE workspace_id = :w"), {"w": workspace}).scalar()


def test_select_returns_only_the_sessions_workspace(engine, seeded):
    for workspace in WORKSPACES:
        with session_scope(engine, workspace) as s:
            for model in SCOPED_TABLES:
                rows = s.exec(select(model)).all()
                assert rows, model.__tablename__
                assert {r.workspace_id for r in rows} == {workspace}, model.__tablename__
                assert len(rows) == _raw_count(engine, model.__tablename__, workspace), model.__tablename__
            # Column selects and filters on colliding values too.
            assert s.exec(select(Team.id).where(Team.name == "Growth")).all() == [seeded[workspace].team]
            assert s.exec(select(Cycle.id).where(Cycle.name == "2026-Q4")).all() == [seeded[workspace].cycle]
            assert set(s.exec(select(KeyResult.id))) == set(seeded[workspace].krs)
            assert s.exec(select(Person.tz).where(Person.user_id == SAME)).all() == [
                "Europe/London" if workspace == "T1" else "Asia/Tokyo"]


def test_get_by_primary_key_finds_nothing_of_another_workspace(engine, seeded):
    t1, t2 = seeded["T1"], seeded["T2"]
    keys = lambda ws: [(Cycle, ws.cycle), (Team, ws.team), (Objective, ws.objective), (KeyResult, ws.krs[0]),  # noqa: E731
                       (CheckIn, ws.checkins[0]), (Prompt, ws.prompt), (Delivery, ws.delivery),
                       (TeamLead, (ws.team, SAME)), (PromptItem, (ws.prompt, ws.krs[0]))]
    with session_scope(engine, "T1") as s:
        for model, key in keys(t2):
            assert s.get(model, key) is None, (model.__tablename__, key)
        for model, key in keys(t1):
            assert s.get(model, key).workspace_id == "T1", (model.__tablename__, key)
        assert s.get(Person, {"user_id": SAME, "workspace_id": "T2"}) is None
        assert find_person(SAME, session=s).tz == "Europe/London"
        # T2's own session finds them, so the ids were real.
    with session_scope(engine, "T2") as s:
        for model, key in keys(t2):
            assert s.get(model, key).workspace_id == "T2", (model.__tablename__, key)
        assert find_person(SAME, session=s).is_admin is True


def test_joins_aliases_and_subqueries_stay_in_the_workspace(engine, seeded):
    t1, t2 = seeded["T1"], seeded["T2"]
    with session_scope(engine, "T1") as s:
        joined = s.exec(select(KeyResult.id, Objective.id, Team.id, Cycle.id)
                        .join(Objective, KeyResult.objective_id == Objective.id)
                        .join(Team, Objective.team_id == Team.id)
                        .join(Cycle, Objective.cycle_id == Cycle.id)).all()
        assert {(kr, o, t, c) for kr, o, t, c in joined} == {(kr, t1.objective, t1.team, t1.cycle) for kr in t1.krs}
        # A cross join has nothing to join on: every row of each table would meet every row of the other.
        assert s.exec(select(Team.id, Cycle.id).join(Cycle, sa.true())).all() == [(t1.team, t1.cycle)]
        # A join on colliding names, not ids.
        other = aliased(Team)
        assert s.exec(select(Team.id, other.id).join(other, other.name == Team.name)).all() == [(t1.team, t1.team)]
        # Subqueries: IN, EXISTS and a scalar subquery each read only T1.
        assert s.exec(select(Team.id).where(Team.id.in_(select(Objective.team_id)))).all() == [t1.team]
        assert s.exec(select(Team.id).where(sa.exists(select(CheckIn.id).where(CheckIn.id == t2.checkins[0])))
                      ).all() == []
        assert s.exec(select(Team.id, select(sa.func.count(KeyResult.id)).scalar_subquery())).all() == [
            (t1.team, KRS["T1"])]
        cte = select(CheckIn.kr_id, sa.func.max(CheckIn.value).label("top")).group_by(CheckIn.kr_id).cte()
        assert dict(s.exec(select(cte.c.kr_id, cte.c.top)).all()) == {kr: 20 for kr in t1.krs}

        # okrbot's own queries, handed ids of both workspaces.
        both = [*t1.krs, *t2.krs]
        recent = recent_checkins(both, session=s, now=NOW, since=NOW - timedelta(days=7))
        assert set(recent.latest) == set(t1.krs) and set(recent.as_of) == set(t1.krs)
        assert {c.value for cs in recent.latest.values() for c in cs} == {10, 20}
        assert set(latest_checkins(both, session=s)) == set(t1.krs)
        assert {r.kr.id for r in live_key_results(team_ids=[t1.team, t2.team], session=s, first_day=Q4[0],
                                                  last_day=Q4[1])} == set(t1.krs)
        assert live_key_results(owner_id="U0T2OWN", session=s, first_day=Q4[0], last_day=Q4[1]) == []
        assert {r[0] for r in week_rows(both, session=s, now=NOW + timedelta(days=7))} == {t1.krs[0]}
        assert leads_by_team([t1.team, t2.team], session=s) == {t1.team: [SAME]}
        assert find_team("growth", session=s).id == t1.team
        assert team_names(session=s) == ["Growth"]
        assert team_overview(session=s, first_day=Q4[0], last_day=Q4[1]) == [(t1.team, "Growth", 1, KRS["T1"])]
        assert [(t.id, c.id) for t, c in live_team_cycles(session=s, first_day=Q4[0], last_day=Q4[1])] == [
            (t1.team, t1.cycle)]
        assert [t.id for t in teams_of_user(SAME, session=s, first_day=Q4[0], last_day=Q4[1])] == [t1.team]
        assert set(sent(["digest:Growth:2026-11-23"], session=s)) == {"digest:Growth:2026-11-23"}


def test_prebuilt_statements_read_only_the_workspace_of_each_session(engine, seeded):
    # read_rows scopes a statement once per workspace: each session must still get its own rows, aliases included.
    older = aliased(CheckIn)
    prebuilt = (select(older.id).join(KeyResult, KeyResult.id == older.kr_id)
                .where(older.kr_id.in_(sa.bindparam("ids", expanding=True))))
    both = [*seeded["T1"].krs, *seeded["T2"].krs]
    for workspace in (*WORKSPACES, *WORKSPACES):
        with session_scope(engine, workspace) as s:
            assert sorted(r.id for r in read_rows(prebuilt, {"ids": both}, session=s)) == sorted(
                seeded[workspace].checkins)


def test_counts_count_only_the_workspace(engine, seeded):
    for workspace in WORKSPACES:
        with session_scope(engine, workspace) as s:
            assert s.exec(select(sa.func.count()).select_from(KeyResult)).one() == KRS[workspace]
            assert s.exec(select(sa.func.count(CheckIn.id))).one() == 2 * KRS[workspace]
            assert s.exec(select(sa.func.count(sa.distinct(Team.name)))).one() == 1
            per_team = s.exec(select(Team.name, sa.func.count(KeyResult.id))
                              .join(Objective, Objective.team_id == Team.id)
                              .join(KeyResult, KeyResult.objective_id == Objective.id).group_by(Team.name)).all()
            assert per_team == [("Growth", KRS[workspace])]


def test_orm_update_and_delete_touch_only_the_workspace(engine, seeded):
    t2 = seeded["T2"]
    t2_before = {table: _raw_rows(engine, table) for table in ("key_results", "checkins", "deliveries", "cycles")}
    t2_only = lambda rows: [r for r in rows if "T2" in r]  # noqa: E731
    with session_scope(engine, "T1") as s:
        assert s.execute(sa.update(KeyResult).values(title="renamed in T1")).rowcount == KRS["T1"]
        # Aimed straight at T2's row by id: nothing matches.
        assert s.execute(sa.update(KeyResult).where(KeyResult.id == t2.krs[0]).values(target=1)).rowcount == 0
        assert s.execute(sa.update(Delivery).where(Delivery.key == "digest:Growth:2026-11-23")
                         .values(attempts=Delivery.attempts + 1)).rowcount == 1
        # A subquery in SET reads T1 only: T2's cycle name cannot be copied into T1's cycle this way.
        taken = select(Team.channel).where(Team.id == t2.team).scalar_subquery()
        assert s.execute(sa.update(Cycle).values(name=sa.func.coalesce(taken, "not found"))).rowcount == 1
        assert s.exec(select(Cycle.name)).one() == "not found"
        # A subquery in WHERE reads T1 only.
        assert s.execute(sa.delete(CheckIn).where(CheckIn.kr_id.in_(select(KeyResult.id)))).rowcount == \
            2 * KRS["T1"]
        assert s.execute(sa.delete(PromptItem)).rowcount == 1
    with session_scope(engine, "T1") as s:
        assert set(s.exec(select(KeyResult.title))) == {"renamed in T1"}
        assert s.exec(select(CheckIn)).all() == []
    for table, rows in t2_before.items():
        assert t2_only(_raw_rows(engine, table)) == t2_only(rows), table
    assert _raw_count(engine, "prompt_items", "T2") == 1


def test_a_row_of_another_workspace_cannot_be_written_through_a_session(engine, seeded):
    t2 = seeded["T2"]
    before = {model.__tablename__: _raw_rows(engine, model.__tablename__) for model in SCOPED_TABLES}

    # A new row claiming to be T2's.
    with pytest.raises(UnscopedSession):
        with session_scope(engine, "T1") as s:
            s.add(Team(name="Sneaky", channel="C0X", workspace_id="T2"))
    # A T2 row loaded by a T2 session, then changed through a T1 session.
    with session_scope(engine, "T2") as s:
        team2 = s.get(Team, t2.team)
    with pytest.raises(UnscopedSession):
        with session_scope(engine, "T1") as s:
            s.add(team2)
            team2.channel = "C0HIJACKED"
    # merge() looks the row up in T1 (it is not there) and would insert T2's copy.
    with session_scope(engine, "T2") as s:
        kr2 = s.get(KeyResult, t2.krs[0])
    kr2.title = "merged through T1"
    with pytest.raises(UnscopedSession):
        with session_scope(engine, "T1") as s:
            s.merge(kr2)
    # A T1 row moved into T2.
    with pytest.raises(UnscopedSession):
        with session_scope(engine, "T1") as s:
            s.get(Team, seeded["T1"].team).workspace_id = "T2"
    assert {model.__tablename__: _raw_rows(engine, model.__tablename__) for model in SCOPED_TABLES} == before

    # A new row without a workspace takes the session's.
    with session_scope(engine, "T1") as s:
        s.add(Team(name="Platform", channel="C0PLAT"))
    with session_scope(engine, "T1") as s:
        assert s.exec(select(Team.workspace_id).where(Team.name == "Platform")).one() == "T1"
    with session_scope(engine, "T2") as s:
        assert s.exec(select(Team).where(Team.name == "Platform")).all() == []


def test_a_session_without_a_workspace_is_refused(engine, seeded):
    statements = [select(Team), select(Team.name), select(sa.func.count()).select_from(KeyResult),
                  select(KeyResult).join(Objective, KeyResult.objective_id == Objective.id)]
    with Session(engine) as s:
        for statement in statements:
            with pytest.raises(UnscopedSession):
                s.exec(statement).all()
        with pytest.raises(UnscopedSession):
            s.get(Team, seeded["T1"].team)
        with pytest.raises(UnscopedSession):
            s.execute(sa.update(KeyResult).values(title="everyone's"))
        with pytest.raises(UnscopedSession):
            s.execute(sa.delete(CheckIn))
        s.add(Team(name="Nowhere", channel="C0NONE"))
        with pytest.raises(UnscopedSession):
            s.flush()
        s.rollback()
    with pytest.raises(TypeError):
        open_session(engine, None)
    assert _raw_count(engine, "teams", "") == 0
    assert {r[0] for r in _raw_rows(engine, "key_results") if "everyone's" in r} == set()


def test_names_and_keys_are_unique_per_workspace_not_across_workspaces(engine, seeded):
    """Growth, 2026-Q4, the outbox key, the prompt week and U0SAME exist in both; not twice in one."""
    def duplicate(workspace: str, row) -> None:
        with session_scope(engine, workspace) as s:
            s.add(row)

    rows = [lambda: Team(name="Growth", channel="C0DUP"), lambda: Cycle(name="2026-Q4", start=Q4[0], end=Q4[1]),
            lambda: Delivery(key="digest:Growth:2026-11-23", kind="digest"),
            lambda: Prompt(user_id=SAME, week_key="2026-11-27@10:00", due_at=T0),
            lambda: Person(user_id=SAME)]
    for make in rows:
        for workspace in WORKSPACES:
            with pytest.raises(sa.exc.IntegrityError):
                duplicate(workspace, make())
        # A third workspace may have each of them once.
        duplicate("T3", make())
    for table in ("teams", "cycles", "deliveries", "prompts", "people"):
        assert [_raw_count(engine, table, w) for w in ("T1", "T2", "T3")] == [1, 1, 1], table
