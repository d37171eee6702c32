"""Exactly-once fan-out under faults: 60 owners while a fifth of Slack's answers are 429 or 500.

Exactly once is a property of each message (its outbox claim, its retries within a tick, its retry on a later
tick), not of how many there are: 60 owners already make some 300 Slack calls, 70 of them faults, and with
this fault seed two prompts exhaust their retries in the first tick and are sent by a later one. Fan-out at scale
(10,000 owners by default, under Slack's rate limits) is bench/bench_fanout.py's to measure, not a test's.
"""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.jobs.tick import run_tick
from bot.slack.client import make_client
from storage.models import Cycle, Delivery, KeyResult, Objective, Team
from storage.db import open_session

OWNERS = [f"U{n:04d}FAN" for n in range(60)]  # 12 teams of 5
DUE = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def seed(engine, fake):
    zones = ["UTC", "Europe/London", "Africa/Abidjan"]  # all at UTC+0 in November: one due instant
    with open_session(engine) as s:
        cycle = Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
        s.add(cycle)
        s.flush()
        for t in range(len(OWNERS) // 5):
            team = Team(name=f"Team {t}", channel=f"C{t:04d}TEAM")
            s.add(team)
            s.flush()
            obj = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title=f"Objective {t}")
            s.add(obj)
            s.flush()
            for k in range(5):
                owner = OWNERS[t * 5 + k]
                s.add(KeyResult(objective_id=obj.id, key=f"k{k}", title=f"Increase metric {k} from 0 to 10",
                                owner_id=owner, baseline=0, target=10))
        s.commit()
    for n, owner in enumerate(OWNERS):
        fake.add_user(owner, tz=zones[n % 3])


def delivered_per_owner(fake):
    ok = [c for c in fake.calls_to("chat.postMessage") if c.status == 200 and c.error is None]
    return Counter(c.params["channel"] for c in ok)


def test_every_owner_gets_exactly_one_prompt_despite_faults(engine, fake_slack):
    seed(engine, fake_slack)
    fake_slack.set_failure_rate(0.2, statuses=(429, 500), retry_after=0, seed=19)
    client = make_client("xoxb-t", fake_slack.url, backoff=0.0, jitter=0.0)
    # Late rather than never: keep ticking a minute apart, as the scheduler would, until nothing is pending.
    for minute in range(15):
        run_tick(now=DUE + timedelta(minutes=minute), engine=engine, client=client)
        with open_session(engine) as s:
            pending = s.exec(select(Delivery).where(Delivery.sent_at.is_(None))).all()
        if minute and not pending:
            break
    per_owner = delivered_per_owner(fake_slack)
    assert set(per_owner) == set(OWNERS)
    assert set(per_owner.values()) == {1}
    assert len(fake_slack.dms_to(OWNERS[0])) == 1
    failures = [c for c in fake_slack.calls if c.status in (429, 500)]
    assert len(failures) > len(OWNERS) // 5  # the faults really happened (more than 100 of 500 owners' calls before)
    with open_session(engine) as s:
        rows = s.exec(select(Delivery).where(Delivery.kind == "prompt")).all()
    assert len(rows) == len(OWNERS) and all(r.sent_at is not None for r in rows)
    # Some prompt ran out of retries in the first tick and went out, once, in a later one (seed 19 does this; if a
    # change to the calls per prompt moves the faults so none does, pick another seed rather than drop the check).
    assert any(r.attempts > 1 for r in rows)


def test_every_message_carries_its_outbox_key_as_metadata(engine, fake_slack):
    # What lets a message sent by a process that died before recording it be found in Slack afterwards.
    seed(engine, fake_slack)
    client = make_client("xoxb-t", fake_slack.url, backoff=0.0, jitter=0.0)
    run_tick(now=DUE, engine=engine, client=client)
    with open_session(engine) as s:
        sent = {(r.channel, r.ts): r.key for r in s.exec(select(Delivery).where(Delivery.sent_at.is_not(None)))}
    posted = {(m["channel"], m["ts"]): m.get("metadata") for m in fake_slack.messages()}
    assert len(sent) >= len(OWNERS)
    assert all(posted[where] == {"event_type": "okrbot_delivery", "event_payload": {"key": key}}
               for where, key in sent.items())
    assert fake_slack.calls_to("conversations.history") == []
