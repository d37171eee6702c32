"""A loopback HTTP server playing a team's metrics endpoint: a JSON answer, an HTTP error, or one that hangs."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class MetricsServer:
    """Serves GET /<name>.json as {"data": {"d7": value}}; set `status` for an error, `hang` (seconds) to stall."""

    def __init__(self) -> None:
        self.value: float | str = 31.5
        self.status = 200
        self.hang = 0.0
        # How long a request whose path says "hang" stalls (past any reader's timeout).
        self.hang_seconds = 30.0
        self.hits = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                with server._lock:
                    server.hits += 1
                if server.hang or "hang" in self.path:
                    time.sleep(server.hang or server.hang_seconds)
                body = json.dumps({"data": {"d7": server.value}}).encode()
                try:
                    self.send_response(server.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the reader gave up waiting

            def log_message(self, *_args):
                pass

        class Server(ThreadingHTTPServer):
            # socketserver's default backlog of 5 would turn a burst of concurrent reads into connect retries.
            request_queue_size = 1024

        self._httpd = Server(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def source(self, name: str = "activation") -> dict:
        """A source definition of this server, as an OKR file writes it."""
        return {"type": "http", "url": f"{self.url}/{name}.json", "path": "data.d7"}

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


if __name__ == "__main__":
    # Served from its own process by bench/bench_sources.py, so that the server's work is not the tick's CPU time.
    import sys

    metrics = MetricsServer()
    metrics.hang_seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
    print(metrics.url, flush=True)
    threading.Event().wait()
