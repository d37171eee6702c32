"""The real app on uvicorn in a thread, with short limits so deadlines can be tested in a second, and raw HTTP."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from tests.conftest import FIXTURES, SECRET, TOKEN

SHORT = dict(header_seconds=0.5, body_seconds=0.5, max_connections=40, shutdown_seconds=5)


@dataclass
class Reply:
    """What came back on a raw connection: status None when the server closed it without answering."""

    status: int | None
    headers: dict[str, str]
    body: bytes


@dataclass
class Served:
    host: str
    port: int
    url: str
    fake: object
    slack: object
    engine: object

    def connect(self) -> socket.socket:
        """A raw TCP connection to the server."""
        return socket.create_connection((self.host, self.port), timeout=5)

    def raw(self, data: bytes, *, timeout: float = 5.0) -> Reply:
        """Send bytes on a fresh connection and read until the server closes it (or `timeout`)."""
        with self.connect() as sock:
            sock.settimeout(timeout)
            try:
                sock.sendall(data)
            except OSError:
                pass  # the server may answer and close before a large body is sent
            return read_reply(sock, timeout)

    def request(self, method: str, path: str, body: bytes = b"", headers: dict | None = None, **kw) -> Reply:
        """A well-framed HTTP/1.1 request on its own connection."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}", "Connection: close"]
        if body or method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(body)}")
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        return self.raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body, **kw)


def read_reply(sock: socket.socket, timeout: float) -> Reply:
    """Read one answer (until close) from a raw socket."""
    data = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except (TimeoutError, socket.timeout):
            break
        except OSError:
            break
        if not chunk:
            break
        data += chunk
    if not data.startswith(b"HTTP/"):
        return Reply(None, {}, data)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Reply(int(lines[0].split(" ")[1]), headers, body)


@pytest.fixture
def served(sqlite_engine, fake_slack):
    """okrbot on uvicorn on loopback (SQLite, Growth imported), with SHORT limits."""
    from app import start_http_app
    from bot.okr_files.importer import import_file
    from bot.settings import Settings
    from bot.sim.signed import Clock, SignedSlack
    from bot.slack.client import make_client
    from storage.db import session_scope
    from web.server import Limits

    settings = Settings(bot_token=TOKEN, signing_secret=SECRET, api_url=fake_slack.url,
                        database_url=str(sqlite_engine.url), scheduler=False)
    client = make_client(TOKEN, fake_slack.url, backoff=0.0, jitter=0.0)
    url, stop = start_http_app(settings, sqlite_engine, clock=Clock(datetime(2026, 11, 23, 12, tzinfo=UTC)),
                               client=client, limits=Limits(**SHORT))
    with session_scope(sqlite_engine) as session:
        import_file(str(FIXTURES / "growth.yaml"), session=session)
    port = int(url.split(":")[2].split("/")[0])
    fake_slack.reset_calls()
    yield Served("127.0.0.1", port, url, fake_slack, SignedSlack(url, SECRET, fake=fake_slack), sqlite_engine)
    stop()
