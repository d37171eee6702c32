"""Real servers for source reads: a loopback HTTP server answering what a test sets, and a real Prometheus."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ALLOW = {"OKRBOT_SOURCES_ALLOW_PRIVATE": "1"}


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    location: str | None = None
    # Seconds between bytes: the whole answer, status line and headers included, sent one byte at a time.
    drip: float = 0.0


class LoopbackWeb:
    """What the server answers, by path, and the requests it saw (path and headers)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.routes: dict[str, Route] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def json(self, path: str, document, **kw) -> str:
        self.routes[path] = Route(body=json.dumps(document).encode(), **kw)
        return self.url(path)

    def text(self, path: str, text: str, content_type: str = "text/csv", **kw) -> str:
        self.routes[path] = Route(body=text.encode(), content_type=content_type, **kw)
        return self.url(path)


def _handler(web: LoopbackWeb):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            web.seen.append((self.path, dict(self.headers)))
            route = web.routes.get(self.path.split("?", 1)[0], Route(status=404, body=b"{}"))
            if route.delay:
                time.sleep(route.delay)
            if route.drip:
                return self._drip(route)
            try:
                self.send_response(route.status)
                if route.location:
                    self.send_header("Location", route.location)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the reader gave up first (a timeout test)

        def _drip(self, route):
            answer = (f"HTTP/1.1 {route.status} OK\r\nContent-Type: {route.content_type}\r\n"
                      f"Content-Length: {len(route.body)}\r\n\r\n").encode() + route.body
            try:
                for i in range(len(answer)):
                    self.wfile.write(answer[i:i + 1])
                    self.wfile.flush()
                    time.sleep(route.drip)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    # The default backlog of 5 would make concurrent reads wait on SYN retries rather than on the handlers.
    request_queue_size = 256
    daemon_threads = True


@pytest.fixture(scope="session")
def _loopback_server():
    web = LoopbackWeb(0)
    server = _Server(("127.0.0.1", 0), _handler(web))
    server.daemon_threads = True
    web.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield web
    server.shutdown()
    server.server_close()


@pytest.fixture
def web(_loopback_server):
    """The loopback HTTP server, with no routes and no requests seen."""
    _loopback_server.routes.clear()
    _loopback_server.seen.clear()
    return _loopback_server


# --- A real Prometheus ---------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sample_ready(url: str) -> bool:
    query = urllib.request.quote('up{job="prometheus"}')
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?query={query}", timeout=1) as answer:
            return bool(json.load(answer)["data"]["result"])
    except (OSError, ValueError, KeyError):
        return False


class _Prometheus:
    """A Prometheus process on a loopback port, scraping itself every second."""

    def __init__(self, binary: str, home) -> None:
        self.home = home
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = home / "prometheus.yml"
        config.write_text("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                          f"scrape_configs:\n  - job_name: prometheus\n"
                          f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n")
        self.log = open(home / "prometheus.log", "wb")
        self.process = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={home / 'data'}",
                                         f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"],
                                        stdout=self.log, stderr=subprocess.STDOUT)

    def wait(self) -> str:
        deadline = time.monotonic() + 30
        while not _sample_ready(self.url):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.flush()
                pytest.fail(f"prometheus did not answer a sample: {(self.home / 'prometheus.log').read_text()[-2000:]}",
                            pytrace=False)
            time.sleep(0.2)
        return self.url

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="session", autouse=True)
def _prometheus_started(tmp_path_factory):
    """Started with the first test of this folder: Prometheus takes about 5 s to scrape its first sample (its target
    discovery sends updates every 5 s), which the other tests here cover while it waits."""
    binary = shutil.which("prometheus") or ("/usr/bin/prometheus" if os.path.exists("/usr/bin/prometheus") else None)
    if binary is None:
        yield None
        return
    server = _Prometheus(binary, tmp_path_factory.mktemp("prometheus"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def prometheus(_prometheus_started):
    """The URL of a real Prometheus on a loopback port, once it has scraped a sample of its own metrics."""
    if _prometheus_started is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("prometheus is not installed (CI=true: .ci/run installs the Debian package)", pytrace=False)
        pytest.skip("prometheus is not installed (apt-get install prometheus)")
    return _prometheus_started.wait()
