"""Reading sources on schedule, end to end: a loopback HTTP source, real ticks, the fake Slack, both backends."""

from __future__ import annotations

import logging
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.jobs.sources import read_due_sources
from storage.db import session_scope
from storage.models import READ_AT_ONCE, CheckIn, KeyResult, ObservedValue
from tests.flows import checkins, kr_ids
from tests.source_server import MetricsServer

# Alice (New York) is prompted on Fridays at 10:00 there: Nov 27 15:00Z, so her sources are read at 14:00Z, and
# every day at 06:00 New York time (11:00Z).
PROMPT_DUE = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
ENV = {"OKRBOT_SOURCES_ALLOW_PRIVATE": "1"}


@pytest.fixture
def server():
    metrics = MetricsServer()
    yield metrics
    metrics.stop()


@pytest.fixture
def sourced(okr, server, monkeypatch):
    """Mid-week, Alice's d7-activation KR reads its number from the loopback server; she checked in 28.5% green."""
    monkeypatch.setenv("OKRBOT_SOURCES_ALLOW_PRIVATE", "1")
    okr.tick(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))  # last week's prompts, and everyone's zone
    okr.fake.clear_messages()
    with session_scope(okr.engine) as s:
        kr = s.exec(select(KeyResult).where(KeyResult.key == "d7-activation")).one()
        kr.source = server.source()
        s.add(CheckIn(kr_id=kr.id, author_id="U0ALICE", value=28.5, confidence="green",
                      created_at=datetime(2026, 11, 20, 15, tzinfo=UTC)))
    return okr


def _kr(okr, key="d7-activation") -> KeyResult:
    with session_scope(okr.engine) as s:
        return s.exec(select(KeyResult).where(KeyResult.key == key)).one()


def _observed(okr) -> list[tuple[float, str, str | None]]:
    with session_scope(okr.engine) as s:
        return [(o.value, o.origin, o.read_slot) for o in s.exec(select(ObservedValue).order_by(ObservedValue.id))]


def _read(okr, now):
    with session_scope(okr.engine) as s:
        return read_due_sources(now=now, session=s, environ=ENV, timeout=2.0)


def test_a_new_source_is_read_at_once_then_daily_and_before_the_prompt(sourced, server):
    assert _kr(sourced).source_next_read_at == READ_AT_ONCE
    now = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
    sourced.tick(now)
    assert server.hits == 1
    assert _observed(sourced) == [(31.5, "http", "2026-11-26T12:30Z")]
    kr = _kr(sourced)
    assert (kr.observed_value, kr.observed_origin, kr.observed_at) == (31.5, "http", now)
    # Next: Friday 06:00 in New York, then an hour before her 10:00 prompt.
    assert kr.source_next_read_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    # An idle minute reads nothing.
    sourced.tick(now + timedelta(minutes=1))
    assert server.hits == 1
    server.value = 32
    sourced.tick(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    assert _kr(sourced).source_next_read_at == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    server.value = 33
    sourced.tick(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    assert [v for v, _, _ in _observed(sourced)] == [31.5, 32, 33]
    assert [s for _, _, s in _observed(sourced)][1:] == ["2026-11-27T11:00Z", "2026-11-27T14:00Z"]


def test_a_rerun_of_the_same_slot_stores_the_value_once(sourced, server):
    slot = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    for _ in range(2):
        # As if the first run's result was lost after it was stored: the slot comes due again.
        with session_scope(sourced.engine) as s:
            s.get(KeyResult, kr_ids(sourced)["d7-activation"]).source_next_read_at = slot
        report = _read(sourced, slot + timedelta(minutes=3))
    assert server.hits == 2 and report.unchanged == ["KR-1"] and report.stored == []
    assert _observed(sourced) == [(31.5, "http", "2026-11-27T11:00Z")]


def test_two_processes_ticking_at_once_read_and_store_each_source_once(sourced, server):
    server.hang = 0.3  # long enough for both to be reading at once
    barrier = threading.Barrier(2)
    reports, errors = [], []

    def process():
        try:
            barrier.wait()
            reports.append(_read(sourced, datetime(2026, 11, 26, 12, 30, tzinfo=UTC)))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=process) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and server.hits == 1
    assert sorted(len(r.stored) for r in reports) == [0, 1]
    assert len(_observed(sourced)) == 1


def test_a_failure_is_noted_logged_and_shown_then_cleared(sourced, server, caplog):
    server.status = 503
    now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # the read an hour before Alice's prompt
    with session_scope(sourced.engine) as s:
        s.get(KeyResult, kr_ids(sourced)["d7-activation"]).source_next_read_at = now
    with caplog.at_level(logging.WARNING, logger="bot.jobs.sources"):
        sourced.tick(now)
    kr = _kr(sourced)
    # 09:00 in New York, the owner's time; tried again in half an hour.
    assert kr.source_note == "source failed: HTTP 503 at 09:00"
    assert kr.source_next_read_at == now + timedelta(minutes=30)
    (line,) = [r.getMessage() for r in caplog.records if r.name == "bot.jobs.sources"]
    assert re.fullmatch(r"source of KR-1 failed: HTTP 503.*; next try at 2026-11-27 14:30 UTC", line)
    status = str(sourced.slack.command("U0LEAD", "status growth").json()["blocks"])
    assert ":warning: source failed: HTTP 503 at 09:00" in status
    # Still failing half an hour later; the retry in the prompt's own tick succeeds, before the prompt is sent.
    sourced.tick(now + timedelta(minutes=30))
    assert _kr(sourced).source_next_read_at == PROMPT_DUE
    server.status = 200
    sourced.tick(PROMPT_DUE)
    kr = _kr(sourced)
    assert kr.source_note is None and kr.observed_value == 31.5 and kr.observed_at == PROMPT_DUE
    (prompt,) = [m for m in sourced.fake.dms_to("U0ALICE") if m["text"].startswith("Time for your weekly")]
    assert "source failed" not in str(prompt["blocks"]) and "from HTTP" in str(prompt["blocks"])


def test_the_owner_is_told_in_the_prompt_when_the_source_failed(sourced, server):
    server.status = 500
    with session_scope(sourced.engine) as s:
        s.get(KeyResult, kr_ids(sourced)["d7-activation"]).source_next_read_at = PROMPT_DUE
    sourced.tick(PROMPT_DUE)
    (prompt,) = [m for m in sourced.fake.dms_to("U0ALICE") if m["text"].startswith("Time for your weekly")]
    assert ":warning: source failed: HTTP 500 at 10:00. Type the value yourself" in str(prompt["blocks"])


def test_a_zone_change_moves_the_next_reads(sourced, server):
    sourced.tick(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    assert _kr(sourced).source_next_read_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    with session_scope(sourced.engine) as s:
        from storage.people import find_person

        find_person("U0ALICE", session=s).tz = "Asia/Tokyo"
    # The read already scheduled happens; the ones after it follow Tokyo's clock (06:00 there is 21:00Z).
    sourced.tick(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    assert _kr(sourced).source_next_read_at == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)


def test_a_changed_source_is_read_at_once_and_a_removed_one_never(sourced, server):
    sourced.tick(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    with session_scope(sourced.engine) as s:
        kr = s.get(KeyResult, kr_ids(sourced)["d7-activation"])
        kr.source = kr.source  # written again unchanged (a re-import): nothing to do
        assert kr.source_next_read_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
        kr.source = server.source("other")
    server.value = 40
    sourced.tick(datetime(2026, 11, 26, 12, 45, tzinfo=UTC))
    assert [v for v, _, _ in _observed(sourced)] == [31.5, 40]
    with session_scope(sourced.engine) as s:
        s.get(KeyResult, kr_ids(sourced)["d7-activation"]).source = None
    assert _kr(sourced).source_next_read_at is None


def test_end_to_end_the_source_prefills_the_prompt_and_the_checkin_keeps_it(sourced, server):
    server.value = "31.5%"
    sourced.tick(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    server.value = 32.5
    sourced.tick(datetime(2026, 11, 27, 14, 0, tzinfo=UTC))
    sourced.tick(PROMPT_DUE)
    (prompt,) = [m for m in sourced.fake.dms_to("U0ALICE") if m["text"].startswith("Time for your weekly")]
    assert "Data: *32.5%* from HTTP, 1 hour ago, +4% since the last check-in" in str(prompt["blocks"])
    status = str(sourced.slack.command("U0LEAD", "status growth").json()["blocks"])
    assert re.search(r"32\.5% of 35%( `[^`]+`)? · from HTTP, 1 hour ago", status)
    assert sourced.slack.command("U0ALICE", "checkin").status == 200
    view = sourced.fake.views_opened()[-1]
    kr_id = kr_ids(sourced)["d7-activation"]
    (value,) = [b["element"] for b in view["blocks"] if b.get("block_id", "").endswith(f":{kr_id}")
                and b["element"].get("action_id") and "initial_value" in b["element"]]
    assert value["initial_value"] == "32.5"
    sourced.clock.set(PROMPT_DUE + timedelta(minutes=5))
    resp = sourced.slack.submit("U0ALICE", view, {kr_id: ("32.5", "green", "")}, view_id="VSOURCE1")
    assert resp.status == 200 and resp.json()["response_action"] == "update"
    confirmed = checkins(sourced)[-1]
    assert (confirmed.value, confirmed.confidence, confirmed.author_id) == (32.5, "green", "U0ALICE")
    assert "Yours is kept" not in str(resp.json())


def test_an_imported_source_is_read_on_the_next_tick_and_a_reimport_changes_nothing(okr, server, tmp_path,
                                                                                     monkeypatch):
    from tests.conftest import FIXTURES

    monkeypatch.setenv("OKRBOT_SOURCES_ALLOW_PRIVATE", "1")
    text = (FIXTURES / "growth.yaml").read_text().replace(
        "        target: 35\n",
        f"        target: 35\n        source: {{type: http, url: \"{server.url}/a.json\", path: data.d7}}\n", 1)
    path = tmp_path / "okrs.yaml"
    path.write_text(text)
    okr.import_file(path)
    assert _kr(okr).source_next_read_at == READ_AT_ONCE
    okr.tick(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert _observed(okr) == [(31.5, "http", "2026-11-26T12:00Z")]
    # Read before okrbot knew Alice's zone (the prompts job asks Slack after it): 06:00 on her team's clock, London.
    assert _kr(okr).source_next_read_at == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    okr.import_file(path)
    assert _kr(okr).source_next_read_at == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    # From then on her own clock: 06:00 in New York.
    okr.tick(datetime(2026, 11, 27, 6, 0, tzinfo=UTC))
    assert _kr(okr).source_next_read_at == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def test_reads_stop_when_the_cycle_is_over_or_there_is_no_source(sourced, server):
    with session_scope(sourced.engine) as s:
        s.get(KeyResult, kr_ids(sourced)["wau"]).source_next_read_at = READ_AT_ONCE  # due, but without a source
    # Jan 1, 2027 in New York: the 2026-Q4 cycle is over.
    report = _read(sourced, datetime(2027, 1, 1, 12, 0, tzinfo=UTC))
    assert report.ended == 2 and server.hits == 0
    assert _kr(sourced).source_next_read_at is None and _kr(sourced, "wau").source_next_read_at is None


def test_a_sleeping_workspace_wakes_for_its_next_source_read(sourced, server):
    from bot.jobs.tick import run_workspace
    from bot.slack.workspaces import Installed
    from tests.conftest import TOKEN

    def tick(now):
        return run_workspace(Installed("", TOKEN), now=now, engine=sourced.engine, client_for=lambda _t: sourced.client)

    # The source was just set (a write): the next minute reads it, and the job says when it reads next.
    results = tick(datetime(2026, 11, 26, 12, 30, tzinfo=UTC))
    assert server.hits == 1 and results["sources"].next_due == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    tick(datetime(2026, 11, 26, 12, 31, tzinfo=UTC))
    tick(datetime(2026, 11, 27, 10, 59, tzinfo=UTC))
    assert server.hits == 1
    # Asleep until then, the workspace wakes for the 06:00 New York read.
    tick(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))
    assert server.hits == 2
