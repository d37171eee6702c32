"""A small threaded HTTP server for Slack's requests (POST /slack/events) and a health check."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"
# Bolt's OAuth flow pages (multi-workspace mode): the "Add to Slack" page and Slack's redirect back.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature fixed by the stdlib
        # Request lines would flood the logs; Bolt logs what matters.
        pass


def make_wsgi_app(app):
    """A WSGI app routing Slack's requests (and, with OAuth, the install pages) to Bolt; GET /health answers ok."""
    slack = SlackRequestHandler(app)

    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD")
        if path == EVENTS_PATH and method == "POST":
            return slack(environ, start_response)
        if path in (INSTALL_PATH, REDIRECT_PATH) and method == "GET" and app.oauth_flow is not None:
            return slack(environ, start_response)
        if path == "/health":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return wsgi


def make_http_server(app, host: str, port: int) -> WSGIServer:
    """A threaded server for the Bolt app; port 0 picks a free port."""
    return make_server(host, port, make_wsgi_app(app), server_class=_ThreadingWSGIServer,
                       handler_class=_QuietHandler)
