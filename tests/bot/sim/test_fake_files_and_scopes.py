"""The fake's file uploads and scopes are as strict as Slack's: lengths, unfinished uploads, unknown slack_files,
missing scopes (with needed and provided), and the x-oauth-scopes header."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.sim.fake_slack import FakeSlack
from bot.slack.workspaces import BOT_SCOPES


@pytest.fixture
def fake():
    with FakeSlack() as running:
        running.add_channel("C1", name="okrs")
        running.add_channel("C2", name="elsewhere", member=False)
        yield running


@pytest.fixture
def client(fake):
    web = WebClient(token="xoxb-test", base_url=fake.url, timeout=5)
    web.retry_handlers.clear()
    return web


def image(file_id: str) -> list[dict]:
    return [{"type": "image", "slack_file": {"id": file_id}, "alt_text": "a chart"}]


def test_files_upload_v2_goes_through_the_three_steps(fake, client):
    done = client.files_upload_v2(filename="chart.png", content=b"\x89PNG fake", title="Chart")
    file_id = done["file"]["id"]
    assert fake.uploaded_file(file_id) == b"\x89PNG fake"
    assert done["file"]["title"] == "Chart" and done["file"]["channels"] == []
    assert client.chat_postMessage(channel="C1", text="chart", blocks=image(file_id))["ok"]


def test_an_upload_of_the_wrong_length_or_twice_is_refused(fake, client):
    ticket = client.files_getUploadURLExternal(filename="a.png", length=5)
    short = urllib.request.Request(ticket["upload_url"], data=b"1234", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(short, timeout=5)
    assert refused.value.code == 400
    with pytest.raises(SlackApiError) as unfinished:
        client.files_completeUploadExternal(files=[{"id": ticket["file_id"], "title": "a"}])
    assert unfinished.value.response["error"] == "file_not_found"
    urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"12345", method="POST"), timeout=5)
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(urllib.request.Request(ticket["upload_url"], data=b"12345", method="POST"), timeout=5)


def test_files_upload_v2_fails_when_the_bytes_do_not_arrive(fake, client, monkeypatch):
    monkeypatch.setattr(fake, "_answer_upload", lambda path, body: (500, "lost"))
    with pytest.raises((SlackRequestError, urllib.error.HTTPError)):
        client.files_upload_v2(filename="chart.png", content=b"png")


@pytest.mark.slack_rejects("invalid_blocks")
def test_an_image_of_a_file_never_uploaded_is_invalid_blocks(fake, client):
    ticket = client.files_getUploadURLExternal(filename="a.png", length=3)
    for file_id in ("F404", ticket["file_id"]):  # unknown, and issued but never completed
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="chart", blocks=image(file_id))
        assert refused.value.response["error"] == "invalid_blocks"
        assert "invalid slack file" in refused.value.response["response_metadata"]["messages"][0]


def test_a_missing_scope_says_what_was_needed_and_what_the_token_has(fake, client):
    fake.scopes = ("chat:write", "commands")
    with pytest.raises(SlackApiError) as refused:
        client.users_info(user="U0BOT")
    assert refused.value.response["error"] == "missing_scope"
    assert refused.value.response["needed"] == "users:read"
    assert refused.value.response["provided"] == "chat:write,commands"
    with pytest.raises(SlackApiError) as no_files:
        client.files_getUploadURLExternal(filename="a.png", length=3)
    assert no_files.value.response["needed"] == "files:write"


def test_every_answer_to_a_token_carries_its_scopes(fake, client):
    answer = client.auth_test()
    assert answer.headers["x-oauth-scopes"] == ",".join(BOT_SCOPES)


def test_a_channel_the_bot_is_not_in(fake, client):
    assert client.conversations_info(channel="C2")["channel"]["is_member"] is False
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="C2", text="hello")
    assert refused.value.response["error"] == "not_in_channel"
    fake.add_channel("C3", name="secret", is_private=True, member=False)
    with pytest.raises(SlackApiError) as hidden:
        client.conversations_info(channel="C3")
    assert hidden.value.response["error"] == "channel_not_found"
