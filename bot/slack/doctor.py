"""`okrbot doctor`: is everything okrbot needs from Slack and the database in place? One line per check.

Each check says ✓ and what it found, or ✗ and what to do about it; `–` marks a check that was not run and says
why. Nothing here changes anything: the database is only read (doctor never migrates it), and Slack is only asked
(auth.test, conversations.info).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import Engine

from bot.settings import Settings, SettingsError
from bot.slack.client import check_slack, make_client
from bot.slack.workspaces import BOT_SCOPES, RECOVERY_SCOPES, Installed, targets
from storage.db import DatabaseError, make_engine, migration_state, session_scope
from storage.teams import all_teams

# Slack's signing secrets are 32 hexadecimal characters (Basic Information → App Credentials).
_SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Check:
    """One line of the doctor's report."""

    ok: bool | None  # None: not checked
    what: str
    says: str

    def line(self) -> str:
        """'✓ what: says', '✗ what: says' or '– what: says'."""
        mark = "–" if self.ok is None else "✓" if self.ok else "✗"
        return f"{mark} {self.what}: {self.says}"


def diagnose(settings: Settings, *, public_url: str | None = None,
             engine_for: Callable[[str], Engine] = make_engine) -> list[Check]:
    """Every check, in the order a newcomer sets things up: the token and its scopes, the secret, the URL, the
    database, then each digest channel."""
    slack: list[Check] = []
    channels: list[Check] = []
    engine = engine_for(settings.database_url)
    try:
        database = _database(engine)
        installed = _installed(settings, engine, migrated=bool(database.ok))
        if not installed:
            slack.append(_no_token(settings))
        for target in installed:
            client = make_client(target.token, settings.api_url)
            where = f" ({target.workspace})" if target.workspace else ""
            token = _token(client, settings, where)
            slack.extend(token)
            if all(check.ok for check in token):
                channels.extend(_channels(client, engine, target.workspace, where, migrated=bool(database.ok)))
    finally:
        engine.dispose()
    return [*slack, _signing_secret(settings), _reachable(settings, public_url), database, *channels]


def failed(checks: list[Check]) -> bool:
    """True when any check failed (the exit code is then 1)."""
    return any(check.ok is False for check in checks)


def _installed(settings: Settings, engine: Engine, *, migrated: bool) -> list[Installed]:
    if settings.multi_workspace and not migrated:
        return []
    return targets(bot_token=settings.bot_token, client_id=settings.client_id, engine=engine)


def _no_token(settings: Settings) -> Check:
    if settings.multi_workspace:
        return Check(None, "SLACK_CLIENT_ID", "no workspace has installed okrbot yet (or the database is not "
                     "migrated): open https://YOUR-HOST/slack/install, then run doctor again")
    return Check(False, "SLACK_BOT_TOKEN", "not set: copy the Bot User OAuth Token (xoxb-…) from your app's "
                 "OAuth & Permissions page into .env")


def _token(client: WebClient, settings: Settings, where: str) -> list[Check]:
    """The token works (auth.test), and it has every scope okrbot asks for (Slack's x-oauth-scopes header)."""
    name = "SLACK_CLIENT_ID" if settings.multi_workspace else "SLACK_BOT_TOKEN"
    try:
        check_slack(client, settings.api_url)
        answer = client.auth_test()
    except SettingsError as exc:
        return [Check(False, name + where, str(exc))]
    except (SlackApiError, OSError) as exc:  # Slack went away between the two calls
        return [Check(False, name + where, f"auth.test failed ({exc}); run doctor again")]
    found = Check(True, name + where, f"okrbot is @{answer.get('user')} in {answer.get('team')} "
                  f"({answer.get('team_id')})")
    header = next((v for k, v in (answer.headers or {}).items() if k.lower() == "x-oauth-scopes"), None)
    if header is None:
        return [found, Check(False, "scopes" + where, "Slack did not say which scopes the token has (no "
                             "x-oauth-scopes header): check SLACK_API_URL points at Slack's Web API")]
    granted = {scope.strip() for scope in header.split(",")}
    missing = [scope for scope in BOT_SCOPES if scope not in granted]
    if missing:
        # Without only the recovery scopes okrbot sends everything; say what they are for, so nobody hurries.
        cost = (": okrbot sends without them, but a message a crashed process had sent may be sent again"
                if set(missing) <= set(RECOVERY_SCOPES) else "")
        return [found, Check(False, "scopes" + where, f"the token lacks {', '.join(missing)}{cost}: add "
                             f"{'them' if len(missing) > 1 else 'it'} under OAuth & Permissions → Bot Token Scopes "
                             "(manifest.yaml lists every scope), then reinstall the app and copy the new token")]
    return [found, Check(True, "scopes" + where, ", ".join(BOT_SCOPES))]


def _signing_secret(settings: Settings) -> Check:
    if settings.socket_mode:
        return Check(True, "SLACK_SIGNING_SECRET", "not needed in Socket Mode")
    secret = settings.signing_secret or ""
    if not secret:
        return Check(False, "SLACK_SIGNING_SECRET", "not set: copy the Signing Secret from your app's Basic "
                     "Information page into .env (HTTP mode refuses to start without it)")
    if not _SIGNING_SECRET.fullmatch(secret):
        return Check(False, "SLACK_SIGNING_SECRET", f"{len(secret)} characters, but Slack's are 32 hexadecimal "
                     "characters: copy the Signing Secret (not the Client Secret or a token) from Basic Information")
    return Check(True, "SLACK_SIGNING_SECRET", "set (32 hexadecimal characters)")


def _reachable(settings: Settings, public_url: str | None) -> Check:
    """Socket Mode needs no public URL; in HTTP mode, `public_url` is asked for /health and an unsigned event."""
    if settings.socket_mode:
        return Check(True, "Socket Mode", "SLACK_APP_TOKEN is set, so okrbot connects to Slack itself and needs no "
                     "public URL (enable Socket Mode in the app's settings too)")
    if not public_url:
        return Check(None, "public URL", "not checked: add --url https://YOUR-HOST (the host in manifest.yaml) to "
                     "check that Slack can reach okrbot there, or use Socket Mode (SLACK_APP_TOKEN)")
    base = public_url.rstrip("/")
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
            health = response.read(64).decode("utf-8", "replace").strip()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return Check(False, "public URL", f"{base}/health cannot be reached ({reason}): start okrbot (`make run`) "
                     "and check the reverse proxy forwards that host to okrbot's PORT")
    if health != "ok":
        return Check(False, "public URL", f"{base}/health answered {health[:30]!r}, not okrbot's 'ok': the URL "
                     "leads somewhere else")
    # okrbot refuses what Slack did not sign: a 401 proves the events URL reaches okrbot's signature check.
    request = urllib.request.Request(f"{base}/slack/events", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (urllib.error.URLError, OSError) as exc:
        return Check(False, "public URL", f"{base}/slack/events cannot be reached ({exc}): check the proxy "
                     "forwards POST /slack/events")
    if status != 401:
        return Check(False, "public URL", f"{base}/slack/events answered an unsigned request with HTTP {status}, "
                     "not 401: the proxy does not forward POST /slack/events to okrbot")
    return Check(True, "public URL", f"{base}/slack/events reaches okrbot (point manifest.yaml's URLs there)")


def _database(engine: Engine) -> Check:
    where = engine.url.render_as_string(hide_password=True)
    try:
        current, head = migration_state(engine)
    except DatabaseError as exc:
        return Check(False, "database", f"{exc}: check DATABASE_URL")
    if current == head:
        return Check(True, "database", f"{where} is at migration {head}, the newest")
    if current is None:
        return Check(False, "database", f"{where} has no okrbot tables yet: run `okrbot db upgrade` (serve, "
                     "tick and import also do it)")
    return Check(False, "database", f"{where} is at migration {current}, and this okrbot needs {head}: run "
                 "`okrbot db upgrade` (if it says it cannot, the database was migrated by a newer okrbot)")


def _channels(client: WebClient, engine: Engine, workspace: str, where: str, *, migrated: bool) -> list[Check]:
    """okrbot is a member of every team's digest channel (conversations.info's is_member)."""
    if not migrated:
        return [Check(None, "digest channels" + where, "not checked until the database is migrated")]
    with session_scope(engine, workspace) as session:
        teams = [(team.name, team.channel) for team in all_teams(session=session)]
    if not teams:
        return [Check(None, "digest channels" + where, "no teams yet: `okrbot import examples/okrs.yaml` adds one")]
    return [_channel(client, name, channel, where) for name, channel in teams]


def _channel(client: WebClient, team: str, channel: str, where: str) -> Check:
    what = f"channel {channel}{where}"
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "missing_scope":
            return Check(False, what, f"cannot be looked at: the token lacks {exc.response.get('needed')} "
                         "(add it under OAuth & Permissions, reinstall, copy the new token)")
        if error == "channel_not_found":
            return Check(False, what, f"team {team}'s digest channel is not one okrbot can see: it does not "
                         "exist, or it is private and okrbot is not in it. Invite okrbot (/invite @okrbot), or give "
                         "the team another channel in the OKR file and import it again")
        return Check(False, what, f"Slack answered conversations.info with {error}; run doctor again")
    except OSError as exc:
        return Check(False, what, f"Slack could not be asked about it ({exc}); run doctor again")
    name = f"#{info.get('name')}" if info.get("name") else channel
    if info.get("is_archived"):
        return Check(False, what, f"team {team}'s digest channel {name} is archived: give the team another "
                     "channel in the OKR file and import it again")
    if not info.get("is_member"):
        return Check(False, what, f"okrbot is not in {name}, team {team}'s digest channel: type "
                     f"/invite @okrbot in {name}")
    return Check(True, what, f"okrbot is in {name}, team {team}'s digest channel")
