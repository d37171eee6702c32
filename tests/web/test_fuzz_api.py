"""Fuzzing the API's body and headers over real HTTP: never a 5xx, and a refused request stores nothing."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from storage.db import open_session, session_scope
from storage.models import KeyResult, ObservedValue
from storage.tokens import create_token
from tests.web.api_client import Api
from web.api import build_api
from web.limits import RateLimit
from web.server import HttpServer, bind

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=80), st.sampled_from(["35%", "1,200", "3.5k", "-0", "1,5", "1e3", "$12", " 7 "]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                      st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                    max_leaves=12)
TIMES = st.one_of(st.none(), st.text(max_size=40), st.datetimes().map(lambda d: d.isoformat()),
                  st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
                  st.sampled_from(["2026-11-23T11:00:00Z", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00"]))
BODIES = st.one_of(
    st.fixed_dictionaries({"value": JSON}, optional={"note": JSON, "at": TIMES, "extra": JSON}),
    JSON,
)
RAW = st.one_of(st.binary(max_size=300), st.sampled_from([
    b'{"value": NaN}', b'{"value": -Infinity}', b"", b'{"value": 1e400}', b'{"value": 1, "value": "x"}',
    b'{"value": "\\ud800"}', b'{"note": "\\u0000", "value": 2}', b'{"value": 1, "note": "a\\u0000b"}',
    b'{"value": "\\u0000"}', b'{"value": 1, "at": "2026-11-23T11:00:00\\u0000Z"}']))
# Percent-escapes reach the endpoint decoded: a NUL, a lone surrogate's bytes, a slash.
REFS = st.sampled_from(["KR-1", "kr-2", "KR-0", "KR-99999999999", "d7-activation", "wau", "d7%00", "%ED%A0%80", "%00",
                        "KR-1%2F..", "..", "x" * 300])


@pytest.fixture
def fuzz_api(engine):
    from bot.okr_files.importer import import_file
    from tests.conftest import FIXTURES

    with session_scope(engine) as s:
        import_file(str(FIXTURES / "growth.yaml"), session=s)
        token = create_token("fuzz", session=s, now=NOW)
    api = build_api(engine, clock=lambda: NOW, limit=RateLimit(per_minute=10**9, burst=10**9))
    server = HttpServer(api, bind("127.0.0.1", 0)).start()
    yield Api(f"http://127.0.0.1:{server.port}", token, prefix=""), engine
    server.stop()


def _rows(engine):
    with open_session(engine) as s:
        return list(s.exec(select(ObservedValue)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ref=REFS, body=BODIES, raw=st.one_of(st.none(), RAW),
       key=st.one_of(st.none(), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=220)))
def test_a_push_is_stored_whole_or_not_at_all_and_never_answered_500(fuzz_api, ref, body, raw, key):
    api, engine = fuzz_api
    before = _rows(engine)
    headers = {"Idempotency-Key": key} if key else {}
    data = raw if raw is not None else json.dumps(body).encode()
    reply = api.push(ref, None, raw=data, headers=headers)
    assert reply.status in (201, 404, 409, 413, 422), (reply.status, reply.body)
    after = _rows(engine)
    if reply.status != 201:
        assert len(after) == len(before) and reply.detail
        return
    new = [r for r in after if r.id not in {b.id for b in before}]
    if not new:  # an Idempotency-Key already used: the first answer again
        assert key and any(r.idempotency_key == key for r in before)
        return
    (row,) = new
    assert math.isfinite(row.value) and row.value == reply.body["value"] and 0 <= reply.body["score"] <= 1
    assert row.observed_at <= NOW
    with open_session(engine) as s:
        kr = s.get(KeyResult, row.kr_id)
        # The KR shows its newest observed value, whatever order the values arrived in.
        assert kr.observed_at == max(r.observed_at for r in after if r.kr_id == kr.id)


@pytest.mark.parametrize("raw", [b'{"value": ' + b"9" * 5000 + b"}", b'{"value": 1, "note": ' + b"[" * 5000 + b"]" * 5000
                                 + b"}", b'{"value": "' + b"\\u00e9" * 3000 + b'"}'])
def test_pathological_json_is_refused_with_a_sentence(fuzz_api, raw):
    api, engine = fuzz_api
    reply = api.push("KR-1", None, raw=raw)
    assert reply.status == 422 and reply.detail
    assert _rows(engine) == []
