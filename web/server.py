"""The production HTTP server: uvicorn serving okrbot's ASGI app, with limits, timeouts and a graceful stop.

Why uvicorn. okrbot serves Slack's requests and (next) a REST API on one port from one ASGI app, in the same process
as its scheduler, and the tests and the demo run that same server in a thread. Of the maintained ASGI servers:
- uvicorn (the server FastAPI documents) has a connection cap (`limit_concurrency`: 503 beyond it), a listen
  backlog, an idle keep-alive timeout, a graceful shutdown that lets in-flight requests finish within a timeout,
  no `Server` banner on request, a C parser (httptools, twice as fast as h11 here: a burst of 200 requests is acked
  in half the time), and it embeds in a thread. It has no deadline for a request's headers (uvicorn issue #157), and
  with httptools no cap on their size (h11 has one, at half the speed): the two gaps, closed here by a small
  protocol subclass (GuardedProtocol) over uvicorn's httptools protocol.
- hypercorn has a per-read timeout (a client trickling a byte a second passes it) and a graceful timeout, but no
  connection cap, and it is slower on the same parser.
- gunicorn (its native ASGI worker, or uvicorn workers) forks workers: each would run its own scheduler and Bolt
  app, and it cannot run inside a test's thread. Its arbiter adds nothing okrbot needs on one port.
The request body's limit and deadline are enforced in the ASGI layer (web/limits.py), which sees every route.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import socket
import sys
import threading
import time
from dataclasses import dataclass

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

logger = logging.getLogger(__name__)
# glibc's mallopt parameter for the number of malloc arenas (malloc.h).
_M_ARENA_MAX = -8


@dataclass(frozen=True)
class Limits:
    """What one request and one connection may cost; README "Deployment" documents each."""

    # Slack's requests are a few KB; the largest (a modal submission) stays far below this.
    max_body: int = 1_000_000
    # From a connection's start, or its previous response, until the next request's headers are complete.
    header_seconds: float = 10.0
    # The request line and headers together (nginx allows 4 x 8 KB by default; Slack sends about 1 KB).
    max_header_bytes: int = 32 * 1024
    # From the headers until the whole body has arrived.
    body_seconds: float = 10.0
    # An idle keep-alive connection is closed after this (uvicorn's own timer).
    keep_alive_seconds: int = 5
    # Open connections (and requests in flight) beyond this get 503 at once instead of queueing.
    max_connections: int = 500
    # Connections the kernel queues before okrbot accepts them; wsgiref's 5 dropped most of a burst.
    backlog: int = 2048
    # On SIGTERM, in-flight requests get this long to finish.
    shutdown_seconds: int = 20


class _Config(uvicorn.Config):
    """uvicorn's Config, carrying the header deadline and size cap to GuardedProtocol."""

    def __init__(self, app, *, header_seconds: float, max_header_bytes: int, **kwargs):
        super().__init__(app, **kwargs)
        self.header_seconds = header_seconds
        self.max_header_bytes = max_header_bytes


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a deadline and a size cap for each request's line and headers.

    uvicorn arms no timer until a first response, and its keep-alive timer restarts on every byte, so a client that
    sends a header line now and then would hold a connection (and a place under the connection cap) for ever; and
    httptools buffers a header of any length. A connection whose headers do not arrive within the deadline is closed;
    one whose headers outgrow the cap is answered 431 and closed before they reach the parser. Both only look at the
    header phase: a request's body is the ASGI layer's (web/limits.py).
    """

    _deadline: asyncio.TimerHandle | None = None
    _in_headers = True
    _header_bytes = 0
    _tail = b""

    def connection_made(self, transport) -> None:  # noqa: D102 - asyncio.Protocol
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:  # noqa: D102 - asyncio.Protocol
        if self._in_headers:
            # Count up to the blank line that ends the headers (it may straddle two reads), never into the body.
            window = self._tail + data
            end = window.find(b"\r\n\r\n")
            size = self._header_bytes + (end + 4 - len(self._tail) if end >= 0 else len(data))
            if size > self.config.max_header_bytes:
                self._refuse_headers()
                return
            self._header_bytes, self._tail = size, window[-3:]
        super().data_received(data)

    def _refuse_headers(self) -> None:
        if self.transport.is_closing():
            return
        logger.warning("refused a request whose headers exceed %s bytes (431)", self.config.max_header_bytes)
        text = f"Request headers are limited to {self.config.max_header_bytes:,} bytes.".encode()
        self.transport.write(b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; "
                             b"charset=utf-8\r\nconnection: close\r\ncontent-length: " + str(len(text)).encode()
                             + b"\r\n\r\n" + text)
        self.transport.close()

    def on_message_begin(self) -> None:  # noqa: D102 - httptools' callback: a request line starts
        self._in_headers = True
        super().on_message_begin()

    def on_headers_complete(self) -> None:  # noqa: D102 - httptools' callback
        self._in_headers = False
        self._header_bytes, self._tail = 0, b""
        self._disarm()
        super().on_headers_complete()

    def on_response_complete(self) -> None:  # noqa: D102 - uvicorn's hook after each response
        super().on_response_complete()
        # uvicorn's own test for "no request in flight" (its shutdown uses it); a pipelined request may have started.
        if self.cycle is None or self.cycle.response_complete:
            self._await_headers()

    def connection_lost(self, exc) -> None:  # noqa: D102 - asyncio.Protocol
        self._disarm()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._in_headers = True
        self._header_bytes, self._tail = 0, b""
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.config.header_seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        if self._in_headers:
            self.transport.close()


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas for this process; call before any thread starts. A no-op off glibc.

    glibc gives each thread that allocates its own arena (up to 8 per core) and keeps what they free: with the event
    loop, Bolt's threads and the scheduler's, serve's RSS grew by a third after a few hundred requests
    (bench/bench_memory.py: 125 MB against 103 MB with two arenas). It is the MALLOC_ARENA_MAX setting gunicorn's
    documentation suggests, set from inside so every way of starting okrbot gets it.
    """
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, arenas)
    except (OSError, AttributeError):
        pass


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0 picks a free port); OSError when the port is taken."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn's Server, which stops as soon as it is told to rather than on its next 0.1 s poll.

    uvicorn looks at `should_exit` every 0.1 s and, on the way out, waits a fixed 0.1 s for connections it asked to
    close, even when there are none. A process pays that once; the tests and the demo start and stop a server
    hundreds of times (about 0.19 s a stop, half a minute of the suite), so stop() wakes the loop at once and a
    shutdown with no connection and no task left skips the wait. With connections open, uvicorn's own shutdown runs.
    """

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 1) % 864000
            try:
                await asyncio.wait_for(self._wake.wait(), 0.1)
            except TimeoutError:
                pass

    def wake(self) -> None:
        """Ask a running main loop to look at `should_exit` now (from any thread)."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the loop has closed: the server is gone already
                pass

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.server_state.connections or self.server_state.tasks:
            await super().shutdown(sockets)
            return
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for server in self.servers:
            await server.wait_closed()
        if not self.force_exit:
            await self.lifespan.shutdown()


class HttpServer:
    """One uvicorn server for an ASGI app on a socket: run() in the main thread, or start()/stop() in a thread."""

    def __init__(self, asgi, sock: socket.socket, limits: Limits = Limits()):
        self.sock = sock
        self.limits = limits
        config = _Config(
            asgi, header_seconds=limits.header_seconds, max_header_bytes=limits.max_header_bytes, http=GuardedProtocol,
            # okrbot owns its resources and logging; uvicorn only serves.
            lifespan="off", loop="asyncio", log_config=None, access_log=False, server_header=False,
            limit_concurrency=limits.max_connections,
            backlog=limits.backlog, timeout_keep_alive=limits.keep_alive_seconds,
            timeout_graceful_shutdown=limits.shutdown_seconds,
            # Slack (or the reverse proxy in front) is the only client: no X-Forwarded-* rewriting of addresses.
            proxy_headers=False,
        )
        self.server = _Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self.sock.getsockname()[1]

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then let in-flight requests finish (within Limits.shutdown_seconds)."""
        # The event loop gives up the GIL on every socket call and must wait for it back; with Bolt's threads busy,
        # Python's default 5 ms switch interval made each wait long enough to double a burst's ack times
        # (bench/bench_server.py). 1 ms keeps the loop responsive at a small cost in throughput.
        sys.setswitchinterval(0.001)
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> HttpServer:
        """Serve in a daemon thread (tests, the demo, benchmarks); returns once it accepts connections."""
        self._thread = threading.Thread(target=self.run, name="okrbot-http", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            raise RuntimeError("the HTTP server did not start")
        return self

    def stop(self) -> None:
        """Stop as on SIGTERM: refuse new connections, finish the requests in flight, then return."""
        self.server.should_exit = True
        self.server.wake()
        if self._thread is not None:
            self._thread.join(timeout=self.limits.shutdown_seconds + 5)
        self.sock.close()
