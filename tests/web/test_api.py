"""The REST API end to end: real HTTP on the port that serves Slack, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from storage.db import open_session, session_scope
from storage.models import CheckIn, KeyResult, Objective, ObservedValue
from storage.tokens import create_token, revoke_token
from tests.web.api_client import Api

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def api(okr):
    with session_scope(okr.engine) as s:
        token = create_token("ci", session=s, now=NOW)
    return Api(okr.url, token)


def stored(engine, workspace="") -> list[ObservedValue]:
    with open_session(engine, workspace) as s:
        return list(s.exec(select(ObservedValue).order_by(ObservedValue.id)))


def test_a_pushed_value_is_stored_scored_and_shown(okr, api):
    reply = api.push("KR-1", {"value": 31.5, "note": "from the dashboard"})
    assert reply.status == 201
    # Day-7 activation: 22% to 35%, so 31.5% is 73% of the way.
    assert reply.body == {"ref": "KR-1", "value": 31.5, "score": 0.7308, "recorded_at": "2026-11-23T12:00:00Z"}
    (row,) = stored(okr.engine)
    assert (row.value, row.origin, row.note, row.observed_at) == (31.5, "api", "from the dashboard", NOW)
    got = api.get("kr-1")
    assert got.status == 200
    assert got.body["value"] == 31.5 and got.body["value_origin"] == "api" and got.body["score"] == 0.7308
    assert got.body["confidence"] is None and got.body["id"] == "d7-activation" and got.body["team"] == "Growth"
    assert got.body["pace"]["behind"] is False and got.body["pace"]["text"] == "on pace"


def test_a_string_is_read_like_a_check_in_value_and_the_import_id_works_as_a_ref(okr, api):
    reply = api.push("wau", {"value": "25%", "at": "2026-11-23T10:00:00+01:00"})
    assert reply.status == 201 and reply.body["ref"] == "KR-3" and reply.body["value"] == 25
    assert stored(okr.engine)[0].observed_at == datetime(2026, 11, 23, 9, tzinfo=UTC)


def test_a_newer_check_in_wins_over_an_older_pushed_value(okr, api):
    assert api.push("KR-1", {"value": 30, "at": "2026-11-20T09:00:00Z"}).status == 201
    with session_scope(okr.engine) as s:
        kr = s.exec(select(KeyResult).where(KeyResult.ref == 1)).one()
        s.add(CheckIn(kr_id=kr.id, author_id="U0ALICE", value=28, confidence="amber",
                      created_at=datetime(2026, 11, 21, 9, tzinfo=UTC)))
    got = api.get("KR-1").body
    assert (got["value"], got["value_origin"], got["confidence"]) == (28, "check-in", "amber")
    assert api.push("KR-1", {"value": 33}).status == 201
    got = api.get("KR-1").body
    assert (got["value"], got["value_origin"], got["confidence"]) == (33, "api", "amber")
    # An older value pushed late is history, not the latest.
    assert api.push("KR-1", {"value": 1, "at": "2026-11-01T00:00:00Z"}).status == 201
    assert api.get("KR-1").body["value"] == 33
    assert [r.value for r in stored(okr.engine)] == [30, 33, 1]


@pytest.mark.parametrize("token", [None, "", "okr_wrong", "xoxb-test-token"])
def test_a_missing_or_wrong_token_gets_401_and_the_same_body(okr, api, token):
    reply = api.push("KR-1", {"value": 1}, token=token or "")
    assert reply.status == 401 and reply.headers["www-authenticate"] == "Bearer"
    assert reply.detail.startswith("A valid API token is needed")
    assert api.get("KR-1", token=token or "").status == 401
    assert stored(okr.engine) == []


def test_a_revoked_token_gets_401(okr, api):
    assert api.push("KR-1", {"value": 1}).status == 201
    with session_scope(okr.engine) as s:
        revoke_token("ci", session=s)
    reply = api.push("KR-1", {"value": 2})
    assert reply.status == 401 and reply.detail.startswith("A valid API token is needed")
    assert [r.value for r in stored(okr.engine)] == [1]


def test_a_revoked_token_stays_refused_when_a_new_token_takes_its_id(okr, api):
    # The server remembers tokens it has found; SQLite may hand a revoked token's row id to the next token.
    assert api.push("KR-1", {"value": 1}).status == 201
    with session_scope(okr.engine) as s:
        revoke_token("ci", session=s)
        fresh = create_token("ci-2", session=s, now=NOW)
    assert api.push("KR-1", {"value": 2}).status == 401
    assert api.get("KR-1").status == 401
    assert Api(okr.url, fresh).push("KR-1", {"value": 3}).status == 201
    assert [r.value for r in stored(okr.engine)] == [1, 3]


def test_another_workspaces_token_cannot_read_or_write_this_workspaces_krs(okr, api):
    with session_scope(okr.engine, "T0OTHER") as s:
        other = create_token("ci", session=s, now=NOW)
    for ref in ("KR-1", "d7-activation", "KR-999"):
        push, get = api.push(ref, {"value": 1}, token=other), api.get(ref, token=other)
        assert (push.status, get.status) == (404, 404)
        assert push.detail == get.detail == api.get("KR-999").detail
    assert stored(okr.engine) == [] and stored(okr.engine, "T0OTHER") == []


def test_an_id_two_live_krs_share_gets_409_naming_their_refs(okr, api):
    with session_scope(okr.engine) as s:
        first = s.exec(select(Objective)).one()
        second = Objective(team_id=first.team_id, cycle_id=first.cycle_id, key="next", title="Next")
        s.add(second)
        s.flush()
        s.add(KeyResult(objective_id=second.id, key="d7-activation", title="Again", owner_id="U0BOB", baseline=0,
                        target=1))
    reply = api.push("d7-activation", {"value": 1})
    assert reply.status == 409 and "KR-1, KR-4" in reply.detail
    assert stored(okr.engine) == []


def test_an_archived_kr_is_not_found(okr, api):
    with session_scope(okr.engine) as s:
        s.exec(select(KeyResult).where(KeyResult.ref == 1)).one().archived_at = NOW
    assert api.push("KR-1", {"value": 1}).status == 404


@pytest.mark.parametrize("body, words", [
    ({"value": "1,5"}, "decimals use a dot"),
    ({"value": "lots"}, "is not a number"),
    ({"value": True}, "value: a number"),
    ({"value": None}, "value: a number"),
    ({"value": 1e13}, "within a trillion"),
    ({}, "value: required"),
    ({"value": 1, "at": "yesterday"}, "not an ISO 8601 time"),
    ({"value": 1, "at": "2026-11-23T09:00:00"}, "add a time zone"),
    ({"value": 1, "at": "2026-11-24T09:00:00Z"}, "in the future"),
    ({"value": 1, "note": "x" * 3001}, "at most 3,000"),
    ({"value": 1, "vaule": 2}, "vaule: unknown field"),
    ([1], "must be a JSON object"),
])
def test_a_bad_body_gets_422_with_a_sentence(okr, api, body, words):
    reply = api.push("KR-1", body)
    assert reply.status == 422 and words in reply.detail, reply.body
    assert stored(okr.engine) == []


def test_non_json_and_nan_are_refused(okr, api):
    assert "not valid JSON" in api.push("KR-1", None, raw=b"{value: 1").detail
    assert api.push("KR-1", None, raw=b'{"value": NaN}').status == 422
    assert api.push("KR-1", None, raw=b'{"value": 1e999}').status == 422
    assert api.push("KR-1", None, raw=b'{"value": ' + b"9" * 400 + b"}").status == 422
    assert stored(okr.engine) == []


def test_a_body_over_64_kb_gets_413(okr, api):
    reply = api.push("KR-1", {"value": 1, "note": "x" * 70_000})
    assert reply.status == 413 and "65,536 bytes" in reply.detail
    assert stored(okr.engine) == []


def test_a_retry_with_the_same_idempotency_key_returns_the_first_answer_and_stores_once(okr, api):
    key = {"Idempotency-Key": "run-4711"}
    first = api.push("KR-1", {"value": 30}, headers=key)
    okr.clock.set(NOW + timedelta(minutes=3))
    again = api.push("KR-1", {"value": 31}, headers=key)
    assert first.status == again.status == 201 and again.body == first.body
    assert [r.value for r in stored(okr.engine)] == [30]
    assert api.push("KR-1", {"value": 31}, headers={"Idempotency-Key": "run-4712"}).status == 201
    assert api.push("KR-1", {"value": 1}, headers={"Idempotency-Key": "x" * 201}).status == 422
    assert [r.value for r in stored(okr.engine)] == [30, 31]


def test_the_openapi_document_describes_both_endpoints(okr, api):
    reply = api.call("GET", "/openapi.json", token="")
    assert reply.status == 200
    paths = reply.body["paths"]
    assert set(paths) == {"/key-results/{ref}/values", "/key-results/{ref}"}
    assert "201" in paths["/key-results/{ref}/values"]["post"]["responses"]
    assert reply.body["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_an_id_reused_from_an_ended_cycle_names_the_running_kr(okr, api):
    from datetime import date

    from storage.models import Cycle

    with session_scope(okr.engine) as s:
        team_id = s.exec(select(Objective)).one().team_id
        q3 = Cycle(name="2026-Q3", start=date(2026, 7, 1), end=date(2026, 9, 30))
        s.add(q3)
        s.flush()
        old = Objective(team_id=team_id, cycle_id=q3.id, key="onboarding", title="Onboarding")
        s.add(old)
        s.flush()
        s.add(KeyResult(objective_id=old.id, key="d7-activation", title="Q3's", owner_id="U0ALICE", baseline=0,
                        target=1))
    reply = api.push("d7-activation", {"value": 30})
    assert reply.status == 201 and reply.body["ref"] == "KR-1"
    # Its own reference still reaches the ended cycle's KR (a late number for last quarter).
    assert api.push("KR-4", {"value": 0.5}).status == 201
