"""Slack's news about a channel or person okrbot could not reach: what was held for them goes out again."""

from __future__ import annotations

import logging

from sqlmodel import Session

from storage.problems import resolve

logger = logging.getLogger(__name__)

# Events that can make a channel postable again: okrbot invited, the channel unarchived (public or private).
UNARCHIVED = frozenset({"channel_unarchive", "group_unarchive"})
CHANNEL_EVENTS = ("member_joined_channel", *sorted(UNARCHIVED))


def channel_changed(event: dict, *, bot_user_id: str | None, session: Session) -> int:
    """Apply a member_joined_channel / channel_unarchive / group_unarchive event: when it may fix a channel okrbot
    could not post to, its held messages may go out again (handlers/events.py posts them at once). Returns how many
    were released."""
    channel = event.get("channel")
    if isinstance(channel, dict):  # some channel events carry the whole channel object
        channel = channel.get("id")
    if not isinstance(channel, str) or not channel:
        return 0
    kind = event.get("type")
    if kind == "member_joined_channel" and (bot_user_id is None or event.get("user") != bot_user_id):
        return 0
    if kind != "member_joined_channel" and kind not in UNARCHIVED:
        return 0
    released = resolve([channel], session=session)
    if released:
        logger.info("%s in %s: %d held message(s) go out again", kind, channel, released)
    return released
