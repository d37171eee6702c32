"""Retries and pacing of okrbot's Slack client, against the fake Slack Web API."""

import pytest
from slack_sdk.errors import SlackApiError

from bot.slack.client import Pacer, make_client


def test_429_waits_retry_after_then_succeeds(fake_slack):
    slept = []
    client = make_client("xoxb-t", fake_slack.url, jitter=0.0)
    client.retry_handlers[0].sleep = slept.append
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=7)
    assert client.chat_postMessage(channel="U0BOB", text="hi")["ok"]
    assert slept == [7.0]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [429, 200]


def test_5xx_is_retried_then_surfaces(fake_slack):
    client = make_client("xoxb-t", fake_slack.url, backoff=0.0)
    fake_slack.fail_next("chat.postMessage", status=500, count=1)
    assert client.chat_postMessage(channel="U0BOB", text="hi")["ok"]
    fake_slack.fail_next("chat.postMessage", status=503, count=3)
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="U0BOB", text="hi")
    assert len(fake_slack.calls_to("chat.postMessage")) == 2 + 3


def test_pacer_spaces_calls_per_method():
    now = [0.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    pacer = Pacer({"users.info": 60}, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait("users.info")
    pacer.wait("chat.postMessage")  # not limited: no wait
    assert slept == [1.0, 1.0, 1.0] and pacer.waited == 3.0


def test_paced_client_keeps_under_the_fakes_limits(fake_slack):
    now = [1000.0]

    def sleep(seconds):
        now[0] += seconds

    # The fake and the pacer share one simulated clock, so a minute of pacing takes no real time.
    fake_slack.set_rate_limits({"users.info": 5}, clock=lambda: now[0])
    unpaced = make_client("xoxb-t", fake_slack.url, jitter=0.0)
    unpaced.retry_handlers[:] = []
    with pytest.raises(SlackApiError):
        for _ in range(6):
            unpaced.users_info(user="U0BOB")
    now[0] += 120
    fake_slack.reset_calls()
    paced = make_client("xoxb-t", fake_slack.url, pacer=Pacer({"users.info": 5}, clock=lambda: now[0], sleep=sleep))
    for _ in range(12):
        paced.users_info(user="U0BOB")
    statuses = [c.status for c in fake_slack.calls_to("users.info")]
    assert statuses == [200] * 12
    assert now[0] >= 1000 + 120 + 11 * 12  # twelve calls at five a minute span over two minutes
