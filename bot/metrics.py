"""okrbot's Prometheus metrics, in one registry: HTTP latency by route, tick duration, messages sent and failed.

At the bottom of the layers so the HTTP edge, the scheduler and the send loop can all count into it; GET /metrics
serves it.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry()

# Slack waits 3 s for an answer: the buckets are finest below that.
REQUEST_SECONDS = Histogram(
    "okrbot_http_request_duration_seconds", "Time from a request's headers to its response, by route and status.",
    ("route", "status"), registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0))
TICK_SECONDS = Histogram(
    "okrbot_tick_duration_seconds", "Wall time of one workspace's scheduled tick (every job due).",
    registry=REGISTRY, buckets=(0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0))
MESSAGES = Counter(
    "okrbot_messages_total",
    "Scheduled messages sent, failed or recovered (sent by a process that died), by kind and Slack error.",
    ("kind", "outcome", "error"), registry=REGISTRY)


def observe_request(route: str, status: int, seconds: float) -> None:
    """Count one HTTP request; `route` is the route's path template, so the labels stay few."""
    REQUEST_SECONDS.labels(route, str(status)).observe(seconds)


def count_message(kind: str, status: str, error: str | None = None) -> None:
    """Count one message the send loop sent ('sent'), failed to send ('failed') or found in Slack, sent by a
    process that died before recording it ('recovered': not sent again); other outcomes are not counted."""
    if status in ("sent", "failed", "recovered"):
        MESSAGES.labels(kind, status, error or "").inc()


def exposition() -> tuple[bytes, str]:
    """The registry in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
