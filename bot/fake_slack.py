"""A fake of the Slack Web API on loopback, with call recording and deterministic fault injection."""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import json
import math
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["Call", "FakeSlack", "render", "sign_request"]

# Timestamps count up from here so that tests see the same "1700000000.000100" sequence on every run.
_TS_BASE_SECONDS = 1_700_000_000
_TS_STEP_MICROS = 100
# slack_sdk sends these as JSON strings inside form bodies; tests want the decoded objects.
_JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
# Slack's own limits.
_MESSAGE_BLOCKS = 50
_VIEW_BLOCKS = 100
_MESSAGE_CHARS = 40_000
_DEFAULT_ERRORS = {429: "ratelimited"}
# Methods an app calls with its client id and secret instead of a token (Slack's OAuth exchange).
_CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})


@dataclass(frozen=True)
class Call:
    """One request the fake answered; status is the HTTP status, error the Slack error if any."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int
    error: str | None = None


class _ApiError(Exception):
    """An answer of {"ok": false, "error": ...}, with its HTTP status and headers."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, detail: str = ""):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.detail = detail


@dataclass
class _Install:
    """A workspace that has approved the app: the code Slack hands back, and what exchanging it yields."""

    code: str
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    enterprise_id: str | None
    enterprise_name: str | None
    installer: str
    scope: str
    used: bool = False

    @property
    def bot_id(self) -> str:
        """The bot id Slack pairs with the bot user, as FakeSlack's own bot does."""
        return _bot_id(self.bot_user_id)


@dataclass
class _Fault:
    """A fail_next rule: how the next `remaining` matching calls fail."""

    method: str | None
    status: int
    error: str
    retry_after: int
    remaining: int


@dataclass
class _RandomFaults:
    """The set_failure_rate settings."""

    rate: float
    statuses: tuple[int, ...]
    methods: frozenset[str] | None
    rng: random.Random
    retry_after: int


class _Window:
    """A sliding window admitting `limit` calls per `period` seconds."""

    def __init__(self, limit: int, period: float):
        self.limit = limit
        self.period = period
        self.hits: deque[float] = deque()

    def wait(self, now: float) -> int | None:
        """Whole seconds until a slot frees (at least 1), or None when a slot is free now."""
        while self.hits and now - self.hits[0] >= self.period:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return None
        return max(1, math.ceil(self.hits[0] + self.period - now))

    def take(self, now: float) -> None:
        """Use one slot."""
        self.hits.append(now)


def _missing(field: str) -> _ApiError:
    return _ApiError("invalid_arguments", detail=f"[ERROR] missing required field: {field}")


def _user_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part) for part in value]
    return []


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    header = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    params: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if part.get_filename():
            params[name] = payload
        else:
            params[name] = payload.decode(part.get_content_charset() or "utf-8")
    return params


class _Server(ThreadingHTTPServer):
    """The HTTP server, holding a reference to its FakeSlack."""

    daemon_threads = True

    def __init__(self, fake: FakeSlack):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal (timeouts, retries); anything else is a bug worth keeping.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError):
            with self.fake._lock:
                self.fake.errors.append(exc)


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method> to FakeSlack and writes its JSON answer."""

    server: _Server
    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:
        """Answer a Web API call."""
        parts = urlsplit(self.path)
        if not parts.path.startswith("/api/"):
            self._send(404, {}, {"ok": False, "error": "not_found"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        status, headers, payload = self.server.fake._answer(parts.path[len("/api/") :], parts.query, self.headers, body)
        self._send(status, headers, payload)

    do_GET = do_POST

    def _send(self, status: int, headers: Mapping[str, str], payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Stay quiet: tests and the demo print what matters themselves."""


def sign_request(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 X-Slack-Signature of `body` sent at `timestamp`, for driving an app the way Slack does."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class FakeSlack:
    """The Slack Web API on 127.0.0.1, for slack_sdk's WebClient(base_url=fake.url).

    Users and channels must be added before use, as in a real workspace (the bot user is always there).
    Every call is recorded in `.calls`; fail_next, set_failure_rate, set_rate_limits and latency inject
    faults. add_install plays other workspaces installing the app (oauth.v2.access, then auth.test per token)
    and revoke plays an uninstall. All methods are thread-safe.
    """

    def __init__(self, *, team_id: str = "T0FAKE", bot_user_id: str = "U0BOT", tokens: Iterable[str] | None = None,
                 client_id: str | None = None, client_secret: str | None = None):
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.bot_id = _bot_id(bot_user_id)
        self.team_name = "Fake Workspace"
        self.team_domain = "fake-workspace"
        self.errors: list[BaseException] = []
        self._tokens = frozenset(tokens) if tokens is not None else None
        # The app's OAuth credentials; None accepts any non-empty value, so tests need not configure them.
        self._client_id = client_id
        self._client_secret = client_secret
        self._installs: dict[str, _Install] = {}
        self._install_tokens: dict[str, _Install] = {}
        self._revoked: set[str] = set()
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[Call] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._opened_dms: set[str] = set()
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._opened: list[str] = []
        self._pushed: list[str] = []
        self._homes: dict[str, str] = {}
        self._ts_micros = _TS_BASE_SECONDS * 1_000_000
        self._view_counter = 0
        self._hash_counter = 0
        self._faults: list[_Fault] = []
        self._random: _RandomFaults | None = None
        self._method_windows: dict[str, _Window] = {}
        self._channel_rate: float | None = None
        self._channel_windows: dict[str, _Window] = {}
        self._clock: Callable[[], float] = time.monotonic
        self._latency = 0.0
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "oauth.v2.access": self._oauth_v2_access,
            "team.info": self._team_info,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
        }
        self.add_user(bot_user_id, name="okrbot", real_name="OKR Bot", is_bot=True)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on an ephemeral loopback port in a daemon thread; returns self."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("FakeSlack is already running")
            self._server = _Server(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="FakeSlack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release the port; safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        """Start, for `with FakeSlack() as fake:`."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop."""
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        with self._lock:
            if self._server is None:
                raise RuntimeError("FakeSlack is not running; call start() first")
            return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base_url for slack_sdk, e.g. "http://127.0.0.1:PORT/api/"."""
        return f"http://127.0.0.1:{self.port}/api/"

    # --- workspace setup ---------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "UTC",
        name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        deleted: bool = False,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Add (or replace) a workspace member; tz must be an IANA zone name."""
        _zone(tz)
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name,
                "real_name": real_name or name,
                "tz": tz,
                "is_admin": is_admin,
                "deleted": deleted,
                "email": email,
                "is_bot": is_bot,
            }

    def set_user_tz(self, user_id: str, tz: str) -> None:
        """Move a known user to another IANA time zone."""
        _zone(tz)
        with self._lock:
            self._user(user_id)["tz"] = tz

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> None:
        """Deactivate (or reactivate) a known user."""
        with self._lock:
            self._user(user_id)["deleted"] = deleted

    def add_channel(
        self, channel_id: str, *, name: str | None = None, is_private: bool = False, is_archived: bool = False
    ) -> None:
        """Add (or replace) a public or private channel the bot is a member of."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name or channel_id.lower(),
                "is_private": is_private,
                "is_archived": is_archived,
                "is_mpim": False,
            }

    def dm_channel_id(self, user_id: str) -> str:
        """The bot's DM channel id with user_id (what conversations.open answers)."""
        return "D" + user_id

    # --- installs (multi-workspace OAuth) ----------------------------------------------------------

    def add_install(
        self,
        code: str,
        *,
        team_id: str,
        team_name: str,
        bot_token: str,
        bot_user_id: str = "U0BOT",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        installer: str = "U0INSTALLER",
        scope: str = "chat:write,commands,users:read",
    ) -> None:
        """Register the code Slack would redirect with after team_id approves the app; oauth.v2.access redeems it once.

        Users and channels stay shared by all workspaces: calls tell workspaces apart by the token they carry.
        """
        if not code or not bot_token:
            raise ValueError("an install needs a code and a bot token")
        with self._lock:
            if code in self._installs:
                raise ValueError(f"code {code!r} is already registered")
            install = _Install(code, team_id, team_name, bot_token, bot_user_id, enterprise_id,
                               enterprise_name if enterprise_id else None, installer, scope)
            self._installs[code] = install
            self._install_tokens[bot_token] = install

    def revoke(self, token: str) -> None:
        """Revoke a token, as uninstalling does: every later call with it answers token_revoked."""
        with self._lock:
            self._revoked.add(token)

    # --- fault injection ---------------------------------------------------------------------------

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next `count` calls to method (any method when None) fail with `status`.

        429 answers carry Retry-After and "ratelimited"; 5xx answers "internal_error"; status 200 needs
        an `error` and answers {"ok": false, "error": error}. Rules queue up in the order given.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if status == 200 and not error:
            raise ValueError("a status-200 failure needs an error, e.g. error='channel_not_found'")
        if not 200 <= status <= 599:
            raise ValueError(f"status must be an HTTP status, not {status}")
        with self._lock:
            self._faults.append(_Fault(method, status, error or _default_error(status), int(retry_after), count))

    def set_failure_rate(
        self,
        rate: float,
        *,
        statuses: Iterable[int] = (429, 500),
        methods: Iterable[str] | None = None,
        seed: int = 0,
        retry_after: int = 0,
    ) -> None:
        """Fail each matching call with probability rate, picking a status, from a seeded RNG; rate 0 turns it off."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        statuses = tuple(statuses)
        if not statuses or any(not 400 <= s <= 599 for s in statuses):
            raise ValueError("statuses must be non-empty HTTP error statuses")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        with self._lock:
            if rate == 0:
                self._random = None
                return
            self._random = _RandomFaults(
                rate=rate,
                statuses=statuses,
                methods=frozenset(methods) if methods is not None else None,
                rng=random.Random(seed),
                retry_after=int(retry_after),
            )

    def set_rate_limits(
        self,
        per_method_per_minute: Mapping[str, int] | None,
        *,
        channel_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Enforce Slack-like sliding-window limits per method and chat.postMessage per channel; None turns them off."""
        limits = dict(per_method_per_minute or {})
        if any(limit < 1 for limit in limits.values()):
            raise ValueError("per-minute limits must be at least 1")
        if channel_per_second is not None and channel_per_second <= 0:
            raise ValueError("channel_per_second must be positive")
        with self._lock:
            self._method_windows = {method: _Window(limit, 60.0) for method, limit in limits.items()}
            self._channel_rate = channel_per_second
            self._channel_windows = {}
            self._clock = clock

    def latency(self, seconds: float) -> None:
        """Delay every answer by `seconds` (0 turns it off)."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        with self._lock:
            self._latency = float(seconds)

    def clear_faults(self) -> None:
        """Drop pending fail_next rules, the failure rate, rate limits and latency."""
        with self._lock:
            self._faults.clear()
            self._random = None
            self._method_windows = {}
            self._channel_rate = None
            self._channel_windows = {}
            self._latency = 0.0

    # --- inspection --------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in the order answered (a snapshot)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one Web API method, in the order answered."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def reset_calls(self) -> None:
        """Forget the recorded calls (the workspace state stays)."""
        with self._lock:
            self._calls.clear()

    def clear_messages(self) -> None:
        """Forget stored messages, as if everyone had read and deleted them (users and channels stay)."""
        with self._lock:
            self._messages.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages in posting order (updates applied, deletions gone), optionally of one channel or DM."""
        with self._lock:
            wanted = self._resolve_quietly(channel) if channel is not None else None
            return [copy.deepcopy(m) for m in self._messages.values() if wanted is None or m["channel"] == wanted]

    def dms_to(self, user_id: str) -> list[dict[str, Any]]:
        """Messages in the bot's DM with user_id, whether posted to the DM id or to the user id."""
        return self.messages(self.dm_channel_id(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """chat.postEphemeral messages, optionally only those shown to user_id."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._ephemerals if user_id is None or m["user"] == user_id]

    def views_opened(self) -> list[dict[str, Any]]:
        """Modals opened with views.open, in order, each as currently stored (views.update applies)."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._opened]

    def views_pushed(self) -> list[dict[str, Any]]:
        """Modals pushed with views.push, in order, each as currently stored."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._pushed]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """One stored view by id, or None."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for user_id, or None."""
        with self._lock:
            view_id = self._homes.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id is not None else None

    def render(self, blocks_or_message: Any) -> str:
        """render() with user mentions shown by the names of this workspace's users."""
        with self._lock:
            names = {uid: user["name"] for uid, user in self._users.items()}
        return render(blocks_or_message, user_names=names)

    # --- request handling --------------------------------------------------------------------------

    def _answer(
        self, method: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """The HTTP status, extra headers and JSON body for one call, recorded in .calls."""
        arrived = self._clock()  # the rate limiter's clock, so simulated runs stamp calls in simulated time
        with self._lock:
            delay = self._latency
        if delay:
            time.sleep(delay)
        params, parse_error = _parse_params(query, headers.get("Content-Type") or "", body)
        token = _bearer(headers.get("Authorization"))
        if "token" in params:
            token = token or (str(params["token"]) or None)
            del params["token"]
        credentials = None
        if method in _CLIENT_AUTH_METHODS:
            # The secret is checked, never recorded: .calls ends up in test failure output.
            credentials = _basic(headers.get("Authorization")) or (
                str(params.get("client_id") or ""), str(params.pop("client_secret", "") or ""))
        with self._lock:
            try:
                self._inject_faults(method, params)
                if credentials is not None:
                    self._check_client(*credentials)
                else:
                    if token is None:
                        raise _ApiError("not_authed")
                    if token in self._revoked:
                        raise _ApiError("token_revoked")
                    if self._tokens is not None and token not in self._tokens and token not in self._install_tokens:
                        raise _ApiError("invalid_auth")
                if parse_error:
                    raise _ApiError(parse_error)
                handler = self._methods.get(method)
                if handler is None:
                    raise _ApiError("unknown_method")
                # auth.test is the one method whose answer depends on whose token asks.
                answer = self._auth_test(params, token) if method == "auth.test" else handler(params)
                status, extra, payload = 200, {}, {"ok": True, **answer}
            except _ApiError as exc:
                status, extra, payload = exc.status, exc.headers, {"ok": False, "error": exc.error}
                if exc.detail:
                    payload["response_metadata"] = {"messages": [exc.detail]}
            except Exception as exc:  # a bug in the fake must answer, not hang the client
                self.errors.append(exc)
                status, extra, payload = 500, {}, {"ok": False, "error": "internal_error"}
            self._calls.append(
                Call(method, params, token, arrived, status, None if payload["ok"] else payload["error"])
            )
        return status, extra, payload

    def _inject_faults(self, method: str, params: dict[str, Any]) -> None:
        for index, fault in enumerate(self._faults):
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._faults[index]
                raise _fault_error(fault.status, fault.error, fault.retry_after)
        self._check_rate_limits(method, params)
        chance = self._random
        if chance is not None and (chance.methods is None or method in chance.methods):
            if chance.rng.random() < chance.rate:
                status = chance.rng.choice(chance.statuses)
                raise _fault_error(status, _default_error(status), chance.retry_after)

    def _check_rate_limits(self, method: str, params: dict[str, Any]) -> None:
        window = self._method_windows.get(method)
        channel_window = None
        if self._channel_rate is not None and method == "chat.postMessage" and params.get("channel"):
            key = self._resolve_quietly(str(params["channel"]))
            channel_window = self._channel_windows.get(key)
            if channel_window is None:
                # Allow floor(rate) posts per window so that both 1/s and 0.5/s (one per 2 s) behave as stated.
                limit = max(1, math.floor(self._channel_rate))
                channel_window = self._channel_windows[key] = _Window(limit, limit / self._channel_rate)
        if window is None and channel_window is None:
            return
        now = self._clock()
        waits = [w.wait(now) for w in (window, channel_window) if w is not None]
        blocked = [wait for wait in waits if wait is not None]
        if blocked:
            raise _fault_error(429, "ratelimited", max(blocked))
        for w in (window, channel_window):
            if w is not None:
                w.take(now)

    # --- workspace helpers (called with the lock held) ---------------------------------------------

    def _user(self, user_id: str) -> dict[str, Any]:
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"unknown user {user_id!r}; add it with add_user() first") from None

    def _resolve_quietly(self, channel: str) -> str:
        """The DM id for a user id, else the channel unchanged."""
        return self.dm_channel_id(channel) if channel in self._users else channel

    def _resolve_channel(self, channel: Any) -> str:
        """A postable conversation id for a channel, DM or user id, or channel_not_found / is_archived."""
        if not channel or not isinstance(channel, str):
            raise _ApiError("channel_not_found")
        if channel in self._users:
            return self.dm_channel_id(channel)
        if channel.startswith("D") and channel[1:] in self._users:
            return channel
        found = self._channels.get(channel)
        if found is None:
            raise _ApiError("channel_not_found")
        if found["is_archived"]:
            raise _ApiError("is_archived")
        return channel

    def _next_ts(self) -> str:
        self._ts_micros += _TS_STEP_MICROS
        return f"{self._ts_micros // 1_000_000}.{self._ts_micros % 1_000_000:06d}"

    def _user_object(self, user: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(_zone(user["tz"]))
        offset = now.utcoffset()
        profile = {
            "real_name": user["real_name"],
            "real_name_normalized": user["real_name"],
            "display_name": user["name"],
            "display_name_normalized": user["name"],
            "team": self.team_id,
        }
        if user["email"]:
            profile["email"] = user["email"]
        if user["is_bot"]:
            profile["bot_id"] = self.bot_id
        return {
            "id": user["id"],
            "team_id": self.team_id,
            "name": user["name"],
            "deleted": user["deleted"],
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": now.tzname() or user["tz"],
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": user["is_admin"],
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "updated": _TS_BASE_SECONDS,
        }

    def _conversation_object(self, channel_id: str) -> dict[str, Any]:
        if channel_id.startswith("D") and channel_id[1:] in self._users:
            user = self._users[channel_id[1:]]
            return {
                "id": channel_id,
                "created": _TS_BASE_SECONDS,
                "is_im": True,
                "is_org_shared": False,
                "user": user["id"],
                "is_user_deleted": user["deleted"],
            }
        found = self._channels.get(channel_id)
        if found is None:
            raise _ApiError("channel_not_found")
        return {
            "id": channel_id,
            "name": found["name"],
            "created": _TS_BASE_SECONDS,
            "is_channel": not found["is_private"] and not found["is_mpim"],
            "is_group": found["is_private"] and not found["is_mpim"],
            "is_im": False,
            "is_mpim": found["is_mpim"],
            "is_private": found["is_private"],
            "is_archived": found["is_archived"],
            "is_member": True,
        }

    def _message_payload(self, message: dict[str, Any]) -> dict[str, Any]:
        payload = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel" and v is not None}
        payload.setdefault("blocks", [])
        return payload

    def _check_content(self, params: dict[str, Any], *, required: bool = True) -> None:
        blocks = params.get("blocks")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > _MESSAGE_BLOCKS):
            raise _ApiError("invalid_blocks")
        attachments = params.get("attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise _ApiError("invalid_attachments")
        text = params.get("text")
        if required and not text and not blocks and not attachments:
            raise _ApiError("no_text")
        if text is not None and len(str(text)) > _MESSAGE_CHARS:
            raise _ApiError("msg_too_long")

    def _new_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:08d}"

    def _view_hash(self) -> str:
        self._hash_counter += 1
        return f"{_TS_BASE_SECONDS + self._hash_counter}.{self._hash_counter:08x}"

    def _store_view(
        self, view: Any, *, kind: str, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(view, dict):
            raise _missing("view")
        if view.get("type") != kind:
            raise _ApiError("invalid_arguments", detail=f"[ERROR] view type must be {kind!r}")
        blocks = view.get("blocks", [])
        if not isinstance(blocks, list) or len(blocks) > _VIEW_BLOCKS:
            raise _ApiError("invalid_arguments", detail="[ERROR] blocks must be a list of at most 100 blocks")
        external_id = view.get("external_id")
        if external_id:
            for other in self._views.values():
                if other["external_id"] == external_id and other["id"] != view_id:
                    raise _ApiError("duplicate_external_id")
        view_id = view_id or self._new_view_id()
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": kind,
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": copy.deepcopy(blocks),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": external_id or "",
            "state": {"values": {}},
            "hash": self._view_hash(),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root or view_id,
            "previous_view_id": None,
            "app_id": "A0FAKE",
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return stored

    # --- Web API methods (called with the lock held) -----------------------------------------------

    def _check_client(self, client_id: str, client_secret: str) -> None:
        if not client_id or (self._client_id is not None and client_id != self._client_id):
            raise _ApiError("invalid_client_id")
        if not client_secret or (self._client_secret is not None and client_secret != self._client_secret):
            raise _ApiError("bad_client_secret")

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        install = self._installs.get(str(params.get("code") or ""))
        if install is None or install.used:
            raise _ApiError("invalid_code")
        install.used = True
        enterprise = {"id": install.enterprise_id, "name": install.enterprise_name or install.enterprise_id}
        return {
            "access_token": install.bot_token,
            "token_type": "bot",
            "scope": install.scope,
            "bot_user_id": install.bot_user_id,
            "app_id": "A0FAKE",
            "team": {"id": install.team_id, "name": install.team_name},
            "enterprise": enterprise if install.enterprise_id else None,
            "is_enterprise_install": False,
            "authed_user": {"id": install.installer},
        }

    def _auth_test(self, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        install = self._install_tokens.get(token) if token is not None else None
        if install is None:
            domain, team, team_id, bot_user_id, bot_id = (self.team_domain, self.team_name, self.team_id,
                                                          self.bot_user_id, self.bot_id)
        else:
            domain = re.sub(r"[^a-z0-9]+", "-", install.team_name.lower()).strip("-")
            team, team_id, bot_user_id, bot_id = (install.team_name, install.team_id, install.bot_user_id,
                                                  install.bot_id)
        answer = {
            "url": f"https://{domain}.slack.com/",
            "team": team,
            "user": self._users[bot_user_id]["name"] if bot_user_id in self._users else "okrbot",
            "team_id": team_id,
            "user_id": bot_user_id,
            "bot_id": bot_id,
            "is_enterprise_install": False,
        }
        if install is not None and install.enterprise_id:
            answer["enterprise_id"] = install.enterprise_id
        return answer

    def _team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True},
            }
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise _ApiError("user_not_found")
        return {"user": self._user_object(user)}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        # Cursor pagination as Slack does it: an opaque cursor, and an empty next_cursor on the last page.
        try:
            limit = max(1, min(int(params.get("limit") or 200), 1000))
            start = int(str(params.get("cursor") or "offset:0").removeprefix("offset:"))
        except ValueError:
            raise _ApiError("invalid_cursor") from None
        users = sorted(self._users.values(), key=lambda u: u["id"])
        page = users[start:start + limit]
        more = start + limit < len(users)
        return {"members": [self._user_object(u) for u in page],
                "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""}}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email") or "").lower()
        if not email:
            raise _missing("email")
        for user in self._users.values():
            if user["email"] and user["email"].lower() == email:
                return {"user": self._user_object(user)}
        raise _ApiError("users_not_found")

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel_id = self._resolve_channel(str(params["channel"]))
            return {"no_op": True, "already_open": True, "channel": self._conversation_object(channel_id)}
        users = _user_ids(params.get("users"))
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise _ApiError("too_many_users")
        for user_id in users:
            if user_id not in self._users:
                raise _ApiError("user_not_found")
        if len(users) == 1:
            channel_id = self.dm_channel_id(users[0])
        else:
            members = sorted(set(users))
            channel_id = "G" + "".join(u.removeprefix("U") for u in members)
            if channel_id not in self._channels:
                self._channels[channel_id] = {
                    "id": channel_id,
                    "name": "mpdm-" + "--".join(self._users[u]["name"] for u in members) + "-1",
                    "is_private": True,
                    "is_archived": False,
                    "is_mpim": True,
                }
        already = channel_id in self._opened_dms
        self._opened_dms.add(channel_id)
        channel = self._conversation_object(channel_id) if _truthy(params.get("return_im")) else {"id": channel_id}
        answer: dict[str, Any] = {"channel": channel}
        if already:
            answer.update(no_op=True, already_open=True)
        return answer

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            raise _ApiError("channel_not_found")
        return {"channel": self._conversation_object(str(channel))}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        self._check_content(params)
        ts = self._next_ts()
        message = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "text": str(params.get("text") or ""),
            "blocks": copy.deepcopy(params.get("blocks") or []),
            "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
        }
        for optional in ("attachments", "metadata"):
            if params.get(optional) is not None:
                message[optional] = copy.deepcopy(params[optional])
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": self._message_payload(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._messages.get((channel, ts))
        if message is None:
            raise _ApiError("message_not_found")
        self._check_content(params)
        if "text" in params:
            message["text"] = str(params["text"] or "")
        for field in ("blocks", "attachments", "metadata"):
            if field in params:
                message[field] = copy.deepcopy(params[field])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": self._message_payload(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        user_id = str(params.get("user") or "")
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        self._check_content(params)
        ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": user_id,
                "ts": ts,
                "text": str(params.get("text") or ""),
                "blocks": copy.deepcopy(params.get("blocks") or []),
                "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
            }
        )
        return {"message_ts": ts}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        if self._messages.pop((channel, ts), None) is None:
            raise _ApiError("message_not_found")
        return {"channel": channel, "ts": ts}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise _missing("trigger_id")
        stored = self._store_view(params.get("view"), kind="modal")
        self._opened.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise _missing("trigger_id")
        # Real Slack finds the stack from the trigger; the fake assumes the most recently opened modal.
        parent = self._views[self._opened[-1]] if self._opened else None
        stored = self._store_view(params.get("view"), kind="modal", root=parent["root_view_id"] if parent else None)
        if parent is not None:
            stored["previous_view_id"] = self._pushed[-1] if self._pushed else parent["id"]
        self._pushed.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise _missing("view_id")
        if view_id:
            current = self._views.get(str(view_id))
        else:
            current = next((v for v in self._views.values() if v["external_id"] == external_id), None)
        if current is None:
            raise _ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise _ApiError("hash_conflict")
        view = params.get("view")
        if isinstance(view, dict) and "type" not in view:
            view = {**view, "type": current["type"]}
        stored = self._store_view(view, kind=current["type"], view_id=current["id"], root=current["root_view_id"])
        stored["previous_view_id"] = current["previous_view_id"]
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if not user_id:
            raise _missing("user_id")
        if user_id not in self._users:
            raise _ApiError("user_not_found")
        current_id = self._homes.get(user_id)
        if current_id is not None and params.get("hash") and params["hash"] != self._views[current_id]["hash"]:
            raise _ApiError("hash_conflict")
        # A user's Home tab keeps its view id across publishes, as in Slack.
        stored = self._store_view(params.get("view"), kind="home", view_id=current_id)
        self._homes[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}


# --- request parsing -------------------------------------------------------------------------------


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def _bot_id(bot_user_id: str) -> str:
    """The bot id Slack pairs with a bot user (B… for U…)."""
    return "B" + bot_user_id.removeprefix("U")


def _basic(header: str | None) -> tuple[str, str] | None:
    """The (client_id, client_secret) of an HTTP Basic Authorization header, as slack_sdk sends them."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, _, client_secret = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return client_id, client_secret


def _default_error(status: int) -> str:
    if status in _DEFAULT_ERRORS:
        return _DEFAULT_ERRORS[status]
    return "internal_error" if status >= 500 else "invalid_request"


def _fault_error(status: int, error: str, retry_after: int) -> _ApiError:
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    return _ApiError(error, status=status, headers=headers)


def _parse_params(query: str, content_type: str, body: bytes) -> tuple[dict[str, Any], str | None]:
    """Query-string and body params merged (body wins), JSON-in-form fields decoded; plus a parse error if any."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    media_type = content_type.split(";", 1)[0].strip().lower()
    try:
        if media_type == "application/json":
            decoded = json.loads(body.decode("utf-8")) if body.strip() else {}
            if not isinstance(decoded, dict):
                return params, "invalid_json"
            params.update(decoded)
        elif media_type == "multipart/form-data":
            params.update(_parse_multipart(content_type, body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return params, "invalid_json" if media_type == "application/json" else "invalid_form_data"
    for field in _JSON_FIELDS:
        value = params.get(field)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[field] = json.loads(value)
            except json.JSONDecodeError:
                pass  # left as a string, so the method answers invalid_blocks / invalid_arguments
    return params, None


# --- rendering -------------------------------------------------------------------------------------

_LINK = re.compile(r"<([^<>]+)>")
_DIVIDER = "─" * 40


def render(blocks_or_message: Any, *, user_names: Mapping[str, str] | None = None) -> str:
    """Blocks, a message, a view or mrkdwn text as the plain text a person would read in Slack."""
    names = dict(user_names or {})
    item = blocks_or_message
    if item is None:
        return ""
    if isinstance(item, str):
        return _mrkdwn(item, names)
    if isinstance(item, (list, tuple)):
        return "\n".join(_render_blocks(item, names))
    if not isinstance(item, Mapping):
        raise TypeError(f"cannot render {type(item).__name__}")
    if item.get("type") in ("modal", "home"):
        return "\n".join(_render_view(item, names))
    if "blocks" in item or "text" in item or "attachments" in item:
        return "\n".join(_render_message(item, names))
    return "\n".join(_render_blocks([item], names))


def _render_view(view: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    title = _text(view.get("title"), names)
    if title:
        lines += [title, "═" * len(title)]
    lines += _render_blocks(view.get("blocks") or [], names)
    buttons = [f"[{_text(view.get(key), names)}]" for key in ("close", "submit") if view.get(key)]
    if buttons:
        lines += ["", " ".join(buttons)]
    return lines


def _render_message(message: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    blocks = message.get("blocks") or []
    lines = _render_blocks(blocks, names) if blocks else _mrkdwn(str(message.get("text") or ""), names).splitlines()
    for attachment in message.get("attachments") or []:
        inner = _render_blocks(attachment.get("blocks") or [], names)
        if not inner:
            text = attachment.get("text") or attachment.get("fallback") or ""
            inner = _mrkdwn(str(text), names).splitlines()
        lines += ["│ " + line for line in inner]
    return lines


def _render_blocks(blocks: Iterable[Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if isinstance(block, Mapping):
            lines += _render_block(block, names)
    return lines


def _render_block(block: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        title = _text(block.get("text"), names)
        return [title, "=" * len(title)]
    if kind == "divider":
        return [_DIVIDER]
    if kind == "section":
        lines = _text(block.get("text"), names).splitlines()
        lines += [_text(field, names) for field in block.get("fields") or []]
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            rendered = _render_element(accessory, names)
            if len(rendered) == 1 and lines:
                lines[-1] = f"{lines[-1]}  {rendered[0]}"
            else:
                lines += rendered
        return lines
    if kind == "context":
        parts = []
        for element in block.get("elements") or []:
            if isinstance(element, Mapping) and element.get("type") == "image":
                if element.get("alt_text"):
                    parts.append(str(element["alt_text"]))
            else:
                parts.append(_text(element, names))
        return ["  ".join(part for part in parts if part)]
    if kind == "actions":
        rendered = [_render_element(e, names) for e in block.get("elements") or [] if isinstance(e, Mapping)]
        if all(len(r) == 1 for r in rendered):
            return [" ".join(r[0] for r in rendered)]
        return [line for r in rendered for line in r]
    if kind == "input":
        label = _text(block.get("label"), names)
        lines = [label + (" (optional)" if block.get("optional") else "")]
        element = block.get("element")
        if isinstance(element, Mapping):
            lines += ["  " + line for line in _render_element(element, names)]
        if block.get("hint"):
            lines.append("  " + _text(block["hint"], names))
        return lines
    if kind == "image":
        title = _text(block.get("title"), names)
        return [f"[image: {block.get('alt_text') or title or 'image'}]"]
    if kind == "rich_text":
        return _render_rich_text(block.get("elements") or [], names)
    return [f"[{kind or 'unknown'} block]"]


def _render_element(element: Mapping[str, Any], names: dict[str, str]) -> list[str]:
    kind = str(element.get("type") or "")
    placeholder = _text(element.get("placeholder"), names)
    if kind == "button":
        return [f"[{_text(element.get('text'), names)}]"]
    if kind == "overflow":
        return ["[⋯]"]
    if kind == "image":
        return [f"[image: {element.get('alt_text') or 'image'}]"]
    if kind in ("plain_text_input", "number_input", "email_text_input", "url_text_input", "rich_text_input"):
        value = element.get("initial_value")
        if isinstance(value, Mapping):
            value = "\n".join(_render_rich_text(value.get("elements") or [], names))
        return [f"[ {value or placeholder or ''} ]"]
    if kind == "checkboxes" or kind == "radio_buttons":
        chosen = {_option_value(o) for o in element.get("initial_options") or []}
        if element.get("initial_option"):
            chosen.add(_option_value(element["initial_option"]))
        marks = ("☑", "☐") if kind == "checkboxes" else ("●", "○")
        return [
            f"{marks[0] if _option_value(o) in chosen else marks[1]} {_text(o.get('text'), names)}"
            for o in element.get("options") or []
        ]
    if kind.endswith("_select"):
        return [f"[{_selected(element, names) or placeholder or 'Select an item'} ▾]"]
    if kind in ("datepicker", "timepicker", "datetimepicker"):
        value = element.get("initial_date") or element.get("initial_time") or element.get("initial_date_time")
        return [f"[{value or placeholder or 'Select'} ▾]"]
    return [f"[{kind or 'element'}]"]


def _option_value(option: Any) -> Any:
    if not isinstance(option, Mapping):
        return option
    return option.get("value", json.dumps(option.get("text"), sort_keys=True))


def _selected(element: Mapping[str, Any], names: dict[str, str]) -> str:
    options = element.get("initial_options") or ([element["initial_option"]] if element.get("initial_option") else [])
    if options:
        return ", ".join(_text(o.get("text"), names) for o in options if isinstance(o, Mapping))
    users = element.get("initial_users") or ([element["initial_user"]] if element.get("initial_user") else [])
    if users:
        return ", ".join("@" + names.get(u, u) for u in users)
    channels = element.get("initial_channels") or element.get("initial_conversations") or []
    single = element.get("initial_channel") or element.get("initial_conversation")
    if single:
        channels = [single]
    return ", ".join("#" + c for c in channels)


def _render_rich_text(elements: Iterable[Any], names: dict[str, str]) -> list[str]:
    lines: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "rich_text_section":
            lines += _inline(element.get("elements") or [], names).split("\n")
        elif kind == "rich_text_list":
            indent = "  " * int(element.get("indent") or 0)
            start = int(element.get("offset") or 0) + 1
            for number, item in enumerate(element.get("elements") or [], start=start):
                bullet = f"{number}." if element.get("style") == "ordered" else "•"
                text = _inline(item.get("elements") or [], names) if isinstance(item, Mapping) else ""
                lines.append(f"{indent}{bullet} {text}")
        elif kind == "rich_text_preformatted":
            lines += ["```", *_inline(element.get("elements") or [], names).split("\n"), "```"]
        elif kind == "rich_text_quote":
            lines += ["> " + line for line in _inline(element.get("elements") or [], names).split("\n")]
    return lines


def _inline(elements: Iterable[Any], names: dict[str, str]) -> str:
    parts: list[str] = []
    for element in elements:
        if not isinstance(element, Mapping):
            continue
        kind = element.get("type")
        if kind == "text":
            parts.append(str(element.get("text") or ""))
        elif kind == "link":
            url = str(element.get("url") or "")
            parts.append(f"{element['text']} ({url})" if element.get("text") else url)
        elif kind == "user":
            parts.append("@" + names.get(str(element.get("user_id")), str(element.get("user_id"))))
        elif kind == "usergroup":
            parts.append("@" + str(element.get("usergroup_id")))
        elif kind == "channel":
            parts.append("#" + str(element.get("channel_id")))
        elif kind == "emoji":
            parts.append(f":{element.get('name')}:")
        elif kind == "broadcast":
            parts.append("@" + str(element.get("range")))
        elif kind == "date":
            parts.append(str(element.get("fallback") or element.get("timestamp") or ""))
    return "".join(parts)


def _text(obj: Any, names: dict[str, str]) -> str:
    if obj is None:
        return ""
    if isinstance(obj, str):
        return _mrkdwn(obj, names)
    if isinstance(obj, Mapping):
        text = str(obj.get("text") or "")
        return _mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text
    return str(obj)


def _mrkdwn(text: str, names: dict[str, str]) -> str:
    """Slack's <@U1>, <#C1|name>, <!here>, <url|label> and &amp; escapes as readable text."""

    def link(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("@"):
            return "@" + (label or names.get(target[1:], target[1:]))
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!subteam^"):
            return label or "@" + target.removeprefix("!subteam^")
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return "@" + target[1:]
        target = target.removeprefix("mailto:")
        return f"{label} ({target})" if label and label != target else target

    text = _LINK.sub(link, text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
