"""Request limits: a body size cap and a deadline for the body, which every route gets before any app code runs,
and the API's rate limit per token."""

from __future__ import annotations

import asyncio
import json
import threading
import time


class _TooLarge(Exception):
    pass


class _Gone(Exception):
    pass


def header(scope, name: bytes) -> bytes | None:
    """The first value of a request header (lower-case name), or None."""
    for key, value in scope.get("headers") or ():
        if key == name:
            return value
    return None


async def answer(send, status: int, text: str, *, close: bool = False, headers=(), as_json: bool = False) -> None:
    """A short plain-text answer (or {"detail": text}); `close` ends the connection (a body left unread must not be
    parsed as a request)."""
    body = json.dumps({"detail": text}).encode() if as_json else text.encode()
    kind = b"application/json" if as_json else b"text/plain; charset=utf-8"
    extra = [(b"connection", b"close")] if close else []
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", kind),
                            (b"content-length", str(len(body)).encode()), *extra, *headers]})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """ASGI middleware: the app gets the whole body, at most `max_body` bytes, received within `body_seconds`.

    A Content-Length over the limit is answered 413 before a byte of the body is read; a chunked body is counted as
    it arrives and cut off at the limit. Buffering is fine at this size, and it means no route ever sees half a body.
    """

    def __init__(self, app, *, max_body: int, body_seconds: float, as_json: bool = False):
        self.app = app
        self.max_body = max_body
        self.body_seconds = body_seconds
        self.as_json = as_json

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = f"Request bodies are limited to {self.max_body:,} bytes."
        length = header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            # h11 has already refused a malformed Content-Length; anything else here is simply too long.
            return await answer(send, 413, too_large, close=True, as_json=self.as_json)
        try:
            body = await asyncio.wait_for(self._read(receive), self.body_seconds)
        except _TooLarge:
            return await answer(send, 413, too_large, close=True, as_json=self.as_json)
        except TimeoutError:
            return await answer(send, 408, f"The request body did not arrive within {self.body_seconds:g} seconds.",
                                close=True, as_json=self.as_json)
        except _Gone:
            return None
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _read(self, receive) -> bytes:
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Gone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


class RateLimit:
    """A token bucket per key (an API token): `burst` requests at once, refilled at `per_minute` a minute.

    Hand-written, being a dozen lines: the maintained limiters for Starlette (slowapi, limits) key on the client's
    address through decorators, while this keys on the token a request was authenticated with. Per process: two
    okrbot processes behind one balancer allow twice the rate.
    """

    def __init__(self, *, per_minute: int, burst: int, clock=time.monotonic):
        self.per_minute = per_minute
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def wait_for(self, key) -> float:
        """Take one request from the key's bucket: 0.0 when it may go ahead, else the seconds until it may."""
        with self._lock:
            at = self.clock()
            tokens, then = self._buckets.get(key, (float(self.burst), at))
            tokens = min(float(self.burst), tokens + (at - then) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, at)
                return 0.0
            self._buckets[key] = (tokens, at)
            return (1.0 - tokens) / self.rate
