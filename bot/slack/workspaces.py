"""Which workspaces okrbot serves, with which token, and which of them it must stop sending to."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.installations import latest_bots
from storage.models import SINGLE_WORKSPACE, Workspace

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Installed:
    """One workspace okrbot may send to, and the bot token that speaks for it there."""

    workspace: str
    token: str
    name: str = ""


def workspace_key(*, team_id: str | None, enterprise_id: str | None = None,
                  is_enterprise_install: bool = False) -> str:
    """Whose data a request or installation belongs to: the org for an org-wide install, else the workspace."""
    if is_enterprise_install and enterprise_id:
        return enterprise_id
    return team_id or enterprise_id or SINGLE_WORKSPACE


def workspace_of_context(context: Mapping) -> str:
    """The workspace key of a Bolt request context (multi-workspace mode)."""
    return workspace_key(team_id=context.get("team_id"), enterprise_id=context.get("enterprise_id"),
                         is_enterprise_install=bool(context.get("is_enterprise_install")))


def fingerprint(token: str) -> str:
    """A short one-way fingerprint of a token: enough to tell tokens apart, useless to anyone who reads it."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def stop_sending(workspace: str, *, token: str | None, reason: str, now: datetime, session: Session) -> None:
    """Remember that the workspace uninstalled okrbot or revoked its token: nothing is sent there with that token."""
    if token is None:
        # Nothing installed to stop: the other event of the same uninstall (Slack sends app_uninstalled and
        # tokens_revoked) or a retry already removed it, or the app was never installed through okrbot. Recording a
        # stop without a token would block the next install too.
        logger.info("workspace %s: %s, and no installation was left to stop", workspace or "(single)", reason)
        return
    row = session.get(Workspace, workspace) or Workspace(id=workspace)
    row.stopped_at, row.stopped_reason, row.stopped_token = now, reason[:32], fingerprint(token)
    session.add(row)
    logger.info("workspace %s: %s, so okrbot stops sending there", workspace or "(single)", reason)


def may_send(workspace: str, token: str, *, session: Session) -> bool:
    """False once the workspace stopped okrbot with this very token; a new install's token may send again."""
    row = session.get(Workspace, workspace)
    return row is None or row.stopped_at is None or row.stopped_token != fingerprint(token)


def installed_workspaces(bots: sa.Table, *, client_id: str, engine: Engine) -> list[Installed]:
    """Every workspace with a bot token in slack_sdk's installation store: the latest install of each."""
    return [Installed(workspace, token, name)
            for workspace, token, name in latest_bots(bots, client_id=client_id, engine=engine, key=workspace_key)]


# Only for finding a message a crashed process sent, so that it is not sent twice (bot.slack.history): without
# them okrbot still sends everything, and such a message may be sent again.
RECOVERY_SCOPES = ("channels:history", "groups:history", "im:history", "im:write")
# The bot scopes okrbot asks for when a workspace installs it; manifest.yaml lists the same (tested).
BOT_SCOPES = ("chat:write", "commands", "users:read", "channels:read", "groups:read", "files:write", *RECOVERY_SCOPES)


def installation_store(client_id: str, engine: Engine):
    """slack_sdk's SQLAlchemy installation store on okrbot's own database (tables made by storage.db.upgrade)."""
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

    return SQLAlchemyInstallationStore(client_id=client_id, engine=engine, logger=logger)


def forget_installation(store, context: Mapping, *, happened_at: datetime | None = None) -> str | None:
    """Delete a workspace's installation and bot from the store; returns the bot token it had, if any.

    An uninstall event older than the installation (Slack retried it after the workspace installed okrbot again)
    leaves the new installation alone and returns None.
    """
    enterprise_id, team_id = context.get("enterprise_id"), context.get("team_id")
    org_wide = bool(context.get("is_enterprise_install"))
    bot = store.find_bot(enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=org_wide)
    # Slack's event_time is in whole seconds: only an install after the end of that second is newer than the event.
    if bot is not None and happened_at is not None and bot.installed_at >= happened_at.timestamp() + 1:
        logger.info("ignoring an uninstall event from before the current installation of %s", team_id or enterprise_id)
        return None
    team_id = None if org_wide else team_id
    store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
    store.delete_installation(enterprise_id=enterprise_id, team_id=team_id)
    return bot.bot_token if bot is not None else None


def targets(*, bot_token: str | None, client_id: str | None, engine: Engine,
            only: str | None = None) -> list[Installed]:
    """The workspaces a tick serves: the single token's one, or every installation (optionally just `only`)."""
    if client_id:
        found = installed_workspaces(installation_store(client_id, engine).bots, client_id=client_id, engine=engine)
    else:
        found = [Installed(SINGLE_WORKSPACE, bot_token)] if bot_token else []
    return [t for t in found if only is None or t.workspace == only]
