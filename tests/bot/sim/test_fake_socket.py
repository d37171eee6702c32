"""The fake Socket Mode endpoint: apps.connections.open's token rules, one connection per URL, `hello`, and acks
judged as Slack judges them (late, malformed, a payload where none is accepted, a message Slack refuses)."""

from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from bot.sim.fake_slack import FakeSlack
from bot.sim.fake_socket import SocketModeServer, SocketSlack

APP_TOKEN = "xapp-1-A0OKR-1-test"


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running


@pytest.fixture
def server(fake):
    running = SocketModeServer(fake, app_token=APP_TOKEN, ack_seconds=0.5).start()
    yield running
    running.stop()


def open_url(fake, token) -> str:
    web = WebClient(base_url=fake.url, timeout=5)
    web.retry_handlers.clear()
    return web.apps_connections_open(app_token=token)["url"]


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_apps_connections_open_takes_only_this_apps_app_level_token_in_the_header(fake, server):
    url = open_url(fake, APP_TOKEN)
    assert url.startswith(f"ws://127.0.0.1:{server.port}/link/?ticket=") and url.endswith("&app_id=A0OKR")
    assert error_of(lambda: open_url(fake, "xoxb-a-bot-token")) == "not_allowed_token_type"
    assert error_of(lambda: open_url(fake, "xapp-1-A0OKR-1-other")) == "invalid_auth"
    # Slack's method page: the token goes in the Authorization header; as a POST parameter it is an error.
    body = urllib.request.urlopen(urllib.request.Request(
        fake.url + "apps.connections.open", data=f"token={APP_TOKEN}".encode(), method="POST"), timeout=5).read()
    assert json.loads(body) == {"ok": False, "error": "invalid_auth"}
    fake.revoke(APP_TOKEN)
    assert error_of(lambda: open_url(fake, APP_TOKEN)) == "token_revoked"


def test_an_app_level_token_is_refused_by_the_bot_methods(fake, server):
    web = WebClient(token=APP_TOKEN, base_url=fake.url, timeout=5)
    web.retry_handlers.clear()
    assert error_of(lambda: web.chat_postMessage(channel="U0BOT", text="hi")) == "not_allowed_token_type"


def test_without_socket_mode_no_app_token_is_valid(fake):
    assert error_of(lambda: open_url(fake, APP_TOKEN)) == "invalid_auth"


def test_a_url_is_good_for_one_connection_which_starts_with_hello(fake, server):
    url = open_url(fake, APP_TOKEN)
    with connect(url) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0OKR"}
        with pytest.raises(InvalidStatus) as refused:
            connect(url)
        assert refused.value.response.status_code == 401
    server.wait_closed(server.links[0])
    assert [link.closed_by for link in server.links] == ["app"]


def answering(ws, answer):
    """Answer every envelope on `ws` with answer(envelope) (a message to send), in a thread; skip the hello."""
    def run():
        for message in ws:
            data = json.loads(message)
            if "envelope_id" in data:
                ws.send(answer(data))
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def command_form(fake) -> dict:
    return {"command": "/okr", "text": "status", "user_id": "U0BOT", "team_id": "T0FAKE",
            "response_url": fake.response_url(), "trigger_id": fake.issue_trigger()}


def test_an_envelope_carries_what_slack_sends_and_a_good_ack_passes(fake, server):
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        seen = []
        answering(ws, lambda e: seen.append(e) or json.dumps(
            {"envelope_id": e["envelope_id"], "payload": {"text": "ok"}} if e["accepts_response_payload"]
            else {"envelope_id": e["envelope_id"]}))
        server.send("slash_commands", command_form(fake))
        server.send("interactive", {"type": "block_actions", "actions": []})
        server.send("events_api", {"type": "event_callback", "event": {"type": "app_home_opened"}})
    assert [(e["type"], e["accepts_response_payload"]) for e in seen] == [
        ("slash_commands", True), ("interactive", False), ("events_api", False)]
    assert seen[2]["retry_attempt"] == 0
    assert server.violations == [] and all(e.ack is not None for e in server.envelopes)


@pytest.mark.slack_rejects("invalid_ack")
def test_an_ack_with_a_payload_the_envelope_does_not_accept_is_refused(fake, server):
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        answering(ws, lambda e: json.dumps({"envelope_id": e["envelope_id"], "payload": {"text": "lost"}}))
        server.send("events_api", {"type": "event_callback", "event": {"type": "app_home_opened"}})
        ws.send("{not json")
        ws.send(json.dumps({"envelope_id": "no-such-envelope"}))
        ws.send(json.dumps({"envelope_id": server.envelopes[0].envelope_id}))  # a second ack
        server.wait_for_links(1)
    # The fake's own thread records each one as it reads it, possibly a moment after the connection closed here.
    deadline = time.monotonic() + 5
    while len(server.violations) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    errors = [(v.error, v.messages[0]) for v in server.violations]
    assert [e for e, _ in errors] == ["invalid_ack"] * 4
    said = " | ".join(message for _, message in errors)
    assert "does not accept a response payload" in said and "JSON object" in said
    assert "no envelope 'no-such-envelope'" in said


@pytest.mark.slack_rejects("operation_timeout")
def test_an_ack_after_the_deadline_is_an_operation_timeout(fake, server):
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        gate = threading.Event()
        answering(ws, lambda e: gate.wait(0.8) or json.dumps({"envelope_id": e["envelope_id"]}))
        envelope = server.send("slash_commands", command_form(fake))
    assert envelope.acked - envelope.sent > 0.5
    assert [v.error for v in server.violations] == ["operation_timeout"]


@pytest.mark.slack_rejects("invalid_blocks")
def test_socket_slack_judges_an_acks_payload_as_an_http_answer(fake, server):
    bad = {"text": "status", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]}
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        answering(ws, lambda e: json.dumps({"envelope_id": e["envelope_id"], "payload": bad}))
        slack = SocketSlack(server)
        answer = slack.command("U0BOT", "status")
    assert answer.json() == bad
    assert [v.error for v in slack.violations] == ["invalid_blocks"]
    assert "[json-pointer:/blocks/0/text/text]" in slack.violations[0].messages[0]


def test_disconnect_and_drop_end_a_connection_as_slack_does(fake, server):
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        server.disconnect("refresh_requested")
        assert json.loads(ws.recv(timeout=5)) == {"type": "disconnect", "reason": "refresh_requested",
                                                  "debug_info": {"host": "applink-fake"}}
    server.wait_closed(server.links[0])
    with connect(open_url(fake, APP_TOKEN)) as ws:
        ws.recv(timeout=5)
        link = server.drop()
        server.wait_closed(link)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)
    assert [one.closed_by for one in server.links] == ["app", "fake"]
    with pytest.raises(TimeoutError):
        server.send("events_api", {"type": "event_callback", "event": {}}, timeout=0.2)
