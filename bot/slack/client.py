"""The Slack Web API client okrbot uses: retries for rate limits and transient failures, and pacing for fan-out."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import (
    BackoffRetryIntervalCalculator,
    FixedValueRetryIntervalCalculator,
)
from slack_sdk.http_retry.handler import RetryHandler

from bot.settings import SettingsError

# Slack's published per-method limits, in calls per minute, for the methods okrbot fans out with. chat.postMessage
# has no per-minute tier, only about one message a second per channel plus a workspace-wide budget; 600 a minute
# keeps a large fan-out inside that budget.
SLACK_LIMITS = {
    "chat.postMessage": 600,
    "conversations.open": 50,
    "users.info": 100,
    "users.list": 20,
    "chat.update": 50,
}
# Pace at 95%: a pacer at exactly the limit trips sliding windows at their edges and earns 429s.
DEFAULT_LIMITS = {method: int(rate * 0.95) for method, rate in SLACK_LIMITS.items()}


class RetryAfterHandler(RetryHandler):
    """Retry a 429 after the Retry-After seconds Slack asks for, plus a little jitter so clients do not stampede."""

    def __init__(self, max_retry_count: int = 3, *, jitter: float = 1.0, sleep: Callable[[float], None] = time.sleep):
        super().__init__(max_retry_count=max_retry_count)
        self.jitter = jitter
        self.sleep = sleep

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        value = headers.get("retry-after")
        value = value[0] if isinstance(value, list) and value else value
        try:
            wait = max(0.0, float(value))
        except (TypeError, ValueError):
            wait = 1.0
        self.sleep(wait + random.random() * self.jitter)
        state.next_attempt_requested = True
        state.increment_current_attempt()


class Pacer:
    """Spaces calls per method so a fan-out stays under Slack's limits instead of bouncing off 429s."""

    def __init__(self, per_minute: dict[str, int], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.interval = {method: 60.0 / rate for method, rate in per_minute.items() if rate > 0}
        self.clock = clock
        self.sleep = sleep
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()
        self.waited = 0.0

    def wait(self, method: str) -> None:
        """Block until `method` may be called again."""
        interval = self.interval.get(method)
        if interval is None:
            return
        with self._lock:
            now = self.clock()
            at = max(now, self._next.get(method, now))
            self._next[method] = at + interval
        if at > now:
            self.waited += at - now
            self.sleep(at - now)


class PacedWebClient(WebClient):
    """A WebClient whose every call first waits its turn with the Pacer."""

    def __init__(self, *args, pacer: Pacer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pacer = pacer

    def api_call(self, api_method: str, **kwargs):  # noqa: D102 - same contract as WebClient.api_call
        if self.pacer is not None:
            self.pacer.wait(api_method)
        return super().api_call(api_method, **kwargs)


def make_client(token: str | None, base_url: str, *, timeout: int = 15, backoff: float = 0.5, jitter: float = 1.0,
                pacer: Pacer | None = None) -> WebClient:
    """A client that honours Retry-After on 429, backs off on 5xx and connection errors, and paces if asked."""
    client = PacedWebClient(token=token, base_url=base_url, timeout=timeout, pacer=pacer)
    # slack_sdk's backoff adds up to a second of jitter even at factor 0; zero must mean zero (tests, benchmarks).
    interval = (BackoffRetryIntervalCalculator(backoff_factor=backoff) if backoff > 0
                else FixedValueRetryIntervalCalculator(fixed_internal=0.0))
    # Replace rather than extend: the default list already holds a ConnectionErrorRetryHandler.
    client.retry_handlers[:] = [
        RetryAfterHandler(max_retry_count=3, jitter=jitter),
        ServerErrorRetryHandler(max_retry_count=2, interval_calculator=interval),
        ConnectionErrorRetryHandler(max_retry_count=2, interval_calculator=interval),
    ]
    return client


# Slack's answers to auth.test that mean the token itself is wrong, not Slack.
TOKEN_ERRORS = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                          "not_allowed_token_type", "missing_scope", "no_permission"})


def check_slack(client: WebClient, api_url: str) -> None:
    """At start-up: Slack answers at api_url and, when the client has a token, accepts it.

    Raises SettingsError with one sentence naming what failed and the setting to check, so `serve` and `tick` stop
    with that sentence instead of failing on every request (or with a library's traceback).
    """
    method = "auth.test" if client.token else "api.test"
    try:
        response = client.api_call(method)
    except SlackApiError as exc:
        raise SettingsError(_refusal(method, exc.response, api_url)) from None
    except OSError as exc:  # URLError: refused, timed out, DNS, TLS
        reason = getattr(exc, "reason", None) or exc
        raise SettingsError(f"okrbot cannot reach Slack at SLACK_API_URL ({api_url}): {reason}. Check SLACK_API_URL "
                            "and that this machine can reach it (proxy, firewall, DNS).") from None
    if not isinstance(response.data, dict) or response.data.get("ok") is not True:
        raise SettingsError(_refusal(method, response, api_url))


def _refusal(method: str, response, api_url: str) -> str:
    data = response.data if isinstance(response.data, dict) else {}
    status = response.status_code
    error = data.get("error")
    if status >= 500:
        return (f"Slack answered {method} with HTTP {status}: it may be down (status.slack.com); start okrbot again "
                f"later, or check SLACK_API_URL ({api_url}).")
    # slack_sdk reads an answer that is not JSON (an empty one, a proxy's HTML page) as this error.
    if "ok" not in data or str(error).startswith("Received a response in a non-JSON format"):
        what = "an empty answer" if not data or str(error).endswith("format: ") else "an answer that is not JSON"
        return (f"The server at SLACK_API_URL ({api_url}) did not answer {method} like Slack's Web API "
                f"(HTTP {status}, {what}): check SLACK_API_URL.")
    if error in TOKEN_ERRORS:
        return (f"Slack refused SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-...) from the app's "
                "OAuth & Permissions page again, and reinstall the app if it was removed.")
    return (f"Slack answered {method} with {error or 'an error'} (HTTP {status}): check SLACK_BOT_TOKEN and "
            "SLACK_API_URL.")
