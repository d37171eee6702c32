"""The server around Slack's endpoints: /health, /metrics, no banner, acks at once, Bolt off the event loop, a
graceful stop."""

import threading
import urllib.parse
import time
import urllib.request
from datetime import UTC, datetime

from bot.slack import ids
from tests.conftest import SECRET, TOKEN


def test_health_answers_without_a_server_banner(served):
    reply = served.request("GET", "/health")
    assert (reply.status, reply.body) == (200, b"ok")
    assert "server" not in reply.headers
    assert served.request("HEAD", "/health").status == 200


def test_unknown_routes_and_methods_are_4xx(served):
    assert served.request("GET", "/nope").status == 404
    assert served.request("GET", "/slack/events").status == 405
    assert served.request("DELETE", "/health").status == 405
    # Without OAuth settings there are no install pages.
    assert served.request("GET", "/slack/install").status == 404


def test_metrics_show_request_latency_by_route_and_messages_by_kind(served):
    from bot.jobs.tick import run_tick
    from bot.slack.client import make_client

    assert served.slack.command("U0ALICE", "help").status == 200
    served.request("GET", "/no/such/page")
    run_tick(now=datetime(2026, 11, 27, 15, tzinfo=UTC), engine=served.engine,
             client=make_client(TOKEN, served.fake.url, backoff=0.0, jitter=0.0))
    text = served.request("GET", "/metrics").body.decode()
    assert 'okrbot_http_request_duration_seconds_count{route="/slack/events",status="200"}' in text
    assert 'route="unmatched",status="404"' in text
    assert 'okrbot_messages_total{error="",kind="prompt",outcome="sent"}' in text
    assert "okrbot_tick_duration_seconds_count" in text


def test_a_command_is_acked_empty_and_answered_through_its_response_url(served):
    url = served.fake.response_url()
    body = urllib.parse.urlencode({"team_id": "T0FAKE", "user_id": "U0ALICE", "command": "/okr", "text": "status",
                                   "response_url": url, "trigger_id": "trig-x"}).encode()
    from tests.web.test_limits import FORM, signed

    ack = served.request("POST", "/slack/events", body, {"Content-Type": FORM, **signed(body)})
    assert (ack.status, ack.body) == (200, b"")
    answer = served.fake.wait_for_answer(url, "trig-x")
    assert answer["response_type"] == "ephemeral" and "Growth" in str(answer["blocks"])


def test_slack_work_in_progress_does_not_hold_up_other_requests(served):
    served.fake.latency(1.0)  # every Slack call this click makes takes a second
    clicked = threading.Thread(target=served.slack.click, args=("U0ALICE", ids.OPEN_CHECKIN))
    clicked.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert served.request("GET", "/health").status == 200
    assert time.monotonic() - started < 0.5
    clicked.join()


def test_stop_lets_a_request_in_flight_finish(sqlite_engine, fake_slack):
    from app import start_http_app
    from bot.settings import Settings
    from bot.sim.signed import Clock, SignedSlack

    settings = Settings(bot_token=TOKEN, signing_secret=SECRET, api_url=fake_slack.url,
                        database_url=str(sqlite_engine.url), scheduler=False)
    url, stop = start_http_app(settings, sqlite_engine, clock=Clock(datetime(2026, 11, 23, 12, tzinfo=UTC)))
    fake_slack.latency(1.0)
    answers = []
    slack = SignedSlack(url, SECRET, fake=fake_slack)
    clicked = threading.Thread(target=lambda: answers.append(slack.click("U0ALICE", ids.OPEN_CHECKIN)))
    clicked.start()
    time.sleep(0.3)
    stop()
    clicked.join()
    assert answers[0].status == 200
    try:
        urllib.request.urlopen(url.replace("/slack/events", "/health"), timeout=2)
        raise AssertionError("the server still answers after stop()")
    except OSError:
        pass


def test_work_after_an_ack_waits_until_no_slack_request_is_being_answered():
    from web.slack import AcksFirst

    pool = AcksFirst(1, patience=5.0)
    try:
        pool.answering(+1)
        started = []
        job = pool.submit(lambda: started.append(time.monotonic()))
        time.sleep(0.2)
        assert started == []
        released = time.monotonic()
        pool.answering(-1)
        job.result(timeout=2)
        assert started[0] >= released
        # Under endless load it still runs, after its patience.
        impatient = AcksFirst(1, patience=0.1)
        impatient.answering(+1)
        assert impatient.submit(lambda: "ran").result(timeout=2) == "ran"
        impatient.shutdown()
    finally:
        pool.shutdown()


def test_wait_idle_returns_once_every_job_after_an_ack_has_finished():
    from web.slack import AcksFirst

    pool = AcksFirst(2, patience=0.0)
    try:
        done = []
        gate = threading.Event()
        pool.submit(lambda: (gate.wait(2), done.append("first")))
        pool.submit(lambda: done.append("second"))
        assert pool.wait_idle(timeout=0.1) is False  # the first job is still running
        gate.set()
        assert pool.wait_idle(timeout=2) is True
        assert sorted(done) == ["first", "second"]
        # A failing job counts as finished too.
        pool.submit(lambda: 1 / 0)
        assert pool.wait_idle(timeout=2) is True
    finally:
        pool.shutdown()
