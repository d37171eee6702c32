"""The fake Slack's people and places: users, channels and DMs, the app's installs, and the methods about them.

Every method runs with FakeSlack's lock held and answers as Slack does: a dict merged into {"ok": true, ...}, or
an ApiError carrying Slack's error code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.sim.fake_scopes import METHOD_SCOPES, conversation_scope
from bot.sim.fake_wire import APP_TOKEN_PREFIX, ApiError, bot_id_of, missing, truthy, tz_zone, user_ids

# Timestamps count up from here so that tests see the same "1700000000.000100" sequence on every run (unless
# stamp_with gives the fake a clock).
TS_BASE_SECONDS = 1_700_000_000
TS_STEP_MICROS = 100


@dataclass
class Install:
    """A workspace that has approved the app: the code Slack hands back, and what exchanging it yields."""

    code: str
    team_id: str
    team_name: str
    bot_token: str
    bot_user_id: str
    enterprise_id: str | None
    enterprise_name: str | None
    installer: str
    scope: str
    used: bool = False

    @property
    def bot_id(self) -> str:
        """The bot id Slack pairs with the bot user, as FakeSlack's own bot does."""
        return bot_id_of(self.bot_user_id)


class WorkspaceMethods:
    """auth.test, apps.connections.open, oauth.v2.access, team.info, users.*, conversations.* and their helpers."""

    def _user(self, user_id: str) -> dict[str, Any]:
        try:
            return self._users[user_id]
        except KeyError:
            raise KeyError(f"unknown user {user_id!r}; add it with add_user() first") from None

    def set_user_tz(self, user_id: str, tz: str) -> None:
        """Move a known user to another IANA time zone."""
        tz_zone(tz)
        with self._lock:
            self._user(user_id)["tz"] = tz

    def set_user_status(self, user_id: str, text: str = "", emoji: str = "", expiration: int = 0) -> None:
        """Set (or, with no arguments, clear) a known user's custom status, as their profile shows it; expiration
        is a Unix time, 0 for a status that does not expire."""
        with self._lock:
            self._user(user_id).update(status_text=text, status_emoji=emoji, status_expiration=expiration)

    def set_user_deleted(self, user_id: str, deleted: bool = True) -> None:
        """Deactivate (or reactivate) a known user: DMs answer user_not_found / account_inactive, as Slack's do."""
        with self._lock:
            self._user(user_id)["deleted"] = deleted

    def add_channel(
        self, channel_id: str, *, name: str | None = None, is_private: bool = False, is_archived: bool = False,
        member: bool = True,
    ) -> None:
        """Add (or replace) a channel; the bot is a member unless member=False, and posts only where it is one
        (else not_in_channel, or channel_not_found for a private channel), as in Slack."""
        with self._lock:
            self._channels[channel_id] = {
                "id": channel_id,
                "name": name or channel_id.lower(),
                "is_private": is_private,
                "is_archived": is_archived,
                "is_mpim": False,
                "is_member": member,
            }

    def dm_channel_id(self, user_id: str) -> str:
        """The bot's DM channel id with user_id (what conversations.open answers)."""
        return "D" + user_id

    def set_member(self, channel_id: str, member: bool = True) -> None:
        """The bot joins (someone types `/invite @okrbot`) or leaves a known channel."""
        with self._lock:
            self._known_channel(channel_id)["is_member"] = member

    def set_archived(self, channel_id: str, archived: bool = True) -> None:
        """Archive (or unarchive) a known channel."""
        with self._lock:
            self._known_channel(channel_id)["is_archived"] = archived

    def _known_channel(self, channel_id: str) -> dict[str, Any]:
        try:
            return self._channels[channel_id]
        except KeyError:
            raise KeyError(f"unknown channel {channel_id!r}; add it with add_channel() first") from None

    def _resolve_quietly(self, channel: str) -> str:
        """The DM id for a user id, else the channel unchanged."""
        return self.dm_channel_id(channel) if channel in self._users else channel

    def _resolve_channel(self, channel: Any, *, post: bool = False) -> str:
        """A postable conversation id for a channel, DM or user id, or channel_not_found / is_archived.

        With post=True (chat.postMessage), also what Slack answers a bot posting where it cannot: not_in_channel
        for a public channel it is not a member of, channel_not_found for a private one, and for a deactivated
        user user_not_found (by user id) or account_inactive (by DM channel id).
        """
        if not channel or not isinstance(channel, str):
            raise ApiError("channel_not_found")
        if channel in self._users:
            if post and self._users[channel]["deleted"]:
                raise ApiError("user_not_found")
            return self.dm_channel_id(channel)
        if channel.startswith("D") and channel[1:] in self._users:
            if post and self._users[channel[1:]]["deleted"]:
                raise ApiError("account_inactive")
            return channel
        found = self._channels.get(channel)
        if found is None:
            raise ApiError("channel_not_found")
        if found["is_archived"]:
            raise ApiError("is_archived")
        if post and not found["is_member"]:
            # With chat:write (and not chat:write.public) the bot posts only where it was invited; a private
            # channel it is not in does not exist for it at all.
            raise ApiError("channel_not_found" if found["is_private"] else "not_in_channel")
        return channel

    def stamp_with(self, clock: Callable[[], datetime] | None) -> None:
        """Stamp new messages at `clock`'s time, as Slack stamps them at its own (still strictly increasing), so
        that a test on a simulated clock can look messages up by time (conversations.history's oldest); None
        goes back to counting up."""
        with self._lock:
            self._ts_clock = clock

    def _next_ts(self) -> str:
        self._ts_micros += TS_STEP_MICROS
        if self._ts_clock is not None:
            self._ts_micros = max(self._ts_micros, int(self._ts_clock().timestamp() * 1_000_000))
        return f"{self._ts_micros // 1_000_000}.{self._ts_micros % 1_000_000:06d}"

    def _user_object(self, user: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(tz_zone(user["tz"]))
        offset = now.utcoffset()
        profile = {
            "real_name": user["real_name"],
            "real_name_normalized": user["real_name"],
            "display_name": user["name"],
            "display_name_normalized": user["name"],
            "team": self.team_id,
            # Slack always sends the custom status, empty when there is none. Slack clears an expired status by
            # itself; the fake keeps it (tests run on a simulated clock), so okrbot must read the expiry.
            "status_text": user.get("status_text", ""),
            "status_emoji": user.get("status_emoji", ""),
            "status_expiration": user.get("status_expiration", 0),
        }
        if user["email"]:
            profile["email"] = user["email"]
        if user["is_bot"]:
            profile["bot_id"] = self.bot_id
        return {
            "id": user["id"],
            "team_id": self.team_id,
            "name": user["name"],
            "deleted": user["deleted"],
            "real_name": user["real_name"],
            "tz": user["tz"],
            "tz_label": now.tzname() or user["tz"],
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "profile": profile,
            "is_admin": user["is_admin"],
            "is_owner": False,
            "is_primary_owner": False,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": user["is_bot"],
            "is_app_user": False,
            "updated": TS_BASE_SECONDS,
        }

    def _conversation_object(self, channel_id: str) -> dict[str, Any]:
        if channel_id.startswith("D") and channel_id[1:] in self._users:
            user = self._users[channel_id[1:]]
            return {
                "id": channel_id,
                "created": TS_BASE_SECONDS,
                "is_im": True,
                "is_org_shared": False,
                "user": user["id"],
                "is_user_deleted": user["deleted"],
            }
        found = self._channels.get(channel_id)
        if found is None or (found["is_private"] and not found["is_member"]):
            raise ApiError("channel_not_found")
        return {
            "id": channel_id,
            "name": found["name"],
            "created": TS_BASE_SECONDS,
            "is_channel": not found["is_private"] and not found["is_mpim"],
            "is_group": found["is_private"] and not found["is_mpim"],
            "is_im": False,
            "is_mpim": found["is_mpim"],
            "is_private": found["is_private"],
            "is_archived": found["is_archived"],
            "is_member": found["is_member"],
        }

    def _check_client(self, client_id: str, client_secret: str) -> None:
        if not client_id or (self._client_id is not None and client_id != self._client_id):
            raise ApiError("invalid_client_id")
        if not client_secret or (self._client_secret is not None and client_secret != self._client_secret):
            raise ApiError("bad_client_secret")

    def _oauth_v2_access(self, params: dict[str, Any]) -> dict[str, Any]:
        install = self._installs.get(str(params.get("code") or ""))
        if install is None or install.used:
            raise ApiError("invalid_code")
        install.used = True
        enterprise = {"id": install.enterprise_id, "name": install.enterprise_name or install.enterprise_id}
        return {
            "access_token": install.bot_token,
            "token_type": "bot",
            "scope": install.scope,
            "bot_user_id": install.bot_user_id,
            "app_id": "A0FAKE",
            "team": {"id": install.team_id, "name": install.team_name},
            "enterprise": enterprise if install.enterprise_id else None,
            "is_enterprise_install": False,
            "authed_user": {"id": install.installer},
        }

    def _auth_test(self, params: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        install = self._install_tokens.get(token) if token is not None else None
        if install is None:
            domain, team, team_id, bot_user_id, bot_id = (self.team_domain, self.team_name, self.team_id,
                                                          self.bot_user_id, self.bot_id)
        else:
            domain = re.sub(r"[^a-z0-9]+", "-", install.team_name.lower()).strip("-")
            team, team_id, bot_user_id, bot_id = (install.team_name, install.team_id, install.bot_user_id,
                                                  install.bot_id)
        answer = {
            "url": f"https://{domain}.slack.com/",
            "team": team,
            "user": self._users[bot_user_id]["name"] if bot_user_id in self._users else "okrbot",
            "team_id": team_id,
            "user_id": bot_user_id,
            "bot_id": bot_id,
            "is_enterprise_install": False,
        }
        if install is not None and install.enterprise_id:
            answer["enterprise_id"] = install.enterprise_id
        return answer

    def _check_app_token(self, header_token: str | None, token: str | None) -> None:
        """apps.connections.open's token rules: an app-level token (xapp-) of this app, in the Authorization header."""
        if token is None:
            raise ApiError("not_authed")
        if header_token is None:
            # Slack's method page: "passing it as a POST parameter will result in an error".
            raise ApiError("invalid_auth")
        if not header_token.startswith(APP_TOKEN_PREFIX):
            raise ApiError("not_allowed_token_type")
        if header_token in self._revoked:
            raise ApiError("token_revoked")
        if header_token not in self._app_tokens:
            raise ApiError("invalid_auth")

    def _apps_connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        # Only an app with Socket Mode on has app tokens (FakeSlack gets them from fake_socket.SocketModeServer).
        return {"url": self._socket_mode.new_url()}

    def _team_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "team": {
                "id": self.team_id,
                "name": self.team_name,
                "domain": self.team_domain,
                "email_domain": "",
                "icon": {"image_default": True},
            }
        }

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self._users.get(str(params.get("user") or ""))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": self._user_object(user)}

    def _users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        # Cursor pagination as Slack does it: an opaque cursor, and an empty next_cursor on the last page.
        try:
            limit = max(1, min(int(params.get("limit") or 200), 1000))
            start = int(str(params.get("cursor") or "offset:0").removeprefix("offset:"))
        except ValueError:
            raise ApiError("invalid_cursor") from None
        users = sorted(self._users.values(), key=lambda u: u["id"])
        page = users[start:start + limit]
        more = start + limit < len(users)
        return {"members": [self._user_object(u) for u in page],
                "response_metadata": {"next_cursor": f"offset:{start + limit}" if more else ""}}

    def _users_lookup_by_email(self, params: dict[str, Any]) -> dict[str, Any]:
        email = str(params.get("email") or "").lower()
        if not email:
            raise missing("email")
        for user in self._users.values():
            if user["email"] and user["email"].lower() == email:
                return {"user": self._user_object(user)}
        raise ApiError("users_not_found")

    def _conversations_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            channel_id = self._resolve_channel(str(params["channel"]))
            return {"no_op": True, "already_open": True, "channel": self._conversation_object(channel_id)}
        users = user_ids(params.get("users"))
        if not users:
            raise ApiError("users_list_not_supplied")
        if len(users) > 8:
            raise ApiError("too_many_users")
        for user_id in users:
            if user_id not in self._users:
                raise ApiError("user_not_found")
        if len(users) == 1:
            channel_id = self.dm_channel_id(users[0])
        else:
            members = sorted(set(users))
            channel_id = "G" + "".join(u.removeprefix("U") for u in members)
            if channel_id not in self._channels:
                self._channels[channel_id] = {
                    "id": channel_id,
                    "name": "mpdm-" + "--".join(self._users[u]["name"] for u in members) + "-1",
                    "is_private": True,
                    "is_archived": False,
                    "is_mpim": True,
                    "is_member": True,
                }
        already = channel_id in self._opened_dms
        self._opened_dms.add(channel_id)
        channel = self._conversation_object(channel_id) if truthy(params.get("return_im")) else {"id": channel_id}
        answer: dict[str, Any] = {"channel": channel}
        if already:
            answer.update(no_op=True, already_open=True)
        return answer

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            raise ApiError("channel_not_found")
        return {"channel": self._conversation_object(str(channel))}

    def _scope_needed(self, method: str, params: dict[str, Any]) -> str | None:
        """The bot scope this call needs (conversations.info: by the kind of channel asked about)."""
        if method in ("conversations.info", "conversations.history"):
            channel = str(params.get("channel") or "")
            return conversation_scope(self._channels.get(channel), channel, history=method != "conversations.info")
        return METHOD_SCOPES.get(method)

    def _scopes_of(self, token: str | None) -> tuple[str, ...] | None:
        """The scopes a token was granted: an install's own, else the fake's (None: every scope)."""
        install = self._install_tokens.get(token) if token is not None else None
        return tuple(install.scope.split(",")) if install is not None else self.scopes
