"""Turning an Answer into the one Slack call it needs, by what the person did: a command, a click, a submission.

Slack may refuse a modal for reasons the person caused or cannot see: the three seconds of a trigger_id ran out
(expired_trigger_id, also exchanged_trigger_id), the modal moved on while okrbot was answering (hash_conflict), or it
was closed (not_found). Those get a sentence back to the person and one log line, never a 500; any other refusal is
unexpected and logged with its trace, and the person still gets a sentence.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError

from bot.answers.answer import Answer
from bot.views.kit import escape, info_modal

logger = logging.getLogger(__name__)

# What the person is told when Slack refuses a modal okrbot meant to show them, by Slack's error.
SORRY = {
    "expired_trigger_id": "Slack gave okrbot too little time to open that form. Please try again.",
    "exchanged_trigger_id": "Slack gave okrbot too little time to open that form. Please try again.",
    "hash_conflict": "That form changed meanwhile, so okrbot left it as it is. Please look at it again.",
    "not_found": "That form was closed before okrbot could show its answer. Please open it again.",
}
UNEXPECTED = "Slack did not accept what okrbot tried to show you; the problem is logged. Please try again later."


def _refusal(exc: SlackApiError, call: str) -> str:
    """The sentence for the person, after one log line for the operator."""
    error = str((exc.response or {}).get("error") or "unknown")
    if error in SORRY:
        logger.warning("%s refused with %s; the person is told to try again", call, error)
        return SORRY[error]
    logger.exception("%s refused with %s; the person is told it failed", call, error)
    return UNEXPECTED


def to_command(respond, client, command: dict, answer: Answer) -> None:
    """A slash command (already acked): open the modal, or answer only the caller (ephemeral) via response_url.

    A modal Slack refuses is explained through the response_url instead.
    """
    if answer.view is not None:
        try:
            client.views_open(trigger_id=command["trigger_id"], view=answer.view)
        except SlackApiError as exc:
            _respond(respond, command, _refusal(exc, "views.open for /okr"), None)
        return
    _respond(respond, command, answer.text, answer.blocks)


def _respond(respond, command: dict, text: str | None, blocks: list[dict] | None) -> None:
    what = (command.get("text") or "").split(" ")[0][:20]
    try:
        response = respond(text=text, blocks=blocks, response_type="ephemeral")
    except OSError as exc:
        logger.warning("the answer to /okr %s for %s could not reach its response_url (%s); the person can run the "
                       "command again", what, command.get("user_id"), getattr(exc, "reason", exc))
        return
    if response.status_code != 200:
        logger.warning("the answer to /okr %s for %s was refused by its response_url (HTTP %s: %s); the person can "
                       "run the command again", what, command.get("user_id"), response.status_code,
                       (response.body or "")[:80])


def _tell(client, body: dict, text: str, blocks: list[dict] | None = None) -> None:
    """A message only the clicker sees: ephemeral where the click happened, else (Home tab, modal) in their DM."""
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)
        else:
            client.chat_postMessage(channel=user, text=text, blocks=blocks)
    except SlackApiError as exc:
        logger.warning("could not tell %s that a form failed (%s); nothing more is tried", user,
                       (exc.response or {}).get("error"))


def _show(client, body: dict, view: dict) -> None:
    """Replace the modal the click came from (the hash makes Slack refuse it if that modal moved on), or open one."""
    current = body.get("view") or {}
    if current.get("type") != "modal":
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except SlackApiError as exc:
            _tell(client, body, _refusal(exc, "views.open"))
        return
    try:
        client.views_update(view_id=current.get("id"), hash=current.get("hash"), view=view)
    except SlackApiError as exc:
        sorry = _refusal(exc, "views.update")
        if (exc.response or {}).get("error") == "not_found":
            _tell(client, body, sorry)
            return
        # The person is still looking at that modal: say it there, on top of it, with the click's own trigger.
        try:
            client.views_push(trigger_id=body["trigger_id"], view=info_modal("okrbot", sorry))
        except SlackApiError as again:
            _tell(client, body, _refusal(again, "views.push"))


def to_click(client, body: dict, answer: Answer) -> None:
    """A button or select (already acked): rewrite okrbot's message, show a modal, or tell the clicker alone."""
    if answer.is_rewrite:
        client.chat_update(channel=answer.channel, ts=answer.ts, text=answer.text, blocks=answer.blocks)
    elif answer.view is not None:
        _show(client, body, answer.view)
    else:
        _tell(client, body, answer.text or "", answer.blocks)


def _input_blocks(view: dict) -> set[str]:
    return {b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}


def to_submission(ack, answer: Answer, submitted: dict | None = None) -> None:
    """A modal submission: field errors stay in the modal; anything else replaces it.

    Slack shows errors only on input blocks of the submitted view and refuses the whole answer otherwise, so an
    error about a field the view lacks (a stale or forged form) is said in a modal of its own instead.
    """
    if not answer.errors:
        ack(response_action="update", view=answer.view)
        return
    inputs = _input_blocks(submitted or {})
    if all(block_id in inputs for block_id in answer.errors):
        ack(response_action="errors", errors=answer.errors)
        return
    ack(response_action="update", view=info_modal("Please check", "\n".join(
        f"• {escape(message)}" for message in answer.errors.values())))
