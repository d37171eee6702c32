"""Faults the fake Slack injects on demand: the next calls failing, a random failure rate, Slack's rate limits and
latency; all deterministic for a given seed."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.sim.fake_wire import Fault, RandomFaults, Window, default_error, fault_error


class FaultInjection:
    """fail_next, set_failure_rate, set_rate_limits, latency and clear_faults, and the check each call passes."""

    def fail_next(
        self,
        method: str | None = None,
        *,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        error: str | None = None,
    ) -> None:
        """Make the next `count` calls to method (any method when None) fail with `status`.

        429 answers carry Retry-After and "ratelimited"; 5xx answers "internal_error"; status 200 needs
        an `error` and answers {"ok": false, "error": error}. Rules queue up in the order given.
        """
        if count < 1:
            raise ValueError("count must be at least 1")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        if status == 200 and not error:
            raise ValueError("a status-200 failure needs an error, e.g. error='channel_not_found'")
        if not 200 <= status <= 599:
            raise ValueError(f"status must be an HTTP status, not {status}")
        with self._lock:
            self._faults.append(Fault(method, status, error or default_error(status), int(retry_after), count))

    def set_failure_rate(
        self,
        rate: float,
        *,
        statuses: Iterable[int] = (429, 500),
        methods: Iterable[str] | None = None,
        seed: int = 0,
        retry_after: int = 0,
    ) -> None:
        """Fail each matching call with probability rate, picking a status, from a seeded RNG; rate 0 turns it off."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        statuses = tuple(statuses)
        if not statuses or any(not 400 <= s <= 599 for s in statuses):
            raise ValueError("statuses must be non-empty HTTP error statuses")
        if retry_after < 0:
            raise ValueError("retry_after must not be negative")
        with self._lock:
            if rate == 0:
                self._random = None
                return
            self._random = RandomFaults(
                rate=rate,
                statuses=statuses,
                methods=frozenset(methods) if methods is not None else None,
                rng=random.Random(seed),
                retry_after=int(retry_after),
            )

    def set_rate_limits(
        self,
        per_method_per_minute: Mapping[str, int] | None,
        *,
        channel_per_second: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Enforce Slack-like sliding-window limits per method and chat.postMessage per channel; None turns them off."""
        limits = dict(per_method_per_minute or {})
        if any(limit < 1 for limit in limits.values()):
            raise ValueError("per-minute limits must be at least 1")
        if channel_per_second is not None and channel_per_second <= 0:
            raise ValueError("channel_per_second must be positive")
        with self._lock:
            self._method_windows = {method: Window(limit, 60.0) for method, limit in limits.items()}
            self._channel_rate = channel_per_second
            self._channel_windows = {}
            self._clock = clock

    def latency(self, seconds: float) -> None:
        """Delay every answer by `seconds` (0 turns it off)."""
        if seconds < 0:
            raise ValueError("latency must not be negative")
        with self._lock:
            self._latency = float(seconds)

    def clear_faults(self) -> None:
        """Drop pending fail_next rules, the failure rate, rate limits and latency."""
        with self._lock:
            self._faults.clear()
            self._random = None
            self._method_windows = {}
            self._channel_rate = None
            self._channel_windows = {}
            self._latency = 0.0

    def _inject_faults(self, method: str, params: dict[str, Any]) -> None:
        for index, fault in enumerate(self._faults):
            if fault.method is None or fault.method == method:
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._faults[index]
                raise fault_error(fault.status, fault.error, fault.retry_after)
        self._check_rate_limits(method, params)
        chance = self._random
        if chance is not None and (chance.methods is None or method in chance.methods):
            if chance.rng.random() < chance.rate:
                status = chance.rng.choice(chance.statuses)
                raise fault_error(status, default_error(status), chance.retry_after)

    def _check_rate_limits(self, method: str, params: dict[str, Any]) -> None:
        window = self._method_windows.get(method)
        channel_window = None
        if self._channel_rate is not None and method == "chat.postMessage" and params.get("channel"):
            key = self._resolve_quietly(str(params["channel"]))
            channel_window = self._channel_windows.get(key)
            if channel_window is None:
                # Allow floor(rate) posts per window so that both 1/s and 0.5/s (one per 2 s) behave as stated.
                limit = max(1, math.floor(self._channel_rate))
                channel_window = self._channel_windows[key] = Window(limit, limit / self._channel_rate)
        if window is None and channel_window is None:
            return
        now = self._clock()
        waits = [w.wait(now) for w in (window, channel_window) if w is not None]
        blocked = [wait for wait in waits if wait is not None]
        if blocked:
            raise fault_error(429, "ratelimited", max(blocked))
        for w in (window, channel_window):
            if w is not None:
                w.take(now)
