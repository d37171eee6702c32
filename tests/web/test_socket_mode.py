"""`serve` in Socket Mode, as a real process, against the fake Socket Mode endpoint (bot/sim/fake_socket.py): the
check-in flow, the Home tab and /okr status work as over HTTP, every ack is one Slack accepts, and a `disconnect`
or a dropped socket costs one new connection, not the envelopes after it."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from slack_bolt import App

from app import serve
from bot import cli
from bot.sim.fake_socket import SocketModeServer, SocketSlack
from bot.slack import ids
from bot.slack.client import make_client
from tests.conftest import OkrEnv
from tests.flows import PROMPT, buttons, checkins, kr_ids, wait_for
from tests.test_processes import ROOT, env_for, seed
from web.socket_mode import SocketMode

APP_TOKEN = "xapp-1-A0OKR-1-socket"
OWNER = "U00000PROC"


@pytest.fixture
def socket_mode(fake_slack):
    """Socket Mode turned on in the fake Slack, for the app-level token APP_TOKEN."""
    server = SocketModeServer(fake_slack, app_token=APP_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def served(db_url, engine, fake_slack, socket_mode, tmp_path):
    """`okrbot serve` in Socket Mode with its scheduler, over one team whose weekly prompt is due now."""
    # serve reads the real clock: a cycle around today, check-ins due at 00:00 today (UTC), no digest due.
    today = datetime.now(UTC).date()
    seed(db_url, fake_slack, owners=2, teams=1, cycle_start=today - timedelta(days=30),
         cycle_end=today + timedelta(days=30), checkin_day=today.weekday(), digest_day=(today.weekday() + 3) % 7)
    env = env_for(db_url, fake_slack, SLACK_APP_TOKEN=APP_TOKEN, OKRBOT_SCHEDULER="on")
    # Socket Mode needs no signing secret: nothing reaches okrbot over HTTP.
    env.pop("SLACK_SIGNING_SECRET")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve"], env=env, cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        socket_mode.wait_for_links(1, timeout=60)
        yield OkrEnv(fake=fake_slack, engine=engine, clock=None, slack=SocketSlack(socket_mode), client=None,
                     url=f"ws://127.0.0.1:{socket_mode.port}"), proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def status_text(answer) -> str:
    body = answer.json()
    return body["text"] + str(body.get("blocks") or "")


def test_serve_in_socket_mode_checks_in_answers_and_survives_reconnects(served, socket_mode):
    okr, proc = served
    fake = okr.fake
    # The scheduler runs in Socket Mode too: the week's prompt, with its Check in button.
    prompts = wait_for(lambda: [m for m in fake.dms_to(OWNER) if m["text"].startswith(PROMPT)], timeout=30)
    assert len(prompts) == 1
    (check_in,) = [b for b in buttons(prompts[0]) if b["action_id"] == ids.OPEN_CHECKIN]
    (actions,) = [b for b in prompts[0]["blocks"] if b["type"] == "actions" and check_in in b["elements"]]

    # /okr checkin: an empty ack within 3 s, then the modal, opened with the trigger_id of that command.
    answer = okr.slack.command(OWNER, "checkin")
    assert answer.status == 200 and answer.body == ""
    opened = fake.calls_to("views.open")[-1]
    assert opened.error is None and opened.params["trigger_id"] == socket_mode.envelopes[-1].payload["trigger_id"]
    view = fake.views_opened()[-1]
    assert view["callback_id"] == ids.CHECKIN_VIEW

    # The submission: its ack carries the confirmation (response_action, judged as an HTTP answer is), and the
    # check-in is in the database.
    kr = kr_ids(okr)["k0"]
    answer = okr.slack.submit(OWNER, view, {kr: ("4", "green", "Halfway, ahead of plan")}, view_id=view["id"])
    assert answer.json()["response_action"] == "update"
    assert "score *0.40*" in str(answer.json()["view"]["blocks"])
    ((stored_kr, value, confidence, note),) = [(c.kr_id, c.value, c.confidence, c.note) for c in checkins(okr)]
    assert (stored_kr, value, confidence, note) == (kr, 4.0, "green", "Halfway, ahead of plan")

    # A block action: the prompt's Check in button opens the modal again, with that click's trigger_id.
    assert okr.slack.click(OWNER, ids.OPEN_CHECKIN, check_in["value"], block_id=actions["block_id"]).status == 200
    reopened = wait_for(lambda: len(fake.calls_to("views.open")) == 2 and fake.calls_to("views.open")[-1])
    assert reopened.error is None and reopened.params["trigger_id"] == socket_mode.envelopes[-1].payload["trigger_id"]
    assert fake.views_opened()[-1]["callback_id"] == ids.CHECKIN_VIEW

    # An event: opening the Home tab publishes it, showing the KR as just checked in.
    fake.reset_calls()
    okr.slack.event({"type": "app_home_opened", "user": OWNER, "channel": f"D{OWNER}", "tab": "home"})
    home = wait_for(lambda: fake.calls_to("views.publish") and fake.published_home(OWNER))
    assert "Increase metric 0 from 0 to 10" in str(home["blocks"])

    # /okr status: the answer reaches the command's response_url, as over HTTP.
    assert "Increase metric 0 from 0 to 10" in status_text(okr.slack.command(OWNER, "status"))

    # Slack retires a connection: the app opens a new one and closes the old; the next envelopes use the new one.
    first = socket_mode.disconnect("refresh_requested")
    second = socket_mode.wait_for_links(2)
    socket_mode.wait_closed(first)
    assert first.closed_by == "app"
    assert "Team 0" in status_text(okr.slack.command(OWNER, "status Team 0"))
    assert socket_mode.envelopes[-1].connection == second.number

    # The socket drops without a close frame: the app connects again at once.
    socket_mode.drop()
    third = socket_mode.wait_for_links(3)
    assert "Increase metric 0 from 0 to 10" in status_text(okr.slack.command(OWNER, "status me"))
    assert socket_mode.envelopes[-1].connection == third.number

    # One apps.connections.open per new connection (two since the reset above), each with the app-level token;
    # every envelope acked, none late or refused.
    opens = fake.calls_to("apps.connections.open")
    assert len(opens) == 2 and {c.token for c in opens} == {APP_TOKEN} and all(c.error is None for c in opens)
    assert all(e.ack is not None for e in socket_mode.envelopes) and socket_mode.violations == []

    # SIGTERM: the envelopes being worked on finish, the process says so and exits 0.
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    err = proc.stderr.read()
    assert "okrbot stopped" in err and "Traceback" not in err and "Warning" not in err, err[-3000:]


def test_an_app_token_slack_refuses_is_one_sentence_and_exit_2(tmp_path, capsys, fake_slack, socket_mode):
    env = {"SLACK_BOT_TOKEN": "xoxb-start", "SLACK_APP_TOKEN": "xapp-1-A0OKR-1-revoked",
           "SLACK_API_URL": fake_slack.url, "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}",
           "OKRBOT_SCHEDULER": "off"}
    code = cli.main(["serve"], serve=serve, env=env)
    err = capsys.readouterr().err
    assert code == 2
    assert "Slack refused SLACK_APP_TOKEN (invalid_auth)" in err and "connections:write" in err
    assert "Traceback" not in err and "xapp-1-A0OKR-1-revoked" not in err
    assert [c.error for c in fake_slack.calls_to("apps.connections.open")] == ["invalid_auth"]


# --- web/socket_mode.SocketMode in-process, with a small Bolt app whose listener can be held back -------------------

@pytest.fixture
def held(fake_slack, socket_mode):
    """SocketMode serving a Bolt app whose /hold command acks only once `release` is set; (client, release, and
    `entered`, set when a /hold is being worked on)."""
    release, entered = threading.Event(), threading.Event()
    bolt = App(client=make_client("xoxb-held", fake_slack.url, backoff=0.0, jitter=0.0),
               token_verification_enabled=False, request_verification_enabled=False)

    @bolt.command("/hold")
    def hold(ack, body):
        entered.set()
        release.wait(5)
        ack(text=f"done: {body['text']}")

    client = SocketMode(bolt, APP_TOKEN)
    reader = threading.Thread(target=client.run, daemon=True)
    reader.start()
    socket_mode.wait_for_links(1)
    yield client, release, entered
    release.set()
    client.stop()
    reader.join(timeout=10)


def hold(socket_mode, text: str):
    """Send /hold in a thread (its ack waits for the release); the thread and where its envelope will be."""
    sent: list = []
    thread = threading.Thread(target=lambda: sent.append(socket_mode.send("slash_commands", {
        "command": "/hold", "text": text, "user_id": OWNER, "team_id": "T0FAKE"})), daemon=True)
    thread.start()
    wait_for(lambda: socket_mode.envelopes)
    return thread, sent


def test_after_a_disconnect_an_envelope_in_flight_is_acked_on_its_own_connection(held, socket_mode):
    client, release, entered = held
    thread, sent = hold(socket_mode, "before")
    assert entered.wait(5)
    first = socket_mode.disconnect("refresh_requested")
    socket_mode.wait_for_links(2)
    assert first.closed is None  # kept open: its envelope is not acked yet
    release.set()
    thread.join(timeout=5)
    (envelope,) = sent
    assert envelope.connection == first.number and envelope.ack["payload"] == {"text": "done: before"}
    socket_mode.wait_closed(first)
    assert first.closed_by == "app" and socket_mode.violations == []


def test_slack_down_while_reconnecting_is_retried_until_it_answers(held, fake_slack, socket_mode, caplog):
    # The client's own two retries of a 5xx, then SocketMode's backoff (1 s), then a URL.
    fake_slack.fail_next("apps.connections.open", status=503, count=3)
    socket_mode.drop()
    socket_mode.wait_for_links(2, timeout=10)
    assert [c.status for c in fake_slack.calls_to("apps.connections.open")][-4:] == [503, 503, 503, 200]
    said = "cannot connect to Slack (apps.connections.open answered HTTP 503 internal_error); retrying in 1 s"
    assert said in caplog.text


def test_stop_acks_the_envelopes_being_worked_on_before_it_closes(held, socket_mode):
    client, release, entered = held
    thread, sent = hold(socket_mode, "last")
    assert entered.wait(5)
    threading.Timer(0.2, release.set).start()
    client.stop()
    thread.join(timeout=5)
    assert sent[0].ack["payload"] == {"text": "done: last"}
    # The fake's own thread records the close once it reads the close frame, a moment after stop() returns.
    deadline = time.monotonic() + 5
    while socket_mode.links[0].closed is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert socket_mode.links[0].closed is not None and socket_mode.violations == []
