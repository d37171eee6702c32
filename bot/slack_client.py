"""The Slack Web API client okrbot uses, with retries for rate limits and transient failures."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)


def make_client(token: str | None, base_url: str, *, timeout: int = 15) -> WebClient:
    """A WebClient that honours Retry-After on 429 and backs off on 5xx and connection errors."""
    client = WebClient(token=token, base_url=base_url, timeout=timeout)
    # Replace rather than extend: the default list already holds a ConnectionErrorRetryHandler.
    client.retry_handlers[:] = [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]
    return client
