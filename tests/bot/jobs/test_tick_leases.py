"""Tickers of several instances on one database: each workspace-minute computed once, a holder renewing while its
fan-out runs, and a dead holder's workspace taken over and finished, nothing sent twice."""

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path


from bot.jobs.tick import JOBS, Ticker
from bot.okr_files.importer import import_file
from bot.settings import Settings
from bot.slack.client import make_client
from storage import leases
from storage.db import session_scope
from tests.bot.jobs.test_tick import CLIENT_ID, DUE, GROWTH, GatedClient, _install

ROOT = Path(__file__).resolve().parents[3]
MINUTE = timedelta(minutes=1)


def _workspaces(engine, *teams: str) -> Settings:
    for team_id in teams:
        _install(engine, team_id, f"xoxb-{team_id.lower()}")
        with session_scope(engine, team_id) as session:
            import_file(str(GROWTH), session=session)
    return Settings(client_id=CLIENT_ID, client_secret="cs", signing_secret="s")


def _posts(fake) -> Counter:
    # A DM counts by person, posted to the user id or to its DM channel (the fake's "D" + user id): a claim taken
    # over from a killed instance learns the channel (conversations.open) to look the message up there first.
    return Counter((call.token, call.params["channel"].removeprefix("D")) for call in fake.calls_to("chat.postMessage")
                   if call.status == 200 and call.error is None)


def _every_message_once(fake, *teams: str) -> dict:
    return {(f"xoxb-{team.lower()}", channel): 1 for team in teams for channel in ("U0ALICE", "U0BOB", "C0GROWTH")}


def _client(fake):
    return lambda target: make_client(target.token, fake.url, backoff=0.0, jitter=0.0)


def _results(started: dict) -> dict:
    return {workspace: future.result(timeout=30) for workspace, future in started.items()}


def test_two_tickers_compute_each_workspace_once_per_minute(engine, fake_slack):
    teams = ("T1", "T2", "T3", "T4")
    settings = _workspaces(engine, *teams)
    tickers = [Ticker(settings, engine, clients=_client(fake_slack), holder=name) for name in ("a", "b")]
    try:
        for minute in range(3):
            now = DUE + minute * MINUTE + timedelta(seconds=minute)
            both = [_results(ticker.tick(now=now)) for ticker in tickers]
            computed = Counter(workspace for results in both for workspace, result in results.items()
                               if result is not None)
            # A workspace with work is computed by one of them; later minutes compute only workspaces whose wake
            # (storage.wake) came round, never one twice.
            assert set(computed.values()) <= {1}, minute
            if minute == 0:
                assert computed == {team: 1 for team in teams}
                # Both asked for every workspace; the one that lost a claim did nothing else for it.
                assert all(set(results) == set(teams) for results in both)
    finally:
        for ticker in tickers:
            ticker.shutdown()
    assert _posts(fake_slack) == _every_message_once(fake_slack, *teams)


def test_a_dead_holders_workspace_is_taken_over_once_its_lease_runs_out(engine, fake_slack):
    settings = _workspaces(engine, "T1")
    # An instance claimed T1 for DUE's minute and died before sending anything: it never renews or releases.
    assert leases.claim("T1", holder="dead", now=DUE, engine=engine)
    ticker = Ticker(settings, engine, clients=_client(fake_slack), holder="alive")
    try:
        assert _results(ticker.tick(now=DUE + MINUTE)) == {"T1": None}
        assert _posts(fake_slack) == {}
        taken = _results(ticker.tick(now=DUE + 2 * MINUTE))["T1"]
        assert sorted(taken["prompts"].sent) == ["U0ALICE", "U0BOB"]
    finally:
        ticker.shutdown()
    assert _posts(fake_slack) == _every_message_once(fake_slack, "T1")
    assert leases.holders(engine=engine)["T1"][0] == "alive"


def test_a_renewing_holder_keeps_its_workspace_and_stops_once_taken_over(engine, fake_slack):
    settings = _workspaces(engine, "T1")
    gate = threading.Event()
    slow = Ticker(settings, engine, holder="slow",
                  clients=lambda t: GatedClient(make_client(t.token, fake_slack.url, backoff=0.0, jitter=0.0), gate))
    other = Ticker(settings, engine, clients=_client(fake_slack), holder="other")
    try:
        first = slow.tick(now=DUE)["T1"]
        deadline = time.monotonic() + 30
        while leases.holders(engine=engine).get("T1", ("",))[0] != "slow" and time.monotonic() < deadline:
            time.sleep(0.01)
        # The slow holder's fan-out outlasts its first lease; renewed, it keeps the workspace past that expiry.
        assert slow.renew(now=DUE + timedelta(seconds=80)) == set()
        assert _results(other.tick(now=DUE + 2 * MINUTE)) == {"T1": None}
        # It stops renewing (as when its process hangs): the other instance takes over and sends what it can.
        taken = _results(other.tick(now=DUE + 3 * MINUTE))["T1"]
        assert taken is not None and taken["digests"].sent
        assert slow.renew(now=DUE + 3 * MINUTE) == {"T1"}
        gate.set()
        stopped = first.result(timeout=30)
        # The old holder ends the job it was stuck in (the new holder wrote the same people meanwhile, so that job
        # may fail and be logged; it sends nothing twice either way) and runs no further job.
        names = [name for name, _ in JOBS]
        assert list(stopped) == names[:names.index("prompts") + 1]
        assert _results(other.tick(now=DUE + 4 * MINUTE))["T1"] is not None
    finally:
        gate.set()
        slow.shutdown()
        other.shutdown()
    assert _posts(fake_slack) == _every_message_once(fake_slack, "T1")


def test_an_instance_killed_mid_fan_out_is_taken_over_and_nothing_is_sent_twice(db_url, engine, fake_slack):
    settings = _workspaces(engine, "T1")
    child = subprocess.Popen([sys.executable, "-m", "tests.bot.jobs.lease_holder", db_url, fake_slack.url,
                              DUE.isoformat()], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "hanging", child.stderr.read()[-2000:]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert leases.holders(engine=engine)["T1"][0] == "doomed"
    assert sum(_posts(fake_slack).values()) == 1
    ticker = Ticker(settings, engine, clients=_client(fake_slack), holder="survivor")
    try:
        # The killed instance's lease runs its course; then the survivor takes T1 and sends all but the message the
        # killed one had claimed, which its outbox claim holds until that runs out too.
        assert _results(ticker.tick(now=DUE + MINUTE)) == {"T1": None}
        assert _results(ticker.tick(now=DUE + 2 * MINUTE))["T1"] is not None
        assert sum(_posts(fake_slack).values()) == 2
        _results(ticker.tick(now=DUE + 6 * MINUTE))
    finally:
        ticker.shutdown()
    assert _posts(fake_slack) == _every_message_once(fake_slack, "T1")


def test_every_instance_ticks_on_the_whole_minute_and_once_at_start_up(sqlite_engine):
    from app import start_scheduler

    ticks = []
    scheduler, ticker = start_scheduler(Settings(), sqlite_engine, clock=lambda: ticks.append(1) or DUE)
    try:
        job = scheduler.get_job("okrbot-tick")
        # Counted from a whole minute, so instances started at different seconds still tick together.
        assert (job.next_run_time.second, job.next_run_time.microsecond) == (0, 0)
        deadline = time.monotonic() + 10
        while not ticks and time.monotonic() < deadline:
            time.sleep(0.01)
        assert ticks, "no tick at start-up"
    finally:
        scheduler.shutdown(wait=False)
        ticker.shutdown()
