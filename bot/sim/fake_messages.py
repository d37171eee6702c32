"""The fake Slack's messages and views: chat.* and views.*, and the checks Slack makes on what they carry.

Every method runs with FakeSlack's lock held and answers as Slack does: a dict merged into {"ok": true, ...}, or
an ApiError carrying Slack's error code.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from typing import Any

from bot.sim.fake_validate import Refusal, Violation, check_message, check_view, record
from bot.sim.fake_workspace import TS_BASE_SECONDS
from bot.sim.fake_wire import ApiError, missing, truthy

# Message metadata as chat.postMessage takes it: an event_type of letters, digits, underscores and hyphens, and an
# event_payload object (Slack's docs). Slack posts a message whose event_type is invalid with an
# invalid_metadata_schema warning and drops the metadata; the fake refuses it, so the test that sent it fails.
_EVENT_TYPE = re.compile(r"^[a-zA-Z0-9_-]+$")
# conversations.history's default and largest page.
HISTORY_LIMIT = 100
HISTORY_MAX = 999


def _history_ts(raw: Any, error: str) -> float | None:
    """conversations.history's oldest or latest as a number, or Slack's invalid_ts_oldest / invalid_ts_latest."""
    if raw is None or raw == "":
        return None
    try:
        return float(raw)
    except (TypeError, ValueError):
        raise ApiError(error) from None


# Slack's history cursors are base64 of "next_ts:" and the digits of the first message of the next page.
def _cursor(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


def _from_cursor(raw: Any) -> float | None:
    if not raw:
        return None
    try:
        digits = base64.b64decode(str(raw), validate=True).decode().removeprefix("next_ts:")
        if not digits.isdigit() or len(digits) <= 6:
            raise ValueError(digits)
    except ValueError:
        raise ApiError("invalid_cursor") from None
    return float(f"{digits[:-6]}.{digits[-6:]}")


def _check_metadata(raw: Any) -> dict[str, Any] | None:
    """The metadata as Slack stores it, or Slack's invalid_metadata_format / invalid_metadata_schema."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiError("invalid_metadata_format") from None
    if not isinstance(raw, dict):
        raise ApiError("invalid_metadata_format")
    event_type, payload = raw.get("event_type"), raw.get("event_payload")
    if not isinstance(event_type, str) or not _EVENT_TYPE.match(event_type) or not isinstance(payload, dict):
        raise ApiError("invalid_metadata_schema")
    return {"event_type": event_type, "event_payload": copy.deepcopy(payload)}


# A trigger_id is good for one views.open or views.push, within three seconds of the interaction (Slack's docs).
TRIGGER_SECONDS = 3.0


class MessageMethods:
    """chat.postMessage, chat.update, chat.postEphemeral, chat.delete and views.open/push/update/publish."""

    def _message_payload(self, message: dict[str, Any]) -> dict[str, Any]:
        payload = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel" and v is not None}
        payload.setdefault("blocks", [])
        return payload

    def _refuse(self, method: str, refusal: Refusal) -> ApiError:
        """Record what Slack would refuse (on the fake and for the test that caused it) and answer it."""
        violation = Violation(method, refusal.error, refusal.messages)
        self.violations.append(violation)
        record(violation)
        return ApiError(refusal.error, details=refusal.messages)

    def _check_content(self, method: str, params: dict[str, Any], *, required: bool = True) -> None:
        blocks = params.get("blocks")
        attachments = params.get("attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise ApiError("invalid_attachments")
        if required and not params.get("text") and not blocks and not attachments:
            raise ApiError("no_text")
        refusal = check_message(params) or self._slack_file_refusal(blocks)
        if refusal is not None:
            raise self._refuse(method, refusal)

    def issue_trigger(self) -> str:
        """A new trigger_id, as Slack puts one in each interaction payload: one views.open or views.push, soon."""
        with self._lock:
            self._trigger_counter += 1
            trigger = f"{TS_BASE_SECONDS + self._trigger_counter}.{self._trigger_counter:08d}.{self._trigger_counter:032x}"
            self._triggers[trigger] = self._trigger_clock()
            return trigger

    def expire_trigger(self, trigger_id: str) -> None:
        """Age a trigger past Slack's three seconds, as a slow answer would."""
        with self._lock:
            if trigger_id in self._triggers:
                self._triggers[trigger_id] = self._trigger_clock() - TRIGGER_SECONDS - 1

    def _use_trigger(self, params: dict[str, Any]) -> None:
        trigger = params.get("trigger_id")
        if not trigger:
            if params.get("interactivity_pointer"):
                return
            raise missing("trigger_id")
        issued = self._triggers.get(str(trigger))
        if issued is None:
            raise ApiError("exchanged_trigger_id" if trigger in self._used_triggers else "invalid_trigger_id")
        if self._trigger_clock() - issued > TRIGGER_SECONDS:
            raise ApiError("expired_trigger_id")
        del self._triggers[str(trigger)]
        self._used_triggers.add(str(trigger))

    def _new_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:08d}"

    def _view_hash(self) -> str:
        self._hash_counter += 1
        return f"{TS_BASE_SECONDS + self._hash_counter}.{self._hash_counter:08x}"

    def _check_view(self, method: str, view: Any, *, kind: str) -> None:
        if not isinstance(view, dict):
            raise missing("view")
        refusal = check_view(view, kind=kind)
        if refusal is not None:
            raise self._refuse(method, refusal)

    def _store_view(
        self, view: Any, *, kind: str, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        blocks = view.get("blocks", [])
        external_id = view.get("external_id")
        if external_id:
            for other in self._views.values():
                if other["external_id"] == external_id and other["id"] != view_id:
                    raise ApiError("duplicate_external_id")
        view_id = view_id or self._new_view_id()
        stored = {
            "id": view_id,
            "team_id": self.team_id,
            "type": kind,
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": copy.deepcopy(blocks),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": external_id or "",
            "state": {"values": {}},
            "hash": self._view_hash(),
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "root_view_id": root or view_id,
            "previous_view_id": None,
            "app_id": "A0FAKE",
            "bot_id": self.bot_id,
        }
        self._views[view_id] = stored
        return stored

    # --- Web API methods (called with the lock held) -----------------------------------------------

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"), post=True)
        self._check_content("chat.postMessage", params)
        metadata = _check_metadata(params.get("metadata"))
        ts = self._next_ts()
        message = {
            "type": "message",
            "channel": channel,
            "ts": ts,
            "text": str(params.get("text") or ""),
            "blocks": copy.deepcopy(params.get("blocks") or []),
            "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
        }
        if params.get("attachments") is not None:
            message["attachments"] = copy.deepcopy(params["attachments"])
        if message["thread_ts"] and truthy(params.get("reply_broadcast")):
            message["subtype"] = "thread_broadcast"
        if metadata is not None:
            message["metadata"] = metadata
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": self._message_payload(message)}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        raw = params.get("channel")
        if raw in self._users:
            # A conversation id only: Slack does not open the DM of a user id here, as chat.postMessage does.
            raise ApiError("channel_not_found")
        channel = self._resolve_channel(raw)
        found = self._channels.get(channel)
        if found is not None and not found["is_member"]:
            raise ApiError("channel_not_found" if found["is_private"] else "not_in_channel")
        oldest = _history_ts(params.get("oldest"), "invalid_ts_oldest") or 0.0
        latest = _history_ts(params.get("latest"), "invalid_ts_latest")
        inclusive = truthy(params.get("inclusive"))
        limit = min(int(params.get("limit") or HISTORY_LIMIT), HISTORY_MAX)
        start = _from_cursor(params.get("cursor"))
        with_metadata = truthy(params.get("include_all_metadata"))

        def within(ts: float) -> bool:
            # Strictly between oldest and latest unless inclusive, as Slack's docs say; the cursor's page goes on
            # from (and including) the message it names.
            return ((ts >= oldest if inclusive else ts > oldest)
                    and (latest is None or (ts <= latest if inclusive else ts < latest))
                    and (start is None or ts <= start))

        # Newest first, as Slack answers, and only the conversation's own messages: a thread's replies are not in
        # its history (conversations.replies has them), but for those also sent to the channel.
        def listed(m: dict[str, Any]) -> bool:
            return not m.get("thread_ts") or m["thread_ts"] == m["ts"] or m.get("subtype") == "thread_broadcast"

        picked = sorted((m for (where, ts), m in self._messages.items()
                         if where == channel and within(float(ts)) and listed(m)),
                        key=lambda m: float(m["ts"]), reverse=True)
        page = []
        for message in picked[:limit]:
            shown = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel" and v is not None}
            if not with_metadata:
                shown.pop("metadata", None)
            page.append(shown)
        answer: dict[str, Any] = {"messages": page, "has_more": len(picked) > limit, "pin_count": 0}
        if len(picked) > limit:
            answer["response_metadata"] = {"next_cursor": _cursor(picked[limit]["ts"])}
        return answer

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._messages.get((channel, ts))
        if message is None:
            raise ApiError("message_not_found")
        self._check_content("chat.update", params)
        if "text" in params:
            message["text"] = str(params["text"] or "")
        for field in ("blocks", "attachments", "metadata"):
            if field in params:
                message[field] = copy.deepcopy(params[field])
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        return {"channel": channel, "ts": ts, "text": message["text"], "message": self._message_payload(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        user_id = str(params.get("user") or "")
        if user_id not in self._users:
            raise ApiError("user_not_found")
        self._check_content("chat.postEphemeral", params)
        ts = self._next_ts()
        self._ephemerals.append(
            {
                "channel": channel,
                "user": user_id,
                "ts": ts,
                "text": str(params.get("text") or ""),
                "blocks": copy.deepcopy(params.get("blocks") or []),
                "thread_ts": str(params["thread_ts"]) if params.get("thread_ts") else None,
            }
        )
        return {"message_ts": ts}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        if self._messages.pop((channel, ts), None) is None:
            raise ApiError("message_not_found")
        return {"channel": channel, "ts": ts}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_view("views.open", params.get("view"), kind="modal")
        self._use_trigger(params)
        stored = self._store_view(params.get("view"), kind="modal")
        self._opened.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        self._check_view("views.push", params.get("view"), kind="modal")
        self._use_trigger(params)
        # Real Slack finds the stack from the trigger; the fake assumes the most recently opened modal.
        parent = self._views[self._opened[-1]] if self._opened else None
        stored = self._store_view(params.get("view"), kind="modal", root=parent["root_view_id"] if parent else None)
        if parent is not None:
            stored["previous_view_id"] = self._pushed[-1] if self._pushed else parent["id"]
        self._pushed.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        view_id, external_id = params.get("view_id"), params.get("external_id")
        if not view_id and not external_id:
            raise missing("view_id")
        if view_id:
            current = self._views.get(str(view_id))
        else:
            current = next((v for v in self._views.values() if v["external_id"] == external_id), None)
        if current is None or current["id"] in self._closed:
            raise ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = params.get("view")
        if isinstance(view, dict) and "type" not in view:
            view = {**view, "type": current["type"]}
        self._check_view("views.update", view, kind=current["type"])
        stored = self._store_view(view, kind=current["type"], view_id=current["id"], root=current["root_view_id"])
        stored["previous_view_id"] = current["previous_view_id"]
        return {"view": copy.deepcopy(stored)}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user_id") or "")
        if not user_id:
            raise missing("user_id")
        if user_id not in self._users:
            raise ApiError("user_not_found")
        current_id = self._homes.get(user_id)
        if current_id is not None and params.get("hash") and params["hash"] != self._views[current_id]["hash"]:
            raise ApiError("hash_conflict")
        self._check_view("views.publish", params.get("view"), kind="home")
        # A user's Home tab keeps its view id across publishes, as in Slack.
        stored = self._store_view(params.get("view"), kind="home", view_id=current_id)
        self._homes[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}
