"""The fake Slack's messages and views: chat.* and views.*, and the checks Slack makes on what they carry.

Every method runs with FakeSlack's lock held and answers as Slack does: a dict merged into {"ok": true, ...}, or
an ApiError carrying Slack's error code.
"""

from __future__ import annotations

import copy
from typing import Any

from bot.sim.fake_workspace import TS_BASE_SECONDS
from bot.sim.fake_wire import ApiError, missing

# Slack's own limits.
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
MESSAGE_CHARS = 40_000


class MessageMethods:
    """chat.postMessage, chat.update, chat.postEphemeral, chat.delete and views.open/push/update/publish."""

    def _message_payload(self, message: dict[str, Any]) -> dict[str, Any]:
        payload = {k: copy.deepcopy(v) for k, v in message.items() if k != "channel" and v is not None}
        payload.setdefault("blocks", [])
        return payload

    def _check_content(self, params: dict[str, Any], *, required: bool = True) -> None:
        blocks = params.get("blocks")
        if blocks is not None and (not isinstance(blocks, list) or len(blocks) > MESSAGE_BLOCKS):
            raise ApiError("invalid_blocks")
        attachments = params.get("attachments")
        if attachments is not None and not isinstance(attachments, list):
            raise ApiError("invalid_attachments")
        text = params.get("text")
        if required and not text and not blocks and not attachments:
            raise ApiError("no_text")
        if text is not None and len(str(text)) > MESSAGE_CHARS:
            raise ApiError("msg_too_long")

    def _new_view_id(self) -> str:
        self._view_counter += 1
        return f"V{self._view_counter:08d}"

    def _view_hash(self) -> str:
        self._hash_counter += 1
        return f"{TS_BASE_SECONDS + self._hash_counter}.{self._hash_counter:08x}"

    def _store_view(
        self, view: Any, *, kind: str, view_id: str | None = None, root: str | None = None
    ) -> dict[str, Any]:
        if not isinstance(view, dict):
            raise missing("view")
        if view.get("type") != kind:
            raise ApiError("invalid_arguments", detail=f"[ERROR] view type must be {kind!r}")
        blocks = view.get("blocks", [])
        if not isinstance(blocks, list) or len(blocks) > VIEW_BLOCKS:
            raise ApiError("invalid_arguments", detail="[ERROR] blocks must be a list of at most 100 blocks")
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
        channel = self._resolve_channel(params.get("channel"))
        self._check_content(params)
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
        for optional in ("attachments", "metadata"):
            if params.get(optional) is not None:
                message[optional] = copy.deepcopy(params[optional])
        self._messages[(channel, ts)] = message
        return {"channel": channel, "ts": ts, "message": self._message_payload(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(params.get("channel"))
        ts = str(params.get("ts") or "")
        message = self._messages.get((channel, ts))
        if message is None:
            raise ApiError("message_not_found")
        self._check_content(params)
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
        self._check_content(params)
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
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise missing("trigger_id")
        stored = self._store_view(params.get("view"), kind="modal")
        self._opened.append(stored["id"])
        return {"view": copy.deepcopy(stored)}

    def _views_push(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("trigger_id") and not params.get("interactivity_pointer"):
            raise missing("trigger_id")
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
        if current is None:
            raise ApiError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise ApiError("hash_conflict")
        view = params.get("view")
        if isinstance(view, dict) and "type" not in view:
            view = {**view, "type": current["type"]}
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
        # A user's Home tab keeps its view id across publishes, as in Slack.
        stored = self._store_view(params.get("view"), kind="home", view_id=current_id)
        self._homes[user_id] = stored["id"]
        return {"view": copy.deepcopy(stored)}
