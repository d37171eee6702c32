"""Slack's Socket Mode on loopback: apps.connections.open hands out ws:// URLs, the WebSocket carries envelopes.

As Slack does it (docs.slack.dev, "Using Socket Mode"): each URL from apps.connections.open is good for one
connection; a new connection first gets a `hello`; every slash command, interaction and event arrives as an
envelope {envelope_id, type, payload, accepts_response_payload}, and the app must answer each with
{envelope_id, payload?} within 3 seconds. Slack asks an app to reconnect with a `disconnect` message (reason
`refresh_requested`, `warning`, `link_disabled`), and a socket may also just drop.

The fake is strict where Slack would hurt the app: an ack later than 3 seconds (`operation_timeout`: the person sees
the error, an event is sent again), an ack that is not JSON, names no envelope, or carries a payload the envelope
does not accept (Slack drops it) is recorded as a Violation and fails the test (tests/conftest.py). SocketSlack sends
what SignedSlack sends over HTTP, and judges each ack's payload the way SignedSlack judges an HTTP answer
(bot/sim/fake_validate.py). The server is the maintained `websockets` library (okrbot's own Socket Mode client,
web/socket_mode.py, uses it too), not hand-written framing.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from bot.sim.fake_slack import FakeSlack
from bot.sim.fake_validate import Violation, record
from bot.sim.signed import Response, SignedSlack

# Slack's deadline for an envelope's ack, as for an HTTP answer.
ACK_SECONDS = 3.0
# Envelope types whose ack may carry a payload (Slack's table of Socket Mode payloads): a slash command's message,
# a view submission's response_action, an options request's options. Events, clicks and shortcuts may not.
ACCEPTS_PAYLOAD = {"slash_commands", "view_submission", "block_suggestion"}
LINK_PATH = "/link/"


@dataclass
class Envelope:
    """One envelope sent to the app, and its ack once it came (time.monotonic())."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    connection: int
    sent: float
    ack: dict[str, Any] | None = None
    acked: float | None = None


@dataclass
class Link:
    """One WebSocket connection from the app: its number (1, 2, ...), and how it ended."""

    number: int
    ticket: str
    conn: ServerConnection
    opened: float
    closed: float | None = None
    # "app" when the app closed it (as after a disconnect message), "fake" when drop() cut it.
    closed_by: str | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)


class SocketModeServer:
    """Socket Mode for one app of a FakeSlack: start() turns it on (the app-level token becomes valid for
    apps.connections.open); send() delivers an envelope to the app's newest connection and waits for its ack;
    disconnect() and drop() end a connection as Slack does. Thread-safe."""

    def __init__(self, fake: FakeSlack, *, app_token: str = "xapp-1-A0OKR-1-fake", app_id: str = "A0OKR",
                 ack_seconds: float = ACK_SECONDS):
        self.fake = fake
        # Slack's deadline; a test of the deadline itself may shorten it.
        self.ack_seconds = ack_seconds
        self.app_token = app_token
        self.app_id = app_id
        self.links: list[Link] = []
        self.envelopes: list[Envelope] = []
        # Acks Slack would refuse or drop, in order (also recorded for the test that caused them).
        self.violations: list[Violation] = []
        self._tickets: dict[str, bool] = {}  # ticket -> used
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> SocketModeServer:
        """Listen on a loopback port and turn Socket Mode on in the fake; returns self."""
        # Slack's pings are the app's business; the fake answers the app's pings (websockets does) and sends none,
        # so a test never waits on a keepalive. Slack sends no compressed frames either.
        self._server = serve(self._serve_link, "127.0.0.1", 0, process_request=self._check_ticket,
                             compression=None, ping_interval=None, server_header=None, close_timeout=1)
        self._thread = threading.Thread(target=self._server.serve_forever, name="FakeSocketMode", daemon=True)
        self._thread.start()
        with self.fake._lock:
            self.fake._socket_mode = self
            self.fake._app_tokens.add(self.app_token)
        return self

    def stop(self) -> None:
        """Close every connection and stop listening; the app token stops working."""
        with self.fake._lock:
            self.fake._app_tokens.discard(self.app_token)
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        """The loopback port the WebSocket server listens on."""
        return self._server.socket.getsockname()[1]

    def new_url(self) -> str:
        """A WebSocket URL for one connection, as apps.connections.open answers it (called with the fake's lock)."""
        ticket = secrets.token_hex(16)
        with self._changed:
            self._tickets[ticket] = False
        return f"ws://127.0.0.1:{self.port}{LINK_PATH}?ticket={ticket}&app_id={self.app_id}"

    # --- the app's connections -------------------------------------------------------------------------------

    def _check_ticket(self, conn: ServerConnection, request) -> Any:
        parts = urlsplit(request.path)
        ticket = (parse_qs(parts.query).get("ticket") or [""])[0]
        with self._changed:
            if parts.path != LINK_PATH or self._tickets.get(ticket) is not False:
                return conn.respond(HTTPStatus.UNAUTHORIZED, "invalid or used ticket: call apps.connections.open\n")
            self._tickets[ticket] = True
        conn.ticket = ticket
        return None

    def _serve_link(self, conn: ServerConnection) -> None:
        with self._changed:
            link = Link(len(self.links) + 1, conn.ticket, conn, time.monotonic())
            self.links.append(link)
            open_links = sum(1 for one in self.links if one.closed is None)
        try:
            conn.send(json.dumps({
                "type": "hello", "num_connections": open_links,
                "debug_info": {"host": "applink-fake", "build_number": 1, "approximate_connection_time": 18060},
                "connection_info": {"app_id": self.app_id}}))
            with self._changed:
                self._changed.notify_all()
            for message in conn:
                self._on_ack(link, message)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed = time.monotonic()
                link.closed_by = link.closed_by or "app"
                self._changed.notify_all()

    def _on_ack(self, link: Link, message: str | bytes) -> None:
        try:
            ack = json.loads(message)
        except (TypeError, ValueError):
            ack = None
        with self._changed:
            link.messages.append(ack if isinstance(ack, dict) else {"raw": repr(message)[:200]})
            if not isinstance(ack, dict) or not isinstance(ack.get("envelope_id"), str):
                self._violate("Socket Mode ack", "invalid_ack",
                              f"[ERROR] an ack must be a JSON object naming an envelope_id: {repr(message)[:80]}")
                return
            envelope = next((e for e in self.envelopes if e.envelope_id == ack["envelope_id"]), None)
            if envelope is None or envelope.ack is not None:
                self._violate("Socket Mode ack", "invalid_ack",
                              f"[ERROR] no envelope {ack['envelope_id']!r} awaits an ack")
                return
            envelope.ack, envelope.acked = ack, time.monotonic()
            where = f"{envelope.type} envelope {envelope.envelope_id} (ack)"
            late = envelope.acked - envelope.sent
            if late > self.ack_seconds:
                self._violate(where, "operation_timeout",
                              f"[ERROR] acked after {late:.1f} s; Slack waits {self.ack_seconds:g} s")
            if ack.get("payload") is not None and not envelope.accepts_response_payload:
                self._violate(where, "invalid_ack",
                              "[ERROR] this envelope does not accept a response payload: Slack drops it")
            elif ack.get("payload") is not None and not isinstance(ack["payload"], dict):
                self._violate(where, "invalid_ack", "[ERROR] payload must be a JSON object")
            self._changed.notify_all()

    def _violate(self, where: str, error: str, message: str) -> None:
        violation = Violation(where, error, (message,))
        self.violations.append(violation)
        record(violation)

    def _newest_open(self) -> Link | None:
        return next((link for link in reversed(self.links) if link.closed is None), None)

    def wait_for_links(self, count: int, timeout: float = 10.0) -> Link:
        """Block until the app has opened `count` connections in all and one of them is open; the newest open one."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                newest = self._newest_open()
                if len(self.links) >= count and newest is not None:
                    return newest
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"the app opened {len(self.links)} Socket Mode connection(s), not {count}, "
                                       f"within {timeout:g} s")
                self._changed.wait(left)

    def wait_closed(self, link: Link, timeout: float = 10.0) -> None:
        """Block until a connection has closed."""
        with self._changed:
            if not self._changed.wait_for(lambda: link.closed is not None, timeout):
                raise TimeoutError(f"connection {link.number} is still open after {timeout:g} s")

    # --- what Slack sends ------------------------------------------------------------------------------------

    def send(self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0) -> Envelope:
        """Deliver one envelope ("slash_commands", "interactive", "events_api") to the app's newest connection and
        wait for its ack; raises TimeoutError when there is no connection, or no ack within `timeout`."""
        accepts = kind in ACCEPTS_PAYLOAD or (kind == "interactive" and payload.get("type") in ACCEPTS_PAYLOAD)
        link = self.wait_for_links(1, timeout)
        envelope = Envelope(str(uuid.uuid4()), kind, payload, accepts, link.number, time.monotonic())
        message = {"envelope_id": envelope.envelope_id, "type": kind, "payload": payload,
                   "accepts_response_payload": accepts}
        if kind == "events_api":
            message.update(retry_attempt=0, retry_reason="")
        with self._changed:
            self.envelopes.append(envelope)
        link.conn.send(json.dumps(message))
        with self._changed:
            if not self._changed.wait_for(lambda: envelope.ack is not None, timeout):
                raise TimeoutError(f"no ack for the {kind} envelope {envelope.envelope_id} within {timeout:g} s")
        return envelope

    def disconnect(self, reason: str = "refresh_requested") -> Link:
        """Ask the app to reconnect, as Slack does before it retires a connection; the connection asked."""
        link = self.wait_for_links(1)
        link.conn.send(json.dumps({"type": "disconnect", "reason": reason,
                                   "debug_info": {"host": "applink-fake"}}))
        return link

    def drop(self) -> Link:
        """Cut the newest connection without a close frame, as a network failure does; the connection cut."""
        link = self.wait_for_links(1)
        with self._changed:
            link.closed_by = "fake"
        try:
            # Both ways at once, no close frame: the app reads EOF, as when a proxy or the network gives up.
            link.conn.socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return link


class SocketSlack(SignedSlack):
    """SignedSlack's commands, clicks, submissions and events, sent as Socket Mode envelopes instead of HTTP.

    Each ack becomes the Response an HTTP answer would be (its payload as the body), so SignedSlack judges it the
    same way: a slash command's message, a view submission's response_action.
    """

    def __init__(self, server: SocketModeServer, *, team_id: str = "T0FAKE"):
        super().__init__("socket-mode", "", team_id=team_id, fake=server.fake)
        self.server = server

    def deliver(self, kind: str, payload: dict[str, Any], **_http: Any) -> Response:  # noqa: D102 - SignedSlack's
        envelope = self.server.send(kind, payload)
        answer = (envelope.ack or {}).get("payload")
        return Response(200, json.dumps(answer) if answer else "")
