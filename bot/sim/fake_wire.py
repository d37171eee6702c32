"""The fake Slack's wire: HTTP plumbing, request parsing, recorded calls, Slack's error answers and fault rules."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import random
import sys
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# slack_sdk sends these as JSON strings inside form bodies; tests want the decoded objects.
JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
DEFAULT_ERRORS = {429: "ratelimited"}


# Methods an app calls with its client id and secret instead of a token (Slack's OAuth exchange).
CLIENT_AUTH_METHODS = frozenset({"oauth.v2.access"})
# Methods Slack answers without any token.
NO_AUTH_METHODS = frozenset({"api.test"})
# Methods that take only an app-level token (xapp-), and only in the Authorization header; every other method
# refuses an app-level token with not_allowed_token_type.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})
APP_TOKEN_PREFIX = "xapp-"


@dataclass(frozen=True)
class Call:
    """One request the fake answered; status is the HTTP status, error the Slack error if any."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int
    error: str | None = None


class ApiError(Exception):
    """An answer of {"ok": false, "error": ...}, with its HTTP status and headers."""

    def __init__(self, error: str, *, status: int = 200, headers: dict[str, str] | None = None, detail: str = "",
                 details: tuple[str, ...] = (), fields: dict[str, Any] | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        # Top-level fields some errors carry, such as missing_scope's `needed` and `provided`.
        self.fields = fields or {}
        # Slack's response_metadata.messages: one line per problem, e.g. naming a JSON pointer.
        self.details = (detail,) if detail else tuple(details)



@dataclass
class Fault:
    """A fail_next rule: how the next `remaining` matching calls fail."""

    method: str | None
    status: int
    error: str
    retry_after: int
    remaining: int


@dataclass
class RandomFaults:
    """The set_failure_rate settings."""

    rate: float
    statuses: tuple[int, ...]
    methods: frozenset[str] | None
    rng: random.Random
    retry_after: int


class Window:
    """A sliding window admitting `limit` calls per `period` seconds."""

    def __init__(self, limit: int, period: float):
        self.limit = limit
        self.period = period
        self.hits: deque[float] = deque()

    def wait(self, at: float) -> int | None:
        """Whole seconds until a slot frees (at least 1), or None when a slot is free at `at`."""
        while self.hits and at - self.hits[0] >= self.period:
            self.hits.popleft()
        if len(self.hits) < self.limit:
            return None
        return max(1, math.ceil(self.hits[0] + self.period - at))

    def take(self, at: float) -> None:
        """Use one slot."""
        self.hits.append(at)



def missing(field: str) -> ApiError:
    return ApiError("invalid_arguments", detail=f"[ERROR] missing required field: {field}")


def user_ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [str(part) for part in value]
    return []


def parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
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



class Answering(Protocol):
    """What the wire needs of the fake: an answer to each call, and somewhere to keep its own failures."""

    errors: list[BaseException]
    _lock: Any

    def _answer(self, method: str, query: str, headers: Mapping[str, str], body: bytes
                ) -> tuple[int, dict[str, str], dict[str, Any]]: ...

    def _answer_hook(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str]: ...

    def _answer_upload(self, path: str, body: bytes) -> tuple[int, str]: ...


class WireServer(ThreadingHTTPServer):
    """The HTTP server, holding a reference to its FakeSlack."""

    daemon_threads = True

    def __init__(self, fake: Answering):
        super().__init__(("127.0.0.1", 0), WireHandler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up mid-answer is normal (timeouts, retries); anything else is a bug worth keeping.
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, ConnectionError):
            with self.fake._lock:
                self.fake.errors.append(exc)


class WireHandler(BaseHTTPRequestHandler):
    """Routes /api/<method> to FakeSlack and writes its JSON answer."""

    server: WireServer
    server_version = "FakeSlack/1.0"

    def do_POST(self) -> None:
        """Answer a Web API call."""
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if parts.path.startswith("/commands/") and self.command == "POST":
            # A slash command's response_url (Slack serves these on hooks.slack.com); answered in plain text.
            self._send_text(*self.server.fake._answer_hook(parts.path, self.headers, body))
            return
        if parts.path.startswith("/upload/v1/") and self.command == "POST":
            # An upload URL from files.getUploadURLExternal (Slack serves these on files.slack.com).
            self._send_text(*self.server.fake._answer_upload(parts.path, body))
            return
        if not parts.path.startswith("/api/"):
            self._send(404, {}, {"ok": False, "error": "not_found"})
            return
        status, headers, payload = self.server.fake._answer(parts.path[len("/api/") :], parts.query, self.headers, body)
        self._send(status, headers, payload)

    do_GET = do_POST

    def _send_text(self, status: int, text: str) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

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


def tz_zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes")




def bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None



def bot_id_of(bot_user_id: str) -> str:
    """The bot id Slack pairs with a bot user (B… for U…)."""
    return "B" + bot_user_id.removeprefix("U")


def basic_credentials(header: str | None) -> tuple[str, str] | None:
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


def default_error(status: int) -> str:
    if status in DEFAULT_ERRORS:
        return DEFAULT_ERRORS[status]
    return "internal_error" if status >= 500 else "invalid_request"


def fault_error(status: int, error: str, retry_after: int) -> ApiError:
    headers = {"Retry-After": str(retry_after)} if status == 429 else {}
    return ApiError(error, status=status, headers=headers)


def parse_params(query: str, content_type: str, body: bytes) -> tuple[dict[str, Any], str | None]:
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
            params.update(parse_multipart(content_type, body))
        elif body:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return params, "invalid_json" if media_type == "application/json" else "invalid_form_data"
    for field in JSON_FIELDS:
        value = params.get(field)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[field] = json.loads(value)
            except json.JSONDecodeError:
                pass  # left as a string, so the method answers invalid_blocks / invalid_arguments
    return params, None

