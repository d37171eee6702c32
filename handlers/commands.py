"""The /okr slash command listener."""

from __future__ import annotations

from bot.answers import commands
from handlers.deps import Deps
from handlers.respond import to_command


def register(app, deps: Deps) -> None:
    """Attach the /okr listener."""

    @app.command("/okr")
    def okr(ack, command, client, context):
        cmd = commands.parse(command.get("text", ""))
        with deps.session(context) as session:
            answer = commands.run(cmd, command["user_id"], session=session, now=deps.clock(), client=client)
        to_command(ack, client, command, answer)
