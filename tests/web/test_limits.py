"""Hostile requests get a short answer and cost nothing: 413 before the body, 401 before parsing, 400 with one line."""

import json
import logging
import socket
import time
import urllib.parse

import pytest

from bot.sim.fake_slack import sign_request
from bot.slack import ids
from tests.conftest import SECRET
from tests.web.conftest import read_reply

FORM = "application/x-www-form-urlencoded"


def signed(body: bytes, *, secret: str = SECRET, timestamp: str | None = None) -> dict:
    ts = timestamp or str(int(time.time()))
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sign_request(secret, ts, body)}


def no_tracebacks(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]


def test_a_content_length_over_the_limit_is_refused_before_the_body_is_read(served):
    with served.connect() as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 10000000\r\n\r\n")
        # Not one byte of the body was sent: the answer can only come from the header.
        reply = read_reply(sock, 5)
    assert reply.status == 413 and b"1,000,000 bytes" in reply.body
    assert reply.headers.get("connection") == "close"


def test_a_chunked_body_is_counted_and_cut_off_at_the_limit(served):
    chunk = b"x" * 100_000
    with served.connect() as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                     b"Content-Type: application/json\r\n\r\n")
        try:
            for _ in range(30):  # 3 MB if the server kept reading
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except OSError:
            pass
        reply = read_reply(sock, 5)
    assert reply.status == 413


def test_a_body_that_does_not_arrive_in_time_is_answered_408(served):
    with served.connect() as sock:
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf")
        started = time.monotonic()
        reply = read_reply(sock, 5)
    assert reply.status == 408 and time.monotonic() - started < 3


@pytest.mark.parametrize("headers", [
    {},
    {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"},
    {"X-Slack-Request-Timestamp": "9" * 40, "X-Slack-Signature": "v0=00"},
    {"X-Slack-Request-Timestamp": "-5", "X-Slack-Signature": "v0=00"},
    {"X-Slack-Signature": "v0=00"},
    "stale", "other-secret",
], ids=["none", "timestamp-abc", "timestamp-huge", "timestamp-negative", "no-timestamp", "stale", "other-secret"])
@pytest.mark.parametrize("body", [b"{not json", b"payload=%7Bnot", b"\xff\xfe\x00bad utf-8", b"", b"text=help"],
                         ids=["json", "payload", "utf8", "empty", "form"])
def test_unsigned_or_stale_requests_get_401_before_any_parsing(served, caplog, headers, body):
    if headers == "stale":
        headers = signed(body, timestamp=str(int(time.time()) - 600))
    elif headers == "other-secret":
        headers = signed(body, secret="not-the-secret")
    with caplog.at_level(logging.INFO):
        reply = served.request("POST", "/slack/events", body, {"Content-Type": FORM, **headers})
    assert reply.status == 401
    assert no_tracebacks(caplog) == []
    assert served.fake.calls == []


def form(payload: dict) -> bytes:
    return b"payload=" + urllib.parse.quote(json.dumps(payload)).encode()


USER = {"user": {"id": "U0ALICE"}, "trigger_id": "t1"}


@pytest.mark.parametrize("body", [
    b'{"type": "event_callback", "event": {"type": "app_home_opened"}}',
    b'{"type": "event_callback", "event": {"type": "app_home_opened", "user": 5}}',
    b'{"type": "event_callback", "event": {"type": "user_change", "user": "U0ALICE"}}',
    b'{"type": "event_callback", "event": {"type": "tokens_revoked", "tokens": 5}}',
    form({"type": "block_actions", "actions": [{"action_id": ids.OPEN_CHECKIN}]}),
    form({"type": "block_actions", "user": {"id": "U0ALICE"}, "actions": [{"action_id": ids.OPEN_CHECKIN}]}),
    form({"type": "block_actions", **USER, "actions": [{"action_id": ids.OPEN_STATUS, "value": 5}]}),
    form({"type": "block_actions", **USER, "actions": [{"action_id": ids.SKIP_WEEK, "value": ["x"]}]}),
    form({"type": "block_actions", **USER, "actions": [{"action_id": ids.PICK_OBJECTIVE, "selected_option": 5}]}),
    form({"type": "view_submission", "view": {"callback_id": ids.CHECKIN_VIEW}}),
    form({"type": "view_submission", **USER, "view": {"callback_id": ids.CHECKIN_VIEW, "state": 5}}),
    urllib.parse.urlencode({"command": "/okr", "user_id": "U0ALICE", "text": "status"}).encode(),
], ids=["home-no-user", "home-user-int", "user-change-str", "tokens-int", "click-no-user", "click-no-trigger",
        "status-value-int", "skip-value-list", "pick-option-int", "submit-no-user", "submit-state-int",
        "command-no-response-url"])
def test_signed_payloads_of_shapes_slack_never_sends_get_400(served, caplog, body):
    content_type = "application/json" if body.startswith(b"{") else FORM
    with caplog.at_level(logging.INFO):
        reply = served.request("POST", "/slack/events", body, {"Content-Type": content_type, **signed(body)})
    assert reply.status == 400, reply
    assert no_tracebacks(caplog) == []


@pytest.mark.parametrize("body,content_type", [
    (b"{not json", "application/json"),
    (b"{not json", FORM),
    (b"payload=%7Bnot", FORM),
    (b"payload=" + urllib.parse.quote(json.dumps([1, 2])).encode(), FORM),
    (b"payload=" + urllib.parse.quote(json.dumps({"team": "T", "user": 5})).encode(), FORM),
    (b"[1, 2]", "application/json"),
    (b'{"type": "event_callback", "event": 5}', "application/json"),
    (b"payload=" + urllib.parse.quote(json.dumps({"type": "block_actions", "actions": ["x"]})).encode(), FORM),
], ids=["json", "json-as-form", "payload", "payload-list", "payload-odd-shapes", "json-list", "event-not-object",
        "actions-not-objects"])
def test_signed_but_malformed_requests_get_400_and_one_log_line(served, caplog, body, content_type):
    with caplog.at_level(logging.INFO):
        reply = served.request("POST", "/slack/events", body, {"Content-Type": content_type, **signed(body)})
    assert reply.status == 400, reply
    assert no_tracebacks(caplog) == []
    assert len([r for r in caplog.records if "not a Slack payload" in r.getMessage()]) == 1


@pytest.mark.parametrize("head", [
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
    b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    b"GARBAGE\r\n\r\n",
    b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
], ids=["negative-length", "text-length", "two-lengths", "garbage", "nul-in-path"])
def test_broken_http_gets_400_and_no_traceback(served, caplog, head):
    with caplog.at_level(logging.INFO):
        reply = served.raw(head)
    assert reply.status == 400
    assert no_tracebacks(caplog) == []


def test_headers_over_the_cap_get_431(served):
    reply = served.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert reply.status == 431


def test_a_header_of_any_length_costs_at_most_the_cap(served):
    with served.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 20_000_000:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except OSError:
            pass
        reply = read_reply(sock, 5)
    # Refused at the cap and closed, so the sender hits a reset once the kernel's socket buffers (a few MB on
    # loopback) are full; had the server kept buffering the header, all 20 MB would have gone through.
    assert sent < 10_000_000 and reply.status in (431, None)


def test_slow_headers_are_cut_off_at_the_deadline_and_others_are_still_answered(served):
    slow = []
    for _ in range(20):
        sock = served.connect()
        sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
        slow.append(sock)
    try:
        assert served.request("GET", "/health").status == 200
        time.sleep(0.3)
        for sock in slow:  # a header line now and then keeps uvicorn's own keep-alive timer from firing
            sock.sendall(b"X-Slow: 1\r\n")
        time.sleep(0.6)
        closed = 0
        for sock in slow:
            sock.settimeout(2)
            try:
                closed += sock.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == len(slow)
    finally:
        for sock in slow:
            sock.close()


def test_connections_over_the_cap_get_503_at_once(served):
    idle = []
    try:
        for _ in range(40):  # SHORT's cap
            idle.append(socket.create_connection((served.host, served.port)))
        time.sleep(0.1)
        reply = served.request("GET", "/health")
        assert reply.status == 503
    finally:
        for sock in idle:
            sock.close()
    time.sleep(0.1)
    assert served.request("GET", "/health").status == 200
