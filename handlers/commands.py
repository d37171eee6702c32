"""The /okr slash command listener."""

from __future__ import annotations

import logging

from bot import commands
from handlers.deps import Deps

logger = logging.getLogger(__name__)


def register(app, deps: Deps) -> None:
    """Attach the /okr listener."""

    @app.command("/okr")
    def okr(ack, command, client, context):
        cmd = commands.parse(command.get("text", ""))
        with deps.session(context) as session:
            result = commands.run(cmd, command["user_id"], session=session, now=deps.clock(), client=client)
        if isinstance(result, commands.OpenView):
            ack()
            client.views_open(trigger_id=command["trigger_id"], view=result.view)
        else:
            ack(text=result.text, blocks=result.blocks, response_type="ephemeral")
