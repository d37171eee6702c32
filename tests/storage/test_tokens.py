"""API tokens and KR references in the database, on both backends."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from storage.db import open_session, session_scope
from storage.models import ApiToken, Cycle, KeyResult, Objective, Team
from storage.okrs import live_krs_named
from storage.tokens import TokenNameTaken, create_token, hash_token, list_tokens, revoke_token, token_for

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _objective(session) -> Objective:
    team = Team(name="Growth", channel="C0GROWTH")
    cycle = Cycle(name="Q4", start=datetime(2026, 10, 1).date(), end=datetime(2026, 12, 31).date())
    session.add_all([team, cycle])
    session.flush()
    objective = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="O")
    session.add(objective)
    session.flush()
    return objective


def _kr(objective, key):
    return KeyResult(objective_id=objective.id, key=key, title=key, owner_id="U1", baseline=0, target=10)


def test_key_results_are_numbered_per_workspace_and_never_renumbered(engine):
    for workspace in ("T1", "T2"):
        with session_scope(engine, workspace) as s:
            objective = _objective(s)
            s.add_all([_kr(objective, "a"), _kr(objective, "b")])
    with session_scope(engine, "T1") as s:
        first = s.exec(select(KeyResult).where(KeyResult.key == "a")).one()
        first.archived_at = NOW
        s.add(_kr(s.get(Objective, first.objective_id), "c"))
    with session_scope(engine, "T1") as s:
        assert {kr.key: kr.ref for kr in s.exec(select(KeyResult))} == {"a": 1, "b": 2, "c": 3}
        # An archived KR keeps its number out of reach, and a live one is found by it or by its file id.
        day = NOW.date()
        assert live_krs_named(1, "", session=s, first_day=day) == []
        assert [r.kr.key for r in live_krs_named(3, "", session=s, first_day=day)] == ["c"]
        assert [r.kr.ref for r in live_krs_named(None, "b", session=s, first_day=day)] == [2]
        # After its cycle ended a KR keeps its reference, but its file id may name next quarter's KR.
        after = datetime(2027, 1, 2).date()
        assert [r.kr.key for r in live_krs_named(3, "", session=s, first_day=after)] == ["c"]
        assert live_krs_named(None, "b", session=s, first_day=after) == []
    with session_scope(engine, "T2") as s:
        assert {kr.key: kr.ref for kr in s.exec(select(KeyResult))} == {"a": 1, "b": 2}


def test_a_token_is_shown_once_and_stored_as_its_hash(engine):
    with session_scope(engine, "T1") as s:
        token = create_token("ci", session=s, now=NOW)
    assert token.startswith("okr_") and len(token) >= 4 + 32
    assert all(c.isalnum() or c in "-_" for c in token[4:])
    with session_scope(engine, "T1") as s:
        (row,) = list_tokens(session=s)
        assert row.name == "ci" and row.token_hash == hash_token(token) and token not in repr(row.model_dump())
        assert row.last_used_at is None
    with session_scope(engine) as s:
        assert token_for(token, session=s, now=NOW).workspace_id == "T1"
        assert token_for(token + "x", session=s, now=NOW) is None
        assert token_for("xoxb-" + token, session=s, now=NOW) is None
    with session_scope(engine, "T2") as s:
        assert list_tokens(session=s) == []
        assert revoke_token("ci", session=s) is False
    with session_scope(engine, "T1") as s:
        assert list_tokens(session=s)[0].last_used_at == NOW
        assert revoke_token("ci", session=s) is True
    with session_scope(engine) as s:
        assert token_for(token, session=s, now=NOW + timedelta(minutes=5)) is None


def test_last_use_is_written_at_most_once_a_minute(engine):
    with session_scope(engine) as s:
        token = create_token("ci", session=s, now=NOW)
    for minutes in (0, 0.5, 1.5):
        with session_scope(engine) as s:
            token_for(token, session=s, now=NOW + timedelta(minutes=minutes))
    with session_scope(engine) as s:
        assert list_tokens(session=s)[0].last_used_at == NOW + timedelta(minutes=1.5)


def test_a_name_is_taken_once_per_workspace(engine):
    with session_scope(engine, "T1") as s:
        create_token("ci", session=s, now=NOW)
    with session_scope(engine, "T2") as s:
        create_token("ci", session=s, now=NOW)
    with pytest.raises(TokenNameTaken):
        with session_scope(engine, "T1") as s:
            create_token("ci", session=s, now=NOW)
    with open_session(engine) as s:
        assert len(s.exec(select(ApiToken)).all()) == 2
