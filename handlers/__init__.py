"""Bolt listeners: thin adapters from Slack requests to functions in bot/."""

from __future__ import annotations

from handlers import actions, commands, events, views
from handlers.deps import Deps


def register(app, deps: Deps) -> None:
    """Attach every listener to the Bolt app."""
    for module in (commands, actions, views, events):
        module.register(app, deps)
