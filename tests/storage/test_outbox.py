"""The outbox's exactly-once guarantees, on SQLite and PostgreSQL."""

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from storage.models import Delivery
from storage.outbox import CLAIM_LEASE, claim, deliver_once
from storage.db import open_session

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_a_key_is_sent_once(engine):
    sent = []
    with open_session(engine) as s:
        first = deliver_once("digest:1:2026-W48", "digest", now=NOW, session=s,
                             send=lambda: sent.append(1) or {"channel": "C1", "ts": "1.1"})
        again = deliver_once("digest:1:2026-W48", "digest", now=NOW + timedelta(hours=1), session=s,
                             send=lambda: sent.append(2) or {"channel": "C1", "ts": "1.2"})
    assert (first.status, again.status, sent) == ("sent", "done", [1])
    with open_session(engine) as s:
        row = s.exec(select(Delivery)).one()
    assert (row.channel, row.ts, row.sent_at, row.attempts) == ("C1", "1.1", NOW, 1)


def test_a_failed_send_is_released_and_retried(engine):
    def boom():
        raise ConnectionError("slack is down")

    with open_session(engine) as s:
        failed = deliver_once("k", "alert", now=NOW, session=s, send=boom)
        retried = deliver_once("k", "alert", now=NOW + timedelta(minutes=1), session=s,
                               send=lambda: {"channel": "D1", "ts": "2.2"})
    assert failed.status == "failed" and failed.error == "ConnectionError"
    assert retried.sent
    with open_session(engine) as s:
        assert s.exec(select(Delivery)).one().attempts == 2


def test_a_live_claim_blocks_and_an_expired_one_is_taken_over(engine):
    with open_session(engine) as s:
        assert claim("k", "prompt", now=NOW, session=s) is not None  # then the process "dies"
    with open_session(engine) as s:
        assert claim("k", "prompt", now=NOW + CLAIM_LEASE - timedelta(seconds=1), session=s) is None
        taken = claim("k", "prompt", now=NOW + CLAIM_LEASE + timedelta(seconds=1), session=s)
    assert taken is not None and taken.attempts == 2


def test_racing_claims_have_one_winner(engine):
    with open_session(engine) as s:
        claim("race", "prompt", now=NOW, session=s)
    later = NOW + CLAIM_LEASE * 2
    barrier = threading.Barrier(6)
    wins = []

    def racer():
        with open_session(engine) as s:
            barrier.wait()
            if claim("race", "prompt", now=later, session=s) is not None:
                wins.append(1)

    threads = [threading.Thread(target=racer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1


def test_a_claim_taken_over_is_looked_up_first_and_marked_when_found(engine):
    with open_session(engine) as s:
        claim("k", "prompt", now=NOW, session=s)  # then the process dies, after Slack took the message
    later = NOW + CLAIM_LEASE + timedelta(minutes=1)
    asked, sent = [], []
    stamp = f"{(NOW + timedelta(seconds=2)).timestamp():.6f}"
    with open_session(engine) as s:
        outcome = deliver_once("k", "prompt", now=later, session=s, send=lambda: sent.append(1),
                               find=lambda claimed_at: asked.append(claimed_at) or {"channel": "D1", "ts": stamp})
    assert (outcome.status, outcome.sent, outcome.taken_over_from, asked, sent) == ("recovered", False, NOW, [NOW], [])
    with open_session(engine) as s:
        row = s.exec(select(Delivery)).one()
    # Sent when Slack stamped it, not when it was found.
    assert (row.channel, row.ts, row.sent_at) == ("D1", stamp, NOW + timedelta(seconds=2))


def test_only_a_claim_taken_over_is_looked_up(engine):
    asked = []

    def find(claimed_at):
        asked.append(claimed_at)

    def boom():
        raise ConnectionError("slack is down")

    with open_session(engine) as s:
        first = deliver_once("k", "prompt", now=NOW, session=s, send=boom, find=find)
        # A failure gives its claim back: nothing was sent, so the retry does not look.
        retried = deliver_once("k", "prompt", now=NOW + timedelta(minutes=1), session=s, find=find,
                               send=lambda: {"channel": "D1", "ts": "1.1"})
        claim("dead", "prompt", now=NOW, session=s)
        taken = deliver_once("dead", "prompt", now=NOW + CLAIM_LEASE * 2, session=s, find=find,
                             send=lambda: {"channel": "D1", "ts": "1.2"})
    assert (first.status, retried.status, retried.taken_over_from) == ("failed", "sent", None)
    assert (taken.status, taken.taken_over_from, asked) == ("sent", NOW, [NOW])
