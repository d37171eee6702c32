"""Which OAuth scope each Web API method needs, as Slack's method pages list them, and Slack's missing_scope answer.

Slack checks a token's scopes before anything else a method does, answers `missing_scope` with the scope it
`needed` and the ones the token `provided`, and tells every caller its scopes in the `x-oauth-scopes` header (what
`okrbot doctor` reads).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bot.sim.fake_wire import ApiError

# The bot scopes of one method; conversations.info depends on the kind of channel (conversation_scope).
METHOD_SCOPES: Mapping[str, str] = {
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.delete": "chat:write",
    "users.info": "users:read",
    "users.list": "users:read",
    "users.lookupByEmail": "users:read.email",
    "conversations.open": "im:write",
    "team.info": "team:read",
    "files.getUploadURLExternal": "files:write",
    "files.completeUploadExternal": "files:write",
}
_CONVERSATION_SCOPES = {"channel": "channels:read", "group": "groups:read", "im": "im:read", "mpim": "mpim:read"}
_HISTORY_SCOPES = {"channel": "channels:history", "group": "groups:history", "im": "im:history",
                   "mpim": "mpim:history"}


def conversation_scope(channel: Mapping[str, Any] | None, channel_id: str, *, history: bool = False) -> str:
    """The scope conversations.info (or with history, conversations.history) needs for this channel (or id,
    when there is no such channel)."""
    if channel is None:
        kind = "im" if channel_id.startswith("D") else "group" if channel_id.startswith("G") else "channel"
    elif channel["is_mpim"]:
        kind = "mpim"
    else:
        kind = "group" if channel["is_private"] else "channel"
    return (_HISTORY_SCOPES if history else _CONVERSATION_SCOPES)[kind]


def check_scope(needed: str | None, granted: Iterable[str] | None) -> None:
    """Raise Slack's missing_scope when `granted` (None: every scope) lacks `needed`."""
    if needed is None or granted is None:
        return
    scopes = list(granted)
    if needed not in scopes:
        raise ApiError("missing_scope", fields={"needed": needed, "provided": ",".join(scopes)})


def scope_header(granted: Iterable[str] | None) -> dict[str, str]:
    """The x-oauth-scopes header Slack puts on its answers to a token's calls."""
    return {} if granted is None else {"x-oauth-scopes": ",".join(granted)}
