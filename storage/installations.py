"""Reads of slack_sdk's installation store tables: which workspaces installed okrbot, with which bot token.

Core SQL on purpose: these are slack_sdk's tables, not okrbot's, so the workspace scoping of sessions does not
apply, and each row names its own workspace.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def latest_bots(bots: sa.Table, *, client_id: str, engine: Engine,
                key: Callable[..., str]) -> list[tuple[str, str, str]]:
    """(workspace key, bot token, name) of the latest install of each workspace, by key; `key` maps a row to it."""
    c = bots.c
    stmt = (sa.select(c.enterprise_id, c.team_id, c.team_name, c.enterprise_name, c.is_enterprise_install,
                      c.bot_token)
            .where(c.client_id == client_id, c.bot_token.is_not(None))
            .order_by(c.installed_at.desc(), c.id.desc()))
    seen: dict[str, tuple[str, str, str]] = {}
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            workspace = key(team_id=row.team_id, enterprise_id=row.enterprise_id,
                            is_enterprise_install=bool(row.is_enterprise_install))
            if workspace and workspace not in seen:
                seen[workspace] = (workspace, row.bot_token, row.team_name or row.enterprise_name or "")
    return sorted(seen.values())
