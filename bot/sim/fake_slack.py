"""A fake of the Slack Web API on loopback, with call recording and deterministic fault injection.

FakeSlack holds the workspace (users, channels, messages, views, installs, files), the fault rules and the record
of calls; fake_workspace, fake_messages and fake_files answer the methods, fake_scopes checks scopes, fake_faults
fails calls on demand, fake_wire speaks HTTP, fake_render reads messages back as text.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.sim.fake_faults import FaultInjection
from bot.sim.fake_files import FileMethods
from bot.sim.fake_hooks import Hook, HookMethods
from bot.sim.fake_messages import MessageMethods
from bot.sim.fake_workspace import TS_BASE_SECONDS, Install, WorkspaceMethods
from bot.sim.fake_render import render
from bot.sim.fake_scopes import check_scope, scope_header
from bot.sim.fake_validate import Violation
from bot.slack.workspaces import BOT_SCOPES
from bot.sim.fake_wire import (
    APP_TOKEN_METHODS,
    APP_TOKEN_PREFIX,
    CLIENT_AUTH_METHODS,
    NO_AUTH_METHODS,
    ApiError,
    Call,
    Fault,
    RandomFaults,
    Window,
    WireServer,
    basic_credentials,
    bearer,
    bot_id_of,
    parse_params,
    sign_request,
    tz_zone,
)

__all__ = ["Call", "FakeSlack", "render", "sign_request"]


class FakeSlack(FaultInjection, WorkspaceMethods, MessageMethods, HookMethods, FileMethods):
    """The Slack Web API on 127.0.0.1, for slack_sdk's WebClient(base_url=fake.url).

    Users and channels must be added before use, as in a real workspace (the bot user is always there).
    Every call is recorded in `.calls`; fail_next, set_failure_rate, set_rate_limits and latency inject
    faults. add_install plays other workspaces installing the app (oauth.v2.access, then auth.test per token)
    and revoke plays an uninstall; response_url issues a slash command's response_url, served here too.
    All methods are thread-safe.

    It is as strict as Slack: every message and view is checked by bot/sim/fake_validate.py and refused as Slack
    refuses it (kept in .violations); issue_trigger hands out single-use trigger_ids that expire after 3 seconds;
    views.update with a stale hash answers hash_conflict, and of a view closed with close_view, not_found.
    """

    def __init__(self, *, team_id: str = "T0FAKE", bot_user_id: str = "U0BOT", tokens: Iterable[str] | None = None,
                 client_id: str | None = None, client_secret: str | None = None,
                 scopes: Iterable[str] | None = BOT_SCOPES):
        self.team_id = team_id
        self.scopes = tuple(scopes) if scopes is not None else None  # manifest.yaml's by default; None: all
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id_of(bot_user_id)
        self.team_name, self.team_domain = "Fake Workspace", "fake-workspace"
        self.errors: list[BaseException] = []
        self._tokens = frozenset(tokens) if tokens is not None else None
        # The app's OAuth credentials; None accepts any non-empty value, so tests need not configure them.
        self._client_id, self._client_secret = client_id, client_secret
        self._installs: dict[str, Install] = {}
        self._install_tokens: dict[str, Install] = {}
        self._revoked: set[str] = set()
        # Socket Mode (bot/sim/fake_socket.py): the app-level tokens apps.connections.open accepts, and the server.
        self._app_tokens: set[str] = set()
        self._socket_mode: Any = None
        self._lock = threading.RLock()
        # Notified on every call and response_url post, for wait_for_answer.
        self._changed = threading.Condition(self._lock)
        self._hooks: dict[str, Hook] = {}
        self._hook_counter = 0
        self._server: WireServer | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[Call] = []
        self._users: dict[str, dict[str, Any]] = {}
        self._channels: dict[str, dict[str, Any]] = {}
        self._opened_dms: set[str] = set()
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ephemerals: list[dict[str, Any]] = []
        self._views: dict[str, dict[str, Any]] = {}
        self._opened: list[str] = []
        self._pushed: list[str] = []
        self._closed: set[str] = set()
        self._homes: dict[str, str] = {}
        self._files: dict[str, dict[str, Any]] = {}
        # Payloads refused as Slack would refuse them (bot/sim/fake_validate.py), in order.
        self.violations: list[Violation] = []
        self._triggers: dict[str, float] = {}
        self._used_triggers: set[str] = set()
        self._trigger_counter = 0
        self._trigger_clock: Callable[[], float] = time.monotonic
        self._ts_micros = TS_BASE_SECONDS * 1_000_000
        self._ts_clock: Callable[[], Any] | None = None  # stamp_with
        self._view_counter = 0
        self._hash_counter = 0
        self._faults: list[Fault] = []
        self._random: RandomFaults | None = None
        self._method_windows: dict[str, Window] = {}
        self._channel_rate: float | None = None
        self._channel_windows: dict[str, Window] = {}
        self._clock: Callable[[], float] = time.monotonic
        self._latency = 0.0
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "api.test": lambda params: {"args": params} if params else {},
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "oauth.v2.access": self._oauth_v2_access,
            "team.info": self._team_info,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "users.list": self._users_list,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.history": self._conversations_history,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.add_user(bot_user_id, name="okrbot", real_name="OKR Bot", is_bot=True)

    # --- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on an ephemeral loopback port in a daemon thread; returns self."""
        with self._lock:
            if self._server is not None:
                raise RuntimeError("FakeSlack is already running")
            self._server = WireServer(self)
            # A 10 ms poll: stop() waits for the loop to look up, and every test using the fake stops one.
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, name="FakeSlack", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and release the port; safe to call twice."""
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> FakeSlack:
        """Start, for `with FakeSlack() as fake:`."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop."""
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens on."""
        with self._lock:
            if self._server is None:
                raise RuntimeError("FakeSlack is not running; call start() first")
            return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The base_url for slack_sdk, e.g. "http://127.0.0.1:PORT/api/"."""
        return f"http://127.0.0.1:{self.port}/api/"

    # --- workspace setup ---------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "UTC",
        name: str | None = None,
        real_name: str | None = None,
        is_admin: bool = False,
        deleted: bool = False,
        email: str | None = None,
        is_bot: bool = False,
    ) -> None:
        """Add (or replace) a workspace member; tz must be an IANA zone name."""
        tz_zone(tz)
        name = name or user_id.lower()
        with self._lock:
            self._users[user_id] = {
                "id": user_id,
                "name": name,
                "real_name": real_name or name,
                "tz": tz,
                "is_admin": is_admin,
                "deleted": deleted,
                "email": email,
                "is_bot": is_bot,
                "status_text": "",
                "status_emoji": "",
                "status_expiration": 0,
            }


    # --- installs (multi-workspace OAuth) ----------------------------------------------------------

    def add_install(
        self,
        code: str,
        *,
        team_id: str,
        team_name: str,
        bot_token: str,
        bot_user_id: str = "U0BOT",
        enterprise_id: str | None = None,
        enterprise_name: str | None = None,
        installer: str = "U0INSTALLER",
        scope: str = ",".join(BOT_SCOPES),
    ) -> None:
        """Register the code Slack would redirect with after team_id approves the app; oauth.v2.access redeems it once.

        Users and channels stay shared by all workspaces: calls tell workspaces apart by the token they carry.
        """
        if not code or not bot_token:
            raise ValueError("an install needs a code and a bot token")
        with self._lock:
            if code in self._installs:
                raise ValueError(f"code {code!r} is already registered")
            install = Install(code, team_id, team_name, bot_token, bot_user_id, enterprise_id,
                               enterprise_name if enterprise_id else None, installer, scope)
            self._installs[code] = install
            self._install_tokens[bot_token] = install

    def revoke(self, token: str) -> None:
        """Revoke a token, as uninstalling does: every later call with it answers token_revoked."""
        with self._lock:
            self._revoked.add(token)

    # --- inspection --------------------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        """Every call so far, in the order answered (a snapshot)."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        """The calls to one Web API method, in the order answered."""
        with self._lock:
            return [call for call in self._calls if call.method == method]

    def reset_calls(self) -> None:
        """Forget the recorded calls (the workspace state stays)."""
        with self._lock:
            self._calls.clear()

    def clear_messages(self) -> None:
        """Forget stored messages, as if everyone had read and deleted them (users and channels stay)."""
        with self._lock:
            self._messages.clear()

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Stored messages in posting order (updates applied, deletions gone), optionally of one channel or DM."""
        with self._lock:
            wanted = self._resolve_quietly(channel) if channel is not None else None
            return [copy.deepcopy(m) for m in self._messages.values() if wanted is None or m["channel"] == wanted]

    def dms_to(self, user_id: str) -> list[dict[str, Any]]:
        """Messages in the bot's DM with user_id, whether posted to the DM id or to the user id."""
        return self.messages(self.dm_channel_id(user_id))

    def ephemerals(self, user_id: str | None = None) -> list[dict[str, Any]]:
        """chat.postEphemeral messages, optionally only those shown to user_id."""
        with self._lock:
            return [copy.deepcopy(m) for m in self._ephemerals if user_id is None or m["user"] == user_id]

    def views_opened(self) -> list[dict[str, Any]]:
        """Modals opened with views.open, in order, each as currently stored (views.update applies)."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._opened]

    def views_pushed(self) -> list[dict[str, Any]]:
        """Modals pushed with views.push, in order, each as currently stored."""
        with self._lock:
            return [copy.deepcopy(self._views[view_id]) for view_id in self._pushed]

    def view(self, view_id: str) -> dict[str, Any] | None:
        """One stored view by id, or None."""
        with self._lock:
            found = self._views.get(view_id)
            return copy.deepcopy(found) if found is not None else None

    def close_view(self, view_id: str) -> None:
        """The person closes a modal: views.update of it answers not_found from then on."""
        with self._lock:
            self._closed.add(view_id)

    def published_home(self, user_id: str) -> dict[str, Any] | None:
        """The Home tab last published for user_id, or None."""
        with self._lock:
            view_id = self._homes.get(user_id)
            return copy.deepcopy(self._views[view_id]) if view_id is not None else None

    def render(self, blocks_or_message: Any) -> str:
        """render() with user mentions shown by the names of this workspace's users."""
        with self._lock:
            names = {uid: user["name"] for uid, user in self._users.items()}
        return render(blocks_or_message, user_names=names)

    # --- request handling --------------------------------------------------------------------------

    def _answer(
        self, method: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> tuple[int, dict[str, str], dict[str, Any]]:
        """The HTTP status, extra headers and JSON body for one call, recorded in .calls."""
        arrived = self._clock()  # the rate limiter's clock, so simulated runs stamp calls in simulated time
        with self._lock:
            delay = self._latency
        if delay:
            time.sleep(delay)
        params, parse_error = parse_params(query, headers.get("Content-Type") or "", body)
        token = header_token = bearer(headers.get("Authorization"))
        if "token" in params:
            token = token or (str(params["token"]) or None)
            del params["token"]
        credentials = None
        if method in CLIENT_AUTH_METHODS:
            # The secret is checked, never recorded: .calls ends up in test failure output.
            credentials = basic_credentials(headers.get("Authorization")) or (
                str(params.get("client_id") or ""), str(params.pop("client_secret", "") or ""))
        scope_headers: dict[str, str] = {}
        with self._lock:
            try:
                self._inject_faults(method, params)
                if credentials is not None:
                    self._check_client(*credentials)
                elif method in APP_TOKEN_METHODS:
                    self._check_app_token(header_token, token)
                elif method not in NO_AUTH_METHODS:
                    if token is None:
                        raise ApiError("not_authed")
                    if token in self._revoked:
                        raise ApiError("token_revoked")
                    if token.startswith(APP_TOKEN_PREFIX):
                        raise ApiError("not_allowed_token_type")
                    if self._tokens is not None and token not in self._tokens and token not in self._install_tokens:
                        raise ApiError("invalid_auth")
                    granted = self._scopes_of(token)
                    scope_headers = scope_header(granted)
                    check_scope(self._scope_needed(method, params), granted)
                if parse_error:
                    raise ApiError(parse_error)
                handler = self._methods.get(method)
                if handler is None:
                    raise ApiError("unknown_method")
                # auth.test is the one method whose answer depends on whose token asks.
                answer = self._auth_test(params, token) if method == "auth.test" else handler(params)
                status, extra, payload = 200, dict(scope_headers), {"ok": True, **answer}
            except ApiError as exc:
                status, extra, payload = exc.status, {**scope_headers, **exc.headers}, {"ok": False,
                                                                                        "error": exc.error, **exc.fields}
                if exc.details:
                    payload["response_metadata"] = {"messages": list(exc.details)}
            except Exception as exc:  # a bug in the fake must answer, not hang the client
                self.errors.append(exc)
                status, extra, payload = 500, {}, {"ok": False, "error": "internal_error"}
            self._calls.append(
                Call(method, params, token, arrived, status, None if payload["ok"] else payload["error"])
            )
            self._changed.notify_all()
        return status, extra, payload
