"""The fake's message metadata and conversations.history, as Slack answers them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim.fake_slack import FakeSlack
from bot.slack.workspaces import BOT_SCOPES

KEY = {"event_type": "okrbot_delivery", "event_payload": {"key": "prompt:U1:2026-W49"}}


@pytest.fixture
def fake():
    with FakeSlack(scopes=BOT_SCOPES) as running:
        running.add_user("U1", name="ana")
        running.add_channel("C1", name="team")
        running.add_channel("C2", name="elsewhere", member=False)
        yield running


@pytest.fixture
def client(fake):
    return WebClient(token="xoxb-fake", base_url=fake.url)


def test_history_returns_metadata_only_when_asked(fake, client):
    posted = client.chat_postMessage(channel="U1", text="hi", metadata=KEY)
    client.chat_postMessage(channel="U1", text="no metadata")
    plain = client.conversations_history(channel=posted["channel"], limit=10)
    assert [m["text"] for m in plain["messages"]] == ["no metadata", "hi"]
    assert all("metadata" not in m for m in plain["messages"])
    full = client.conversations_history(channel=posted["channel"], include_all_metadata=True, limit=10)
    assert full["messages"][1]["metadata"] == KEY and full["messages"][1]["ts"] == posted["ts"]


def test_history_keeps_to_oldest_latest_and_limit(fake, client):
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(4)]
    page = client.conversations_history(channel="C1", oldest=stamps[0], latest=stamps[3])
    assert [m["text"] for m in page["messages"]] == ["2", "1"] and not page["has_more"]
    first = client.conversations_history(channel="C1", limit=1)
    assert [m["text"] for m in first["messages"]] == ["3"] and first["has_more"]


@pytest.mark.parametrize("metadata, error", [
    ("{not json", "invalid_metadata_format"),
    ({"event_type": "has space", "event_payload": {}}, "invalid_metadata_schema"),
    ({"event_type": "okrbot_delivery", "event_payload": "key"}, "invalid_metadata_schema"),
    ({"event_payload": {}}, "invalid_metadata_schema"),
])
def test_bad_metadata_is_refused(fake, client, metadata, error):
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C1", text="hi", metadata=metadata)
    assert refused.value.response["error"] == error
    assert fake.messages("C1") == []


def test_history_refusals(fake, client):
    for channel, error in (("C404", "channel_not_found"), ("C2", "not_in_channel")):
        with pytest.raises(SlackApiError) as refused:
            client.conversations_history(channel=channel)
        assert refused.value.response["error"] == error
    fake.scopes = tuple(scope for scope in BOT_SCOPES if scope != "im:history")
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(channel="DU1")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "im:history"


def test_history_pages_with_next_cursor(fake, client):
    for n in range(5):
        client.chat_postMessage(channel="C1", text=str(n))
    pages, cursor = [], None
    while True:
        page = client.conversations_history(channel="C1", limit=2, cursor=cursor)
        pages.append([m["text"] for m in page["messages"]])
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        assert bool(cursor) == page["has_more"]
        if not cursor:
            break
    assert pages == [["4", "3"], ["2", "1"], ["0"]]


def test_history_inclusive_keeps_the_messages_at_oldest_and_latest(fake, client):
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(4)]
    page = client.conversations_history(channel="C1", oldest=stamps[1], latest=stamps[2], inclusive=True)
    assert [m["text"] for m in page["messages"]] == ["2", "1"]


def test_history_leaves_out_thread_replies_but_for_broadcasts(fake, client):
    parent = client.chat_postMessage(channel="C1", text="parent")["ts"]
    client.chat_postMessage(channel="C1", text="reply", thread_ts=parent)
    client.chat_postMessage(channel="C1", text="broadcast", thread_ts=parent, reply_broadcast=True)
    assert [m["text"] for m in client.conversations_history(channel="C1")["messages"]] == ["broadcast", "parent"]


@pytest.mark.parametrize("params, error", [
    ({"channel": "U1"}, "channel_not_found"),  # a user id: only chat.postMessage opens the DM by itself
    ({"channel": "C1", "cursor": "not-a-cursor"}, "invalid_cursor"),
    ({"channel": "C1", "oldest": "yesterday"}, "invalid_ts_oldest"),
    ({"channel": "C1", "latest": "soon"}, "invalid_ts_latest"),
])
def test_history_refuses_what_slack_refuses(fake, client, params, error):
    with pytest.raises(SlackApiError) as refused:
        client.conversations_history(**params)
    assert refused.value.response["error"] == error


def test_stamp_with_stamps_messages_at_the_clock_strictly_increasing(fake, client):
    at = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    fake.stamp_with(lambda: at)
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(2)]
    assert stamps == ["1795773600.000000", "1795773600.000100"]
    page = client.conversations_history(channel="C1", oldest=str(at.timestamp() - 60))
    assert len(page["messages"]) == 2
