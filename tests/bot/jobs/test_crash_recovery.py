"""A tick killed between Slack's answer and the outbox's mark: the next one finds the message in Slack, not twice.

The kill is a BaseException from the Slack call (nothing in okrbot catches one, as nothing survives SIGKILL): the
claim is committed, Slack has (or has not) taken the message, and nothing after it runs. The fake stamps messages
at the simulated clock, as Slack stamps them at its own, so that the lookup's `oldest` means what it does in Slack.
"""

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.jobs.sending import Message, Sender
from bot.jobs.tick import run_tick
from bot.slack import history
from bot.slack.client import make_client
from storage.db import open_session
from storage.models import Cycle, Delivery, KeyResult, Objective, Team
from storage.people import find_person
from storage.outbox import CLAIM_LEASE

OWNERS = ["U0001DIE", "U0002DIE"]
DUE = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LATER = DUE + CLAIM_LEASE + timedelta(minutes=1)
WITHOUT_HISTORY = ("chat:write", "commands", "users:read", "channels:read", "groups:read", "files:write")


class Killed(BaseException):
    """The process died here."""


def seed(engine, fake):
    with open_session(engine) as s:
        cycle = Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
        team = Team(name="Crash", channel="C0CRASH")
        s.add(cycle)
        s.add(team)
        s.flush()
        obj = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="Objective")
        s.add(obj)
        s.flush()
        for k, owner in enumerate(OWNERS):
            s.add(KeyResult(objective_id=obj.id, key=f"k{k}", title=f"Increase metric {k} from 0 to 10",
                            owner_id=owner, baseline=0, target=10))
        s.commit()
    for owner in OWNERS:
        fake.add_user(owner, tz="UTC")
    fake.add_channel("C0CRASH", name="crash")


@pytest.fixture
def crash(engine, fake_slack):
    """A tick at DUE whose first prompt dies after (posted=True) or before Slack took it; returns the client."""
    seed(engine, fake_slack)
    clock = {"now": DUE}
    fake_slack.stamp_with(lambda: clock["now"])
    client = make_client("xoxb-t", fake_slack.url, backoff=0.0, jitter=0.0)

    def run(*, posted: bool):
        post = client.chat_postMessage

        def dying(**params):
            if posted:
                post(**params)
            raise Killed()

        client.chat_postMessage = dying
        with pytest.raises(Killed):
            run_tick(now=DUE, engine=engine, client=client)
        client.chat_postMessage = post
        fake_slack.reset_calls()
        clock["now"] = LATER
        return client

    return run


def prompts(engine):
    with open_session(engine) as s:
        return s.exec(select(Delivery).where(Delivery.kind == "prompt").order_by(Delivery.key)).all()


def test_a_message_the_dead_process_sent_is_found_and_not_posted_again(engine, fake_slack, crash, caplog):
    client = crash(posted=True)
    dead = next(r for r in prompts(engine) if r.sent_at is None)
    assert dead.claimed_at == DUE
    (owner,) = [o for o in OWNERS if fake_slack.dms_to(o)]
    with caplog.at_level(logging.WARNING):
        run_tick(now=LATER, engine=engine, client=client)
    assert len(fake_slack.dms_to(owner)) == 1
    assert all(len(fake_slack.dms_to(o)) == 1 for o in OWNERS)
    assert [c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")
            if c.params["channel"].startswith("U")] == [o for o in OWNERS if o != owner]
    # Its first DM: the channel Slack answered the dead process with was lost with it, so conversations.open names it.
    assert [c.params["users"] for c in fake_slack.calls_to("conversations.open")] == [owner]
    row = next(r for r in prompts(engine) if r.key == dead.key)
    (message,) = fake_slack.dms_to(owner)
    assert (row.channel, row.ts, row.sent_at) == (fake_slack.dm_channel_id(owner), message["ts"], DUE)
    with open_session(engine) as s:
        assert find_person(owner, session=s).dm_channel == fake_slack.dm_channel_id(owner)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_message_that_never_reached_slack_is_posted_once(engine, fake_slack, crash):
    client = crash(posted=False)
    assert all(fake_slack.dms_to(o) == [] for o in OWNERS)
    run_tick(now=LATER, engine=engine, client=client)
    assert all(len(fake_slack.dms_to(o)) == 1 for o in OWNERS)
    assert all(r.sent_at is not None for r in prompts(engine))
    assert len(fake_slack.calls_to("conversations.history")) == 1


def test_without_the_history_scopes_it_is_posted_again_with_one_warning(engine, fake_slack, crash, caplog):
    client = crash(posted=True)
    fake_slack.scopes = WITHOUT_HISTORY
    with caplog.at_level(logging.WARNING):
        run_tick(now=LATER, engine=engine, client=client)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, warnings
    assert "Slack refused to look for it (missing_scope); posting it again, a duplicate is possible" in warnings[0]
    # The duplicate the README owns up to, and nothing lost: every prompt is recorded sent.
    assert sorted(len(fake_slack.dms_to(o)) for o in OWNERS) == [1, 2]
    assert all(r.sent_at is not None for r in prompts(engine))


def test_the_message_is_found_on_the_second_page(engine, fake_slack, crash, monkeypatch):
    client = crash(posted=True)
    dead = next(r for r in prompts(engine) if r.sent_at is None)
    (owner,) = [o for o in OWNERS if fake_slack.dms_to(o)]
    channel = fake_slack.dm_channel_id(owner)
    with open_session(engine) as s:
        find_person(owner, session=s).dm_channel = channel  # known from an earlier DM: no conversations.open
        s.commit()
    for n in range(3):
        client.chat_postMessage(channel=channel, text=f"later {n}")
    fake_slack.reset_calls()
    monkeypatch.setattr(history, "PAGE", 2)
    run_tick(now=LATER, engine=engine, client=client)
    looked = fake_slack.calls_to("conversations.history")
    assert [bool(c.params.get("cursor")) for c in looked] == [False, True]
    assert fake_slack.calls_to("conversations.open") == []
    assert len(fake_slack.dms_to(owner)) == 4  # its prompt and the three later messages: no second prompt
    assert next(r for r in prompts(engine) if r.key == dead.key).sent_at is not None


def test_a_channel_message_is_looked_up_in_its_channel(engine, fake_slack):
    fake_slack.add_channel("C0CRASH", name="crash")
    fake_slack.stamp_with(lambda: DUE)
    client = make_client("xoxb-t", fake_slack.url, backoff=0.0, jitter=0.0)
    message = Message(key="digest:1:2026-11-23", kind="digest", label="Crash", channel="C0CRASH",
                      build=lambda: ("This week", []))
    post = client.chat_postMessage

    def dying(**params):
        post(**params)
        raise Killed()

    client.chat_postMessage = dying
    with open_session(engine) as s, pytest.raises(Killed):
        Sender(now=DUE, session=s, client=client).send_all([message])
    client.chat_postMessage = post
    with open_session(engine) as s:
        report = Sender(now=LATER, session=s, client=client).send_all([message])
    assert (report.sent, report.skipped) == ([], 1)
    assert len(fake_slack.messages("C0CRASH")) == 1
    assert [c.params["channel"] for c in fake_slack.calls_to("conversations.history")] == ["C0CRASH"]
