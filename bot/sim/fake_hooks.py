"""The fake's response_url hooks: where a slash command's answer is posted after the ack, as Slack accepts it.

Slack gives each invocation its own URL, good for five posts within thirty minutes, taking a JSON message.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.sim.fake_wire import ApiError

HOOK_USES = 5
HOOK_SECONDS = 30 * 60
HOOK_PREFIX = "/commands/"


@dataclass
class Hook:
    """One response_url: when it was issued, and the messages posted to it and when (time.monotonic())."""

    issued: float
    posts: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)


class HookMethods:
    """response_url, posts_to and wait_for_answer, and the wire's answer to a post."""

    def response_url(self) -> str:
        """A fresh response_url for one slash command, served by this fake on loopback."""
        with self._lock:
            self._hook_counter += 1
            path = f"{HOOK_PREFIX}{self.team_id}/{self._hook_counter}/{secrets.token_hex(8)}"
            self._hooks[path] = Hook(time.monotonic())
            return f"http://127.0.0.1:{self.port}{path}"

    def posts_to(self, url: str) -> list[dict[str, Any]]:
        """The messages posted to a response_url so far, in order."""
        with self._lock:
            hook = self._hooks.get(_path(url))
            return [dict(post) for post in hook.posts] if hook else []

    def answered_at(self, url: str) -> float | None:
        """When (time.monotonic()) the first message reached a response_url, or None."""
        with self._lock:
            hook = self._hooks.get(_path(url))
            return hook.arrived[0] if hook and hook.arrived else None

    def wait_for_answer(self, url: str, trigger_id: str, timeout: float = 10.0) -> dict[str, Any] | None:
        """Block until a command's answer arrived: the first message posted to `url`, or None once a modal was opened
        with `trigger_id` (answered or refused); raises TimeoutError when neither happens within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                hook = self._hooks.get(_path(url))
                if hook and hook.posts:
                    return dict(hook.posts[0])
                # A modal that opened is the answer; one Slack refused is explained at the response_url next.
                if any(call.method == "views.open" and call.params.get("trigger_id") == trigger_id
                       and call.error is None for call in self._calls):
                    return None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer to the command with trigger {trigger_id} within {timeout:g} s")
                self._changed.wait(left)

    def _answer_hook(self, path: str, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """The HTTP status and text a post to a response_url gets."""
        with self._lock:
            try:
                hook = self._hooks.get(path)
                if hook is None or len(hook.posts) >= HOOK_USES or time.monotonic() - hook.issued > HOOK_SECONDS:
                    return 404, "expired_url"
                if (headers.get("Content-Type") or "").split(";")[0].strip().lower() != "application/json":
                    raise ApiError("invalid_payload")
                try:
                    message = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, json.JSONDecodeError):
                    raise ApiError("invalid_payload") from None
                if not isinstance(message, dict):
                    raise ApiError("invalid_payload")
                self._check_content("response_url", message)
                hook.posts.append(message)
                hook.arrived.append(time.monotonic())
                self._changed.notify_all()
                return 200, "ok"
            except ApiError as exc:
                return 400, exc.error


def _path(url: str) -> str:
    return url[url.index(HOOK_PREFIX):] if HOOK_PREFIX in url else url
