"""Tick leases on SQLite and PostgreSQL: one holder per workspace-minute, renewed while it runs, taken over once it
runs out."""

import threading
from datetime import UTC, datetime, timedelta

from storage.leases import LEASE, claim, holders, instance_name, release, renew

# 10:00:05 on a Friday: the minute is 10:00.
NOW = datetime(2026, 11, 27, 10, 0, 5, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_a_workspace_minute_is_claimed_once_and_a_later_minute_once_released(engine):
    assert claim("T1", holder="a", now=NOW, engine=engine)
    # Another instance ticking the same minute a few seconds later, and the holder itself, find it taken.
    assert not claim("T1", holder="b", now=NOW + timedelta(seconds=20), engine=engine)
    assert not claim("T1", holder="a", now=NOW + timedelta(seconds=30), engine=engine)
    # The next minute, while the holder's tick still runs: still taken.
    assert not claim("T1", holder="b", now=NOW + MINUTE, engine=engine)
    # Another workspace is claimed on its own.
    assert claim("T2", holder="b", now=NOW, engine=engine)
    release("T1", holder="a", now=NOW + timedelta(seconds=40), engine=engine)
    # Given back: its minute stays done, the next is free for anyone.
    assert not claim("T1", holder="b", now=NOW + timedelta(seconds=50), engine=engine)
    assert claim("T1", holder="b", now=NOW + 2 * MINUTE, engine=engine)
    assert holders(engine=engine)["T1"][:2] == ("b", datetime(2026, 11, 27, 10, 2, tzinfo=UTC))


def test_a_holder_that_stops_renewing_loses_the_lease_once_it_runs_out(engine):
    assert claim("T1", holder="dead", now=NOW, engine=engine)
    # Not renewed: it lasts LEASE from the claim, and no later.
    assert not claim("T1", holder="b", now=NOW + LEASE - timedelta(seconds=1), engine=engine)
    assert claim("T1", holder="b", now=NOW + LEASE, engine=engine)
    # The old holder learns it on its next renewal, and cannot give back what is no longer its own.
    assert renew(["T1"], holder="dead", now=NOW + LEASE + timedelta(seconds=1), engine=engine) == set()
    release("T1", holder="dead", now=NOW + LEASE + timedelta(seconds=2), engine=engine)
    holder, _minute, expires_at = holders(engine=engine)["T1"]
    assert (holder, expires_at) == ("b", NOW + 2 * LEASE)


def test_a_renewed_lease_outlives_its_first_expiry(engine):
    assert claim("T1", holder="a", now=NOW, engine=engine)
    assert renew(["T1", "T9"], holder="a", now=NOW + timedelta(seconds=60), engine=engine) == {"T1"}
    assert not claim("T1", holder="b", now=NOW + LEASE + timedelta(seconds=30), engine=engine)
    assert claim("T1", holder="b", now=NOW + timedelta(seconds=60) + LEASE, engine=engine)
    assert renew([], holder="a", now=NOW, engine=engine) == set()


def test_racing_instances_never_both_hold_one_workspace_minute(engine):
    # The first claim of a row (an INSERT) and a takeover (the UPDATE of ON CONFLICT), each raced by six holders.
    results: dict[str, list[tuple[str, bool]]] = {"first": [], "takeover": []}
    for round_, now in (("first", NOW), ("takeover", NOW + 5 * MINUTE)):
        barrier = threading.Barrier(6)

        def racer(name: str, now=now, round_=round_) -> None:
            barrier.wait(timeout=10)
            results[round_].append((name, claim("T1", holder=name, now=now, engine=engine)))

        threads = [threading.Thread(target=racer, args=(f"h{n}",)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        winners = [name for name, won in results[round_] if won]
        assert len(results[round_]) == 6 and len(winners) == 1
        assert holders(engine=engine)["T1"][0] == winners[0]


def test_instance_names_differ_within_one_process():
    first, second = instance_name(), instance_name()
    assert first != second and len(first) <= 80
    assert first.split(":")[1] == second.split(":")[1]
