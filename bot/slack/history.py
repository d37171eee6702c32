"""Finding a message okrbot sent by its outbox key, in its conversation's history (conversations.history).

Every outbox message carries its key as message metadata (jobs.sending.delivery_metadata). A process killed after
Slack took a message but before it marked it sent leaves a claim; the process that takes the claim over looks the
key up here first, so that the message is marked instead of sent twice. chat.postMessage has no idempotency key
of its own: this lookup is what stands in for one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk import WebClient

EVENT_TYPE = "okrbot_delivery"
# The message was posted after its claim was taken; this much earlier allows for Slack's clock and ours to differ.
CLOCK_SKEW = timedelta(seconds=60)
# Slack recommends pages of at most 200. Five of them cover a busy channel for the minutes a claim lasts; a DM
# holds a handful. Beyond that the lookup gives up (LookupCutShort) rather than read a channel's whole day.
PAGE = 200
PAGES = 5


class LookupCutShort(Exception):
    """More messages were posted since the claim than the lookup reads (PAGES x PAGE)."""


def find_delivery(client: WebClient, channel: str, key: str, *, claimed_at: datetime) -> dict | None:
    """The channel and ts of the message sent under `key` in `channel` since `claimed_at`, or None.

    Raises what the Slack call raises (missing_scope, not_in_channel, ratelimited, ...), and LookupCutShort when
    the history since then is longer than it reads: the caller cannot tell it was not sent.
    """
    oldest = f"{(claimed_at - CLOCK_SKEW).timestamp():.6f}"
    cursor = None
    for _ in range(PAGES):
        page = client.conversations_history(channel=channel, oldest=oldest, include_all_metadata=True, limit=PAGE,
                                            **({"cursor": cursor} if cursor else {}))
        for message in page.get("messages") or []:
            metadata = message.get("metadata") or {}
            if metadata.get("event_type") == EVENT_TYPE and (metadata.get("event_payload") or {}).get("key") == key:
                return {"channel": channel, "ts": message.get("ts")}
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    raise LookupCutShort(f"more than {PAGES * PAGE} messages since")
