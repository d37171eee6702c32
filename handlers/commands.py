"""The /okr slash command listener: acknowledged at once, answered right after through the command's response_url."""

from __future__ import annotations

from bot.answers import commands
from handlers.deps import Deps
from handlers.respond import to_command


def register(app, deps: Deps) -> None:
    """Attach the /okr listener."""

    def ack_at_once(ack):
        # Slack gives a command 3 seconds; an empty ack costs nothing even when the CPU is busy rendering others.
        ack()

    def answer(command, client, context, respond):
        # Bolt runs this lazy listener in its executor after the ack: the answer reaches the person via response_url
        # (or a modal via the trigger_id, which stays valid for 3 seconds).
        cmd = commands.parse(command.get("text", ""))
        with deps.session(context) as session:
            answer = commands.run(cmd, command["user_id"], session=session, now=deps.clock(), client=client)
        to_command(respond, client, command, answer)

    app.command("/okr")(ack=ack_at_once, lazy=[answer])
