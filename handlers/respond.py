"""Turning an Answer into the one Slack call it needs, by what the person did: a command, a click, a submission."""

from __future__ import annotations

from bot.answers.answer import Answer


def to_command(ack, client, command: dict, answer: Answer) -> None:
    """A slash command: open the modal, or answer only the caller (ephemeral)."""
    if answer.view is not None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=answer.view)
    else:
        ack(text=answer.text, blocks=answer.blocks, response_type="ephemeral")


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
