"""The queries behind status and the digest, on SQLite and PostgreSQL: one statement each, right at the edges."""

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from storage.db import session_scope
from storage.models import CheckIn, Delivery, KeyResult, Team, TeamLead
from storage.checkins import recent_checkins
from storage.okrs import live_key_results, live_key_results_by_owner
from storage.outbox import sent
from storage.teams import find_team, live_team_cycles, team_overview, teams_of_user
from storage.db import count_statements
from tests.status_helpers import add_team, cycle

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
Q4 = (date(2026, 10, 1), date(2026, 12, 31))


def test_recent_checkins_two_latest_and_the_one_in_force_a_week_ago(engine):
    with session_scope(engine) as s:
        add_team(s, cycle(s), "Growth", objectives=1, krs=3)
        a, b, c = s.exec(select(KeyResult.id).order_by(KeyResult.id)).all()
        for day, value in ((0, 1), (7, 2), (14, 3), (15, 4), (40, 99)):  # day 40 is after `now`
            s.add(CheckIn(kr_id=a, author_id="U", value=value, confidence="green", created_at=T0 + timedelta(days=day)))
        s.add(CheckIn(kr_id=b, author_id="U", value=5, confidence="red", created_at=T0 + timedelta(days=15)))
    now = T0 + timedelta(days=16)
    with session_scope(engine) as s, count_statements(engine) as statements:
        recent = recent_checkins([a, b, c], session=s, now=now, since=now - timedelta(days=7))
    assert len(statements) == 1
    assert [x.value for x in recent.latest[a]] == [4, 3]
    assert [x.value for x in recent.latest[b]] == [5]
    assert c not in recent.latest
    assert recent.as_of[a].value == 2 and b not in recent.as_of
    with session_scope(engine) as s:
        plain = recent_checkins([a], session=s, now=now)
    assert [x.value for x in plain.latest[a]] == [4, 3] and plain.as_of == {}


def test_find_team_ignores_case_and_spacing(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        for name in ("Growth Team", "Équipe Été", "growth", "Growth"):
            add_team(s, q4, name, objectives=0, krs=0)
    with session_scope(engine) as s:
        assert find_team("growth   team", session=s).name == "Growth Team"
        assert find_team("ÉQUIPE été", session=s).name == "Équipe Été"
        assert find_team("Growth", session=s).name == "Growth"  # the exact case wins
        assert find_team("growth", session=s).name == "growth"
        assert find_team("GROWTH", session=s).name in ("growth", "Growth")
        assert find_team("nope", session=s) is None and find_team("  ", session=s) is None


def test_teams_of_user_are_led_or_owned_in_a_live_cycle(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        q3 = cycle(s, name="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))
        add_team(s, q4, "Owned", objectives=1, krs=1, owner="U0ME")
        add_team(s, q3, "Last quarter", objectives=1, krs=1, owner="U0ME")
        led = add_team(s, q4, "Led", objectives=0, krs=0)
        s.add(TeamLead(team_id=led.id, user_id="U0ME"))
        add_team(s, q4, "Other", objectives=1, krs=1, owner="U0YOU")
    with session_scope(engine) as s, count_statements(engine) as statements:
        names = [t.name for t in teams_of_user("U0ME0", session=s, first_day=Q4[0], last_day=Q4[0])]
        assert names == ["Owned"]
        assert [t.name for t in teams_of_user("U0ME", session=s, first_day=Q4[0], last_day=Q4[0])] == ["Led"]
    assert len(statements) == 2


def test_team_overview_and_live_cycles(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        add_team(s, q4, "b", objectives=2, krs=3)
        add_team(s, q4, "A", objectives=1, krs=1)
        s.add(Team(name="Empty", channel="C"))
    with session_scope(engine) as s:
        overview = team_overview(session=s, first_day=Q4[0], last_day=Q4[0])
        assert [(name, o, k) for _, name, o, k in overview] == [("A", 1, 1), ("b", 2, 6), ("Empty", 0, 0)]
        live = live_team_cycles(session=s, first_day=Q4[0], last_day=Q4[0])
        assert [(t.name, c.name) for t, c in live] == [("b", "2026-Q4"), ("A", "2026-Q4")]


def test_sent_keys_are_only_the_sent_ones(engine):
    with session_scope(engine) as s:
        s.add(Delivery(key="digest:1:2026-11-30", kind="digest", claimed_at=T0, sent_at=T0))
        s.add(Delivery(key="digest:2:2026-11-30", kind="digest", claimed_at=T0))
    with session_scope(engine) as s:
        keys = ["digest:1:2026-11-30", "digest:2:2026-11-30", "digest:3:2026-11-30"]
        assert set(sent(keys, session=s)) == {"digest:1:2026-11-30"}
        assert sent([], session=s) == {}


def test_recent_checkins_history_keeps_the_one_in_force_and_everything_after(engine):
    from datetime import UTC, datetime, timedelta

    from storage.checkins import recent_checkins
    from storage.db import session_scope
    from storage.models import CheckIn, Cycle, KeyResult, Objective, Team

    start = datetime(2026, 10, 1, 12, tzinfo=UTC)
    with session_scope(engine) as session:
        team = Team(name="Growth", channel="C0GROWTH")
        cycle = Cycle(name="2026-Q4", start=start.date(), end=(start + timedelta(days=90)).date())
        session.add_all([team, cycle])
        session.flush()
        objective = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="O")
        session.add(objective)
        session.flush()
        kr = KeyResult(objective_id=objective.id, key="k", title="K", owner_id="U0A", baseline=0, target=10)
        session.add(kr)
        session.flush()
        for week in range(6):
            session.add(CheckIn(kr_id=kr.id, author_id="U0A", value=week, confidence="green",
                                created_at=start + timedelta(weeks=week)))
        kr_id = kr.id
    with session_scope(engine) as session:
        recent = recent_checkins([kr_id], session=session, now=start + timedelta(weeks=10),
                                 history_since=start + timedelta(weeks=2, days=1))
    assert [c.value for c in recent.history[kr_id]] == [2, 3, 4, 5]  # week 2 was in force; weeks 0 and 1 were not
    assert [c.value for c in recent.latest[kr_id]] == [5, 4]


def test_live_key_results_by_owner_holds_whole_owners_and_each_kr_once(engine):
    with session_scope(engine) as s:
        q4 = cycle(s)
        # Owners U0A0..U0A2 own a KR in each of three teams (3 KRs each); U0B0 owns 7 KRs of one team.
        for name in ("Alpha", "Beta", "Gamma"):
            add_team(s, q4, name, objectives=1, krs=3, owner="U0A")
        add_team(s, q4, "Big", objectives=7, krs=1, owner="U0B")
        archived = s.exec(select(KeyResult).where(KeyResult.owner_id == "U0A1")).first()
        archived.archived_at = T0
        s.add(archived)
    with session_scope(engine) as s:
        whole = live_key_results(session=s, first_day=Q4[0], last_day=Q4[1])
        with count_statements(engine) as statements:
            batches = list(live_key_results_by_owner(session=s, first_day=Q4[0], last_day=Q4[1], batch=4))
    # 15 live KRs: whole owners only, so U0A0 (3), U0A1 (2), U0A2 (3) and U0B0 (7, more than a batch, on its own).
    assert [sorted({r.kr.owner_id for r in b}) for b in batches] == [["U0A0"], ["U0A1"], ["U0A2"], ["U0B0"]]
    # One query per batch, U0B0's second one reading that owner alone, and the last finding no one after U0B0.
    assert len(batches[-1]) == 7 and len(statements) == 6
    assert sorted(r.kr.id for b in batches for r in b) == sorted(r.kr.id for r in whole)
    # Within an owner, by team, objective and KR, as live_key_results orders them.
    for b in batches:
        assert [r.kr.id for r in b] == [r.kr.id for r in whole if r.kr.owner_id == b[0].kr.owner_id]
    with session_scope(engine) as s:
        assert [len(b) for b in live_key_results_by_owner(session=s, first_day=Q4[0], last_day=Q4[1])] == [15]
