"""okrbot's one ASGI app: Slack's endpoints, GET /health, GET /metrics and the REST API, behind the request limits.

A Starlette app, with the REST API (a FastAPI app, web/api.py) mounted at /api/v1: the API gets FastAPI's
validation and OpenAPI document, while Slack's endpoints stay plain Starlette routes.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Match, Mount, Route

from bot import metrics
from web.limits import BodyLimit
from web.server import Limits
from web.slack import AcksFirst, SlackEndpoint

EVENTS_PATH = "/slack/events"
API_PATH = "/api/v1"
# Bolt's OAuth flow pages (multi-workspace mode): the "Add to Slack" page and Slack's redirect back.
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# Bolt's sync dispatch (signature, ack, and for clicks and submissions the work itself) runs in this many threads:
# enough to overlap Slack calls and database waits, few enough not to starve the event loop of the GIL (8 made a
# burst's acks slower than 4 in bench/bench_server.py).
SLACK_WORKERS = 4


class RequestMetrics:
    """ASGI middleware: every request's latency, labelled by its route's path template and its status."""

    def __init__(self, app, routes):
        self.app = app
        self.routes = routes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 0

        async def noting(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noting)
        finally:
            metrics.observe_request(self.route_of(scope), status, time.perf_counter() - started)

    def route_of(self, scope) -> str:
        """The path template of the route the request is for (its method aside); all others share one label."""
        for route in self.routes:
            if route.matches(scope)[0] != Match.NONE:
                return route.path
        return "unmatched"


async def health(_request: Request) -> Response:
    """The load balancer's check: the process answers."""
    return PlainTextResponse("ok")


async def metrics_page(_request: Request) -> Response:
    """Prometheus' scrape."""
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


class Web:
    """The ASGI app (`.asgi`) and what it owns: the Slack endpoint's thread pool; `after_ack` (Bolt's executor for
    lazy listeners) learns when Slack's requests are being answered."""

    def __init__(self, bolt, *, signing_secret: str, limits: Limits = Limits(), workers: int = SLACK_WORKERS,
                 after_ack: AcksFirst | None = None, api=None):
        self.slack = SlackEndpoint(bolt, signing_secret, workers=workers, after_ack=after_ack)
        routes = [Route(EVENTS_PATH, self.slack.events, methods=["POST"])]
        if bolt.oauth_flow is not None:
            routes += [Route(INSTALL_PATH, self.slack.oauth, methods=["GET"]),
                       Route(REDIRECT_PATH, self.slack.oauth, methods=["GET"])]
        routes += [Route("/health", health, methods=["GET", "HEAD"]), Route("/metrics", metrics_page, methods=["GET"])]
        if api is not None:
            routes.append(Mount(API_PATH, app=api))
        app = Starlette(routes=routes)
        self.app = app
        self.asgi = RequestMetrics(BodyLimit(app, max_body=limits.max_body, body_seconds=limits.body_seconds),
                                   app.routes)

    def close(self) -> None:
        """Let Bolt finish what it is doing; called after the server stopped taking requests."""
        self.slack.close()
