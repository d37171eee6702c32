"""Socket Mode: okrbot opens a WebSocket to Slack and gets its commands, clicks and events over it (no public URL).

Why not one of slack_sdk's Socket Mode clients. Measured against the fake Socket Mode endpoint
(bot/sim/fake_socket.py), with slack_sdk 3.48 and Bolt 1.30:
- the built-in client (what `slack_bolt.adapter.socket_mode` gives) does not notice a connection that drops without
  a close frame: its reader spins on the closed socket (28 s of CPU) until five failed pings, 57 s after the drop,
  and every command and click in that minute fails;
- the websocket-client one reconnects in half a second, but in 3 runs of 18 a `disconnect` soon after it connected
  hung its reader, leaving it with no connection for 10 s (until its monitor's next look), and it asked for 14 to
  17 URLs to make 9 connections (apps.connections.open is rate-limited).
So the WebSocket itself is the maintained `websockets` library and each envelope goes through Bolt's own dispatch
(as Bolt's adapters do); what is written here is the loop around them: ask apps.connections.open for a URL, read
envelopes, ack each on the connection it came on, and connect again at once when Slack says `disconnect` or the
socket drops (then after 1, 2, 4 ... 30 s while Slack cannot be reached).
"""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

from slack_bolt import App
from slack_bolt.adapter.socket_mode.internals import run_bolt_app
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI
from websockets.sync.client import ClientConnection, connect

from bot.settings import SettingsError
from bot.slack.client import TOKEN_ERRORS
from web.slack import AcksFirst

logger = logging.getLogger(__name__)

# Threads that run Bolt's listeners for envelopes (acks, and what a listener does before it acks).
WORKERS = 4
# Slack waits 3 s for an ack: after a `disconnect`, the old connection stays open this long for acks in flight.
RETIRE_SECONDS = 3.0
MAX_BACKOFF_SECONDS = 30.0
# What a connection attempt may fail with that is worth another try: Slack or the network, not the token.
RETRYABLE = (OSError, SlackApiError, InvalidHandshake, InvalidURI, ConnectionClosed)


class SocketMode:
    """Slack's Socket Mode for the Bolt app: run() serves until stop(), over one connection at a time."""

    def __init__(self, bolt: App, app_token: str, *, after_ack: AcksFirst | None = None, workers: int = WORKERS,
                 ping_seconds: float = 10.0):
        self.bolt = bolt
        self.app_token = app_token
        self.after_ack = after_ack
        self.ping_seconds = ping_seconds
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrbot-socket")
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._current: ClientConnection | None = None
        # Envelopes being worked on, per connection: a retired connection closes once its own are acked.
        self._in_flight: dict[ClientConnection, int] = {}
        self._closing: dict[ClientConnection, ExitStack] = {}
        self._idle = threading.Condition(self._lock)
        self.connections = 0

    def open_url(self) -> str:
        """A WebSocket URL for one connection (apps.connections.open, with the app-level token)."""
        return self.bolt.client.apps_connections_open(app_token=self.app_token)["url"]

    def connect(self) -> ClientConnection:
        """A new connection; SettingsError when Slack refuses SLACK_APP_TOKEN, else the error to retry on."""
        try:
            url = self.open_url()
        except SlackApiError as exc:
            error = exc.response.data.get("error") if isinstance(exc.response.data, dict) else None
            if error in TOKEN_ERRORS:
                raise SettingsError(f"Slack refused SLACK_APP_TOKEN ({error}): create an app-level token with the "
                                    "connections:write scope (Basic Information, App-Level Tokens) and set it as "
                                    "SLACK_APP_TOKEN; Socket Mode must be on for the app.") from None
            raise
        # websockets wants connect() used as a context manager; a connection outlives this call (the old one is
        # retired by another thread), so each one's exit is kept until it closes.
        closing = ExitStack()
        # Slack's pings keep the connection alive; ours notice a dead one within ping_seconds x 2.
        ws = closing.enter_context(connect(url, open_timeout=10, ping_interval=self.ping_seconds,
                                           ping_timeout=self.ping_seconds, close_timeout=2, compression=None,
                                           user_agent_header=None))
        with self._lock:
            self._current = ws
            self._in_flight[ws] = 0
            self._closing[ws] = closing
            self.connections += 1
        if self._stopping.is_set():
            # stop() came while this one was connecting, so it found nothing to close.
            self._forget(ws)
        return ws

    def run(self, *, first: ClientConnection | None = None) -> None:
        """Serve envelopes until stop(); reconnects on `disconnect`, a dropped socket or a failed connect."""
        failures = 0
        ws = first
        while not self._stopping.is_set():
            try:
                ws = ws or self.connect()
                failures = 0
                asked = self._read(ws)
            except SettingsError as exc:
                # The token worked at start-up: revoked or rotated since. Nothing can arrive until a person acts.
                failures += 1
                logger.error("%s Retrying in %.0f s.", exc, self._backoff(failures))
                ws = None
                self._stopping.wait(self._backoff(failures))
                continue
            except RETRYABLE as exc:
                failures += 1
                logger.warning("Socket Mode: cannot connect to Slack (%s); retrying in %.0f s", why_not_connected(exc),
                               self._backoff(failures))
                ws = None
                self._stopping.wait(self._backoff(failures))
                continue
            if asked:
                # Slack sends the next envelopes to the new connection; the old one stays open for its acks in flight.
                threading.Thread(target=self._retire, args=(ws,), name="okrbot-socket-retire", daemon=True).start()
            else:
                self._forget(ws)
                if not self._stopping.is_set():
                    logger.warning("Socket Mode: the connection to Slack dropped; reconnecting")
            ws = None

    def _read(self, ws: ClientConnection) -> bool:
        """Hand each envelope to a worker until the connection ends; True when Slack asked to reconnect."""
        try:
            for message in ws:
                try:
                    data = json.loads(message)
                except ValueError:
                    logger.warning("Socket Mode: ignored a message that is not JSON (%r)", str(message)[:80])
                    continue
                if not isinstance(data, dict):
                    continue
                if data.get("type") == "disconnect":
                    logger.info("Socket Mode: Slack asked for a new connection (%s)", data.get("reason"))
                    return True
                if data.get("envelope_id"):
                    if self._stopping.is_set():
                        # Unacked, Slack sends it again (an event) or tells the person; okrbot is going away.
                        continue
                    with self._lock:
                        self._in_flight[ws] = self._in_flight.get(ws, 0) + 1
                    self.pool.submit(self._handle, ws, data)
        except ConnectionClosed:
            pass
        return False

    def _handle(self, ws: ClientConnection, data: dict) -> None:
        """Run one envelope through Bolt and ack it with Bolt's answer as the payload."""
        if self.after_ack is not None:
            self.after_ack.answering(+1)
        try:
            request = SocketModeRequest.from_dict(data)
            if request is None:
                logger.warning("Socket Mode: ignored an envelope of type %r", data.get("type"))
                return
            response = run_bolt_app(self.bolt, request)
            ack: dict = {"envelope_id": request.envelope_id}
            if response.status != 200:
                # As Bolt's adapters do: no ack, so Slack reports the failure (or retries an event).
                logger.warning("Socket Mode: Bolt answered %s to a %s envelope; not acked", response.status,
                               request.type)
                return
            if response.body:
                content_type = (response.headers.get("content-type") or [""])[0]
                ack["payload"] = (json.loads(response.body) if content_type.startswith("application/json")
                                  else {"text": response.body})
            try:
                ws.send(json.dumps(ack))
            except ConnectionClosed:
                logger.warning("Socket Mode: the connection closed before a %s envelope was acked; Slack will "
                               "report it or send it again", request.type)
        except Exception:
            logger.exception("Socket Mode: unexpected failure on a %s envelope", data.get("type"))
        finally:
            if self.after_ack is not None:
                self.after_ack.answering(-1)
            with self._lock:
                self._in_flight[ws] = self._in_flight.get(ws, 1) - 1
                self._idle.notify_all()

    def _retire(self, ws: ClientConnection) -> None:
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight.get(ws, 0) <= 0, RETIRE_SECONDS)
        self._forget(ws)

    def _forget(self, ws: ClientConnection) -> None:
        with self._lock:
            self._in_flight.pop(ws, None)
            closing = self._closing.pop(ws, None)
            if self._current is ws:
                self._current = None
        if closing is not None:
            closing.close()

    @staticmethod
    def _backoff(failures: int) -> float:
        return min(MAX_BACKOFF_SECONDS, 2.0 ** (failures - 1))

    def stop(self) -> None:
        """Take no more envelopes, ack the ones being worked on (within Slack's 3 s), then close the connection."""
        self._stopping.set()
        with self._idle:
            self._idle.wait_for(lambda: all(n <= 0 for n in self._in_flight.values()), RETIRE_SECONDS)
            current = self._current
        if current is not None:
            self._forget(current)
        self.pool.shutdown(wait=True)


def why_not_connected(exc: BaseException) -> str:
    """One line about a failed connection attempt (never the URL: its ticket is a credential for a while)."""
    if isinstance(exc, SlackApiError):
        data = exc.response.data if isinstance(exc.response.data, dict) else {}
        return f"apps.connections.open answered HTTP {exc.response.status_code} {data.get('error') or ''}".rstrip()
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:160] if str(exc) else 'no detail'}"
