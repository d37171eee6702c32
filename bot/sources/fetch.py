"""GET over HTTP(S) for sources, which must not become a way into the machine's own network.

Every connection (the first and each redirect's) resolves its host, refuses it when any address is private,
loopback, link-local or otherwise not global, and connects to an address it checked: a DNS answer that changes
between the check and the connection (rebinding) cannot slip through. OKRBOT_SOURCES_ALLOW_PRIVATE=1 lifts the
address rule (a source on the company network, the tests' loopback servers); the http(s)-only rule always holds.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpcore
import httpx

__all__ = ["FetchFailed", "Fetched", "MAX_BODY_BYTES", "get", "seconds"]

# A number lives in a small answer; a huge one is a mistake (or an attack on memory).
MAX_BODY_BYTES: Final = 5_000_000
MAX_REDIRECTS: Final = 5
_ERROR_BODY_BYTES: Final = 10_000
# 64:ff9b::/96 (NAT64) carries an IPv4 address that ipaddress calls global whatever it embeds.
_NAT64: Final = ipaddress.ip_network("64:ff9b::/96")


class FetchFailed(Exception):
    """The request gave no usable answer; str() is a sentence without secrets. An HTTP error keeps its status and the
    start of its body (Prometheus explains a refused query there)."""

    def __init__(self, sentence: str, status: int | None = None, body: bytes = b"") -> None:
        super().__init__(sentence)
        self.status = status
        self.body = body


@dataclass(frozen=True)
class Fetched:
    """A 2xx answer: its body and content type."""

    body: bytes
    content_type: str


def seconds(timeout: float) -> str:
    """A timeout for people: "10 s", "0.5 s"."""
    return f"{timeout:g} s"


def _embedded(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list:
    """The IPv4 addresses an IPv6 address carries (mapped, 6to4, Teredo, NAT64), which are what it reaches."""
    if ip.version == 4:
        return []
    found = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [a for a in found if a is not None]


def public(address: str) -> bool:
    """True for a global unicast address (and every IPv4 address it embeds)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return all(a.is_global and not a.is_multicast for a in [ip, *_embedded(ip)])


class _Refused(Exception):
    """Raised inside the connection when the host resolves to an address sources may not reach."""


def _resolve(host: str, port: int, timeout: float) -> list[str]:
    """The host's addresses; getaddrinfo has no timeout of its own, so a slow resolver is waited for in a thread."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    found: list = []

    def lookup() -> None:
        try:
            found.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError) as exc:
            found.append(exc)

    worker = threading.Thread(target=lookup, name="okrbot-resolve", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout))
    if not found:
        raise httpcore.ConnectTimeout(f"resolving {host} took too long")
    if isinstance(found[0], BaseException):
        raise httpcore.ConnectError(f"could not find the host {host if len(host) <= 80 else host[:77] + '…'}")
    return list(dict.fromkeys(info[4][0] for info in found[0]))


class _CheckedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, connecting only to addresses it resolved and checked itself, and cutting every
    connection it made when the read's whole time is up (httpx's timeouts are per operation, so a server sending a
    byte every few seconds would otherwise hold a read for as long as it likes)."""

    def __init__(self, allow_private: bool, deadline: float) -> None:
        self.allow_private = allow_private
        self.deadline = deadline
        self.expired = False
        self._lock = threading.Lock()
        self._watched: list[socket.socket] = []

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # noqa: D102
        addresses = _resolve(host, port, self.deadline - time.monotonic())
        if not self.allow_private:
            refused = [a for a in addresses if not public(a)]
            if refused:
                where = host if refused[0] == host else f"{host} is at {refused[0]}, which"
                raise _Refused(f"{where} is a private, loopback or link-local address; sources may only reach public "
                               "addresses unless OKRBOT_SOURCES_ALLOW_PRIVATE=1 is set")
        error: Exception | None = None
        for address in addresses:
            try:
                # The checked address, not the name: TLS still verifies the name (httpcore passes it as SNI).
                stream = super().connect_tcp(address, port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                error = exc
                continue
            self._watch(stream.get_extra_info("socket"))
            return stream
        raise error or httpcore.ConnectError(f"could not find the host {host}")

    def _watch(self, sock: socket.socket) -> None:
        # A duplicate of the descriptor: shutting it down cuts the connection even once TLS has wrapped the socket.
        watched = socket.socket(fileno=os.dup(sock.fileno()))
        with self._lock:
            self._watched.append(watched)
            if self.expired:
                watched.shutdown(socket.SHUT_RDWR)

    def expire(self) -> None:
        """Cut every connection: the blocked read in the request's thread fails at once."""
        with self._lock:
            self.expired = True
            for watched in self._watched:
                try:
                    watched.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass  # already closed by the other side

    def close(self) -> None:
        """Let go of the duplicated descriptors."""
        with self._lock:
            for watched in self._watched:
                watched.close()
            self._watched.clear()


_TLS_LOCK = threading.Lock()


@functools.cache
def _tls_once() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)


def _tls() -> ssl.SSLContext:
    # Loading the CA bundle costs tens of milliseconds; one context serves every read (SSLContext is thread-safe).
    # The lock makes the first reads of a batch wait for one load instead of each loading it at once.
    with _TLS_LOCK:
        return _tls_once()


class _CheckedTransport(httpx.HTTPTransport):
    """httpx's transport over _CheckedBackend; httpx has no parameter for the backend, so the pool is rebuilt."""

    def __init__(self, backend: _CheckedBackend) -> None:
        super().__init__(verify=_tls(), trust_env=False, retries=0)
        self._pool = httpcore.ConnectionPool(ssl_context=_tls(), max_connections=4, retries=0, network_backend=backend)


def _connect_reason(exc: Exception, host: str) -> str:
    host = host if len(host) <= 80 else host[:77] + "…"
    text = str(exc)
    if text.startswith("could not find the host"):
        return text
    if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
        return f"the TLS connection to {host} failed (its certificate could not be verified)"
    if "refused" in text.lower():
        return f"could not connect to {host}: connection refused"
    return f"could not connect to {host}"


def check_url(url: str) -> str:
    """The URL's host after checking its scheme; raises FetchFailed for anything but http(s) with a host."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise FetchFailed("the URL is not one I can read") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchFailed(f"only http:// and https:// URLs can be read, not {parts.scheme or 'this'}:")
    if not parts.hostname:
        raise FetchFailed("the URL has no host name")
    return parts.hostname


def get(url: str, *, headers: Mapping[str, str] | None = None, params: Mapping[str, str] | None = None,
        timeout: float, allow_private: bool) -> Fetched:
    """GET a URL within `timeout` seconds in all; raises FetchFailed with the reason ("HTTP 503", "timed out after 10 s")."""
    host = check_url(url)
    backend = _CheckedBackend(allow_private, time.monotonic() + timeout)
    watchdog = threading.Timer(timeout, backend.expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        with httpx.Client(transport=_CheckedTransport(backend), trust_env=False, follow_redirects=True,
                          max_redirects=MAX_REDIRECTS, timeout=httpx.Timeout(timeout)) as client:
            with client.stream("GET", url, headers=dict(headers or {}), params=params) as response:
                if not response.is_success:
                    body = b""
                    if response.status_code in (400, 422):
                        body = response.read()[:_ERROR_BODY_BYTES]
                    raise FetchFailed(f"HTTP {response.status_code}", response.status_code, body)
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise FetchFailed(f"the answer is larger than {MAX_BODY_BYTES // 1_000_000} MB")
                    chunks.append(chunk)
                if backend.expired:
                    raise FetchFailed(f"timed out after {seconds(timeout)}")
                return Fetched(b"".join(chunks), response.headers.get("content-type", ""))
    except _Refused as exc:
        raise FetchFailed(str(exc)) from None
    except httpx.TimeoutException:
        raise FetchFailed(f"timed out after {seconds(timeout)}") from None
    except httpx.TooManyRedirects:
        raise FetchFailed(f"more than {MAX_REDIRECTS} redirects") from None
    except httpx.UnsupportedProtocol:
        raise FetchFailed("a redirect led to a URL that is not http:// or https://") from None
    except httpx.ConnectError as exc:
        if backend.expired:
            raise FetchFailed(f"timed out after {seconds(timeout)}") from None
        raise FetchFailed(_connect_reason(exc, host)) from None
    except httpx.InvalidURL:
        raise FetchFailed("the URL is not one I can read") from None
    except UnicodeError:
        # An internationalised host name that IDNA refuses, or a header from the environment that is not ASCII.
        raise FetchFailed("the host name or a header value is not text HTTP can carry") from None
    except (httpx.HTTPError, httpx.StreamError) as exc:
        if backend.expired:
            raise FetchFailed(f"timed out after {seconds(timeout)}") from None
        # Exception text from the wire can echo the request; the class name says enough.
        raise FetchFailed(f"the request failed ({type(exc).__name__})") from None
    finally:
        watchdog.cancel()
        backend.close()
