"""Settings from the environment, validated once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

import sqlalchemy as sa

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite:///okrbot.db"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one sentence naming the variable."""


@dataclass(frozen=True)
class Settings:
    """Everything okrbot reads from its environment."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    api_url: str = DEFAULT_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    port: int = 3000
    scheduler: bool = True
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    # Open HTTP connections beyond this are answered 503 at once (README "Deployment").
    max_connections: int = 500

    @property
    def socket_mode(self) -> bool:
        """Socket Mode when an app-level token is configured, else HTTP."""
        return bool(self.app_token)

    @property
    def multi_workspace(self) -> bool:
        """Installed by each workspace through Slack's OAuth flow, instead of one bot token for one workspace."""
        return bool(self.client_id)

    def require_bot_token(self) -> str:
        """The bot token, or a SettingsError saying it is needed."""
        if self.multi_workspace:
            raise SettingsError("SLACK_CLIENT_ID is set, so okrbot serves many workspaces, each with its own token: "
                                "name one with --workspace (`okrbot workspaces` lists them).")
        if not self.bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is not set: okrbot needs the bot token (xoxb-...) to talk to Slack. "
                                "Copy .env.example to .env and fill it in, or try `make demo` without a workspace.")
        return self.bot_token

    def require_serving(self) -> None:
        """Check what serving needs: a bot token (or OAuth credentials), and a signing secret in HTTP mode."""
        if self.multi_workspace:
            if self.socket_mode:
                raise SettingsError("SLACK_APP_TOKEN and SLACK_CLIENT_ID are both set: installing into many "
                                    "workspaces needs HTTP mode for Slack's OAuth redirect, so unset SLACK_APP_TOKEN.")
        else:
            self.require_bot_token()
        if not self.socket_mode and not self.signing_secret:
            raise SettingsError("SLACK_SIGNING_SECRET is not set: HTTP mode refuses to start without it, "
                                "because it is what proves a request comes from Slack.")

    def __repr__(self) -> str:
        # Secrets stay out of logs and tracebacks.
        return (f"Settings(api_url={self.api_url!r}, database_url={_hide_password(self.database_url)!r}, "
                f"port={self.port}, scheduler={self.scheduler}, socket_mode={self.socket_mode}, "
                f"multi_workspace={self.multi_workspace})")


def _hide_password(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<unparseable>"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from `env` (default: os.environ)."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(name)
        value = value.strip() if value is not None else None
        return value or None

    bot_token = get("SLACK_BOT_TOKEN")
    if bot_token and not bot_token.startswith("xox"):
        raise SettingsError("SLACK_BOT_TOKEN does not look like a Slack token: it should start with xoxb-.")
    app_token = get("SLACK_APP_TOKEN")
    if app_token and not app_token.startswith("xapp-"):
        raise SettingsError("SLACK_APP_TOKEN does not look like an app-level token: it should start with xapp-.")

    api_url = get("SLACK_API_URL") or DEFAULT_API_URL
    parsed = urlparse(api_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise SettingsError(f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, not {api_url!r}.")
    if not api_url.endswith("/"):
        api_url += "/"

    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    try:
        backend = sa.make_url(database_url).get_backend_name()
    except Exception:
        raise SettingsError("DATABASE_URL is not a valid database URL: use e.g. sqlite:///okrbot.db or "
                            "postgresql+psycopg://user@host/dbname.") from None
    if backend not in ("sqlite", "postgresql"):
        raise SettingsError(f"DATABASE_URL uses {backend!r}: okrbot supports sqlite and postgresql.")

    port_text = get("PORT") or "3000"
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise SettingsError(f"PORT must be a number between 1 and 65535, not {port_text!r}.")

    scheduler_text = (get("OKRBOT_SCHEDULER") or "on").lower()
    if scheduler_text not in ("on", "off"):
        raise SettingsError(f"OKRBOT_SCHEDULER must be 'on' or 'off', not {scheduler_text!r}.")

    client_id, client_secret = get("SLACK_CLIENT_ID"), get("SLACK_CLIENT_SECRET")
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise SettingsError(f"{missing} is not set: installing into many workspaces needs both SLACK_CLIENT_ID and "
                            "SLACK_CLIENT_SECRET (Basic Information in the app's settings).")
    if client_id and bot_token:
        raise SettingsError("SLACK_BOT_TOKEN and SLACK_CLIENT_ID are both set: use a bot token for one workspace, "
                            "or the client id and secret to be installed by many, not both.")
    redirect_uri = get("SLACK_REDIRECT_URI")
    if redirect_uri and urlparse(redirect_uri).scheme not in ("http", "https"):
        raise SettingsError(f"SLACK_REDIRECT_URI must be an http(s) URL ending in /slack/oauth_redirect, "
                            f"not {redirect_uri!r}.")

    connections_text = get("OKRBOT_MAX_CONNECTIONS") or "500"
    if not connections_text.isdigit() or not 10 <= int(connections_text) <= 100_000:
        raise SettingsError(f"OKRBOT_MAX_CONNECTIONS must be a number between 10 and 100000, not {connections_text!r}.")

    return Settings(
        max_connections=int(connections_text),
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        bot_token=bot_token,
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=app_token,
        api_url=api_url,
        database_url=database_url,
        port=int(port_text),
        scheduler=scheduler_text == "on",
    )
