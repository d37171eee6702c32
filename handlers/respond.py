"""Turning an Answer into the one Slack call it needs, by what the person did: a command, a click, a submission."""

from __future__ import annotations

import logging

from bot.answers.answer import Answer

logger = logging.getLogger(__name__)


def to_command(respond, client, command: dict, answer: Answer) -> None:
    """A slash command (already acked): open the modal, or answer only the caller (ephemeral) via response_url."""
    if answer.view is not None:
        client.views_open(trigger_id=command["trigger_id"], view=answer.view)
        return
    what = (command.get("text") or "").split(" ")[0][:20]
    try:
        response = respond(text=answer.text, blocks=answer.blocks, response_type="ephemeral")
    except OSError as exc:
        logger.warning("the answer to /okr %s for %s could not reach its response_url (%s); the person can run the "
                       "command again", what, command.get("user_id"), getattr(exc, "reason", exc))
        return
    if response.status_code != 200:
        logger.warning("the answer to /okr %s for %s was refused by its response_url (HTTP %s: %s); the person can "
                       "run the command again", what, command.get("user_id"), response.status_code,
                       (response.body or "")[:80])


def to_click(client, body: dict, answer: Answer) -> None:
    """A button or select (already acked): rewrite okrbot's message, show a modal, or tell the clicker alone.

    A modal replaces the modal the click came from (the hash makes Slack refuse it if that modal moved on);
    a click in a message or the Home tab opens a new one.
    """
    if answer.is_rewrite:
        client.chat_update(channel=answer.channel, ts=answer.ts, text=answer.text, blocks=answer.blocks)
    elif answer.view is not None:
        current = body.get("view") or {}
        if current.get("type") == "modal":
            client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=answer.view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=answer.view)
    else:
        client.chat_postEphemeral(channel=(body.get("channel") or {}).get("id"), user=body["user"]["id"],
                                  text=answer.text, blocks=answer.blocks)


def to_submission(ack, answer: Answer) -> None:
    """A modal submission: field errors stay in the modal; anything else replaces it."""
    if answer.errors:
        ack(response_action="errors", errors=answer.errors)
    else:
        ack(response_action="update", view=answer.view)
