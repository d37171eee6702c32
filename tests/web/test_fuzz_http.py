"""Fuzzing the running server with raw HTTP: sizes, encodings, headers and methods never get a 5xx, never log a
traceback, and never grow the process's memory."""

import logging
import time
import urllib.parse
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sim.fake_slack import sign_request
from tests.conftest import SECRET
from tests.web.conftest import read_reply

# Half the requests go where Slack's do, the rest anywhere.
METHODS = st.one_of(st.just("POST"), st.sampled_from(["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH",
                                                      "TRACE", "FOO"]))
PATHS = st.one_of(st.just("/slack/events"), st.sampled_from([
    "/slack/events", "/health", "/metrics", "/slack/install", "/slack/oauth_redirect", "/", "/slack/events?x=%ff&y",
    "/slack/events/../health", "//slack//events", "/%00", "/" + "a" * 3000]))
CONTENT_TYPES = st.sampled_from(["application/x-www-form-urlencoded", "application/json", "text/plain", "",
                                 "multipart/form-data; boundary=x", "application/json; charset=latin-1", "\x7f"])
JUNK = st.sampled_from([b"{not json", b"payload=%7Bnot", b"payload=%5B%5D", b"payload=null", b"\xff\xfe\xfd",
                        b"text=help&command=/okr", b'{"type": "event_callback", "event": 5}', b"{}", b"[]", b"null",
                        b'{"type": "url_verification", "challenge": "x"}', b"payload=" + b"%7B" * 2000,
                        b'{"type": "block_actions", "actions": "no", "user": []}', b"ssl_check=1", b"\x00" * 64,
                        b'{"type": "event_callback", "event": {"type": "app_home_opened", "user": {}}}',
                        b'{"type": "event_callback", "event": {"type": "user_change", "user": 1}}',
                        b'payload={"type":"block_actions","user":{"id":"U0ALICE"},"trigger_id":"t",'
                        b'"actions":[{"action_id":"okr_open_status","value":{}}]}',
                        b'payload={"type":"view_submission","user":{"id":"U0ALICE"},"view":{"callback_id":"okr_checkin",'
                        b'"private_metadata":[]}}',
                        b"command=/okr&user_id=U0ALICE&trigger_id=t&response_url=http://127.0.0.1:9/x&text=status"])
BODIES = st.one_of(JUNK, st.binary(max_size=4000), st.text(max_size=2000).map(str.encode))
HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
                        max_size=80)
TIMESTAMPS = st.one_of(st.just("now"), st.just("stale"), st.sampled_from(["", "abc", "-5", "1e9", "9" * 30, " 1"]))


def head_line(method: str, path: str) -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n".encode("latin-1")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(method=METHODS, path=PATHS, content_type=CONTENT_TYPES, body=BODIES, timestamp=TIMESTAMPS,
       sign=st.booleans(), extra=st.dictionaries(st.sampled_from(["X-Slack-Signature", "X-Slack-Retry-Num",
                                                                  "Transfer-Encoding", "Expect", "Cookie", "Accept"]),
                                                 HEADER_VALUES, max_size=3),
       framing=st.sampled_from(["length", "chunked", "none"]))
def test_raw_http_never_gets_a_5xx_or_a_traceback(served, caplog, method, path, content_type, body, timestamp,
                                                  sign, extra, framing):
    ts = {"now": str(int(time.time())), "stale": str(int(time.time()) - 3600)}.get(timestamp, timestamp)
    headers = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, **extra}
    if sign:
        headers["X-Slack-Signature"] = sign_request(SECRET, ts, body)
    if framing == "chunked":
        headers.pop("Transfer-Encoding", None)
        raw = (head_line(method, path) + b"Transfer-Encoding: chunked\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1") + b"\r\n"
               + (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n")
    else:
        headers.pop("Transfer-Encoding", None)
        length = f"Content-Length: {len(body)}\r\n".encode() if framing == "length" else b""
        raw = (head_line(method, path) + length
               + "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode("latin-1") + b"\r\n"
               + (body if framing == "length" else b""))
    with caplog.at_level(logging.WARNING):
        with served.connect() as sock:
            sock.sendall(raw)
            reply = read_reply(sock, 5)
    assert reply.status is not None and reply.status < 500, (raw[:300], reply)
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def test_hostile_bodies_leave_memory_flat(served):
    """Hundreds of refused bodies, each up to the limit or far past it, cost no memory that stays."""
    def burst():
        for n in range(60):
            body = b"x" * 990_000
            served.request("POST", "/slack/events", body, {"Content-Type": "application/json"})
            served.raw(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 500000000\r\n\r\n" + b"y" * 65536)
            form = urllib.parse.urlencode({"payload": "{" * 200_000}).encode()
            served.request("POST", "/slack/events", form, {"Content-Type": "application/x-www-form-urlencoded"})
            if n % 10 == 0:
                with served.connect() as sock:
                    sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
                    try:
                        for _ in range(40):
                            sock.sendall(b"10000\r\n" + b"z" * 65536 + b"\r\n")
                    except OSError:
                        pass

    burst()  # the first round settles the allocator's arenas
    before = rss_mb()
    burst()
    burst()
    grown = rss_mb() - before
    assert grown < 25, f"RSS grew {grown:.1f} MB over 120 rounds of hostile bodies"
    assert served.request("GET", "/health").status == 200
