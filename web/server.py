"""The production HTTP server: uvicorn serving okrbot's ASGI app, with limits, timeouts and a graceful stop.

Why uvicorn. okrbot serves Slack's requests and (next) a REST API on one port from one ASGI app, in the same process
as its scheduler, and the tests and the demo run that same server in a thread. Of the maintained ASGI servers:
- uvicorn (the server FastAPI documents) has a connection cap (`limit_concurrency`: 503 beyond it), a listen
  backlog, an idle keep-alive timeout, a header size limit (h11's 16 KB), a graceful shutdown that lets in-flight
  requests finish within a timeout, no `Server` banner on request, and it embeds in a thread. It has no deadline for
  a request's headers (uvicorn issue #157): the one gap, closed here by a small protocol subclass (HeaderDeadline).
- hypercorn has a per-read timeout (a client trickling a byte a second passes it) and a graceful timeout, but no
  connection cap, and it is slower on the same parser.
- gunicorn (its native ASGI worker, or uvicorn workers) forks workers: each would run its own scheduler and Bolt
  app, and it cannot run inside a test's thread. Its arbiter adds nothing okrbot needs on one port.
The request body's limit and deadline are enforced in the ASGI layer (web/limits.py), which sees every route.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import dataclass

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    """What one request and one connection may cost; README "Deployment" documents each."""

    # Slack's requests are a few KB; the largest (a modal submission) stays far below this.
    max_body: int = 1_000_000
    # From a connection's start, or its previous response, until the next request's headers are complete.
    header_seconds: float = 10.0
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
    """uvicorn's Config carrying the header deadline to the protocol."""

    def __init__(self, app, *, header_seconds: float, **kwargs):
        super().__init__(app, **kwargs)
        self.header_seconds = header_seconds


class HeaderDeadline(H11Protocol):
    """h11's protocol, closing a connection whose next request's headers have not arrived within the deadline.

    uvicorn arms no timer until a first response, and its keep-alive timer restarts on every byte, so a client that
    sends a header line now and then would hold a connection (and a place under the connection cap) for ever.
    """

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:  # noqa: D102 - asyncio.Protocol
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:  # noqa: D102 - uvicorn's hook after each response
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc) -> None:  # noqa: D102 - asyncio.Protocol
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        if not self.transport.is_closing():
            self._deadline = self.loop.call_later(self.config.header_seconds, self._expire)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        # uvicorn's own test for "no request in flight" (its shutdown uses it): then the headers never came.
        if self.cycle is None or self.cycle.response_complete:
            self.transport.close()


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


class HttpServer:
    """One uvicorn server for an ASGI app on a socket: run() in the main thread, or start()/stop() in a thread."""

    def __init__(self, asgi, sock: socket.socket, limits: Limits = Limits()):
        self.sock = sock
        self.limits = limits
        config = _Config(
            asgi, header_seconds=limits.header_seconds, http=HeaderDeadline, lifespan="off", loop="asyncio",
            log_config=None, access_log=False, server_header=False, limit_concurrency=limits.max_connections,
            backlog=limits.backlog, timeout_keep_alive=limits.keep_alive_seconds,
            timeout_graceful_shutdown=limits.shutdown_seconds,
            # Slack (or the reverse proxy in front) is the only client: no X-Forwarded-* rewriting of addresses.
            proxy_headers=False,
        )
        self.server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return self.sock.getsockname()[1]

    def run(self) -> None:
        """Serve until SIGTERM or SIGINT, then let in-flight requests finish (within Limits.shutdown_seconds)."""
        self.server.run(sockets=[self.sock])

    def start(self, timeout: float = 10.0) -> HttpServer:
        """Serve in a daemon thread (tests, the demo, benchmarks); returns once it accepts connections."""
        self._thread = threading.Thread(target=self.run, name="okrbot-http", daemon=True)
        self._thread.start()
        deadline = timeout
        while not self.server.started and self._thread.is_alive() and deadline > 0:
            threading.Event().wait(0.01)
            deadline -= 0.01
        if not self.server.started:
            raise RuntimeError("the HTTP server did not start")
        return self

    def stop(self) -> None:
        """Stop as on SIGTERM: refuse new connections, finish the requests in flight, then return."""
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=self.limits.shutdown_seconds + 5)
        self.sock.close()
