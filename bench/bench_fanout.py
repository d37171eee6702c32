"""Fan-out benchmark: weekly prompts to N owners against the fake Slack with Slack's rate limits switched on.

Slack's limits are minutes long, so the fake's limiter and okrbot's pacer share a simulated clock: every wait is
counted in simulated seconds, while the database and HTTP work run for real. Prints, for the first week (cold
caches) and the second (steady state): Slack calls per prompt, 429s received, and the fan-out's duration against
N / allowed rate. Targets: <= 1.02 calls per prompt in steady state, <= 1.1x the allowed-rate time.

    .venv/bin/python bench/bench_fanout.py [--owners 10000] [--database-url URL]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bot.sim.fake_slack import FakeSlack  # noqa: E402
from bot.jobs.prompts import send_due_prompts  # noqa: E402
from bot.slack.client import DEFAULT_LIMITS, SLACK_LIMITS, Pacer, make_client  # noqa: E402
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Cycle, KeyResult, Objective, Team  # noqa: E402

POST_BUDGET = SLACK_LIMITS["chat.postMessage"]  # the fake's workspace budget for chat.postMessage, per minute


class SimClock:
    """Simulated seconds: sleeping advances the clock instead of the process waiting."""

    def __init__(self):
        self.t = 1_000.0

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)


def insert_okrs(conn, owners: int) -> list[int]:
    """The data set's cycle, teams of 5 owners (Friday 10:00 check-ins, Monday 09:00 digests, UTC), one objective
    each and one KR per owner (U000000, U000001...), with executemany; returns the team ids in order."""
    conn.execute(sa.insert(Cycle), [{"name": "2026-Q4", "start": date(2026, 10, 1), "end": date(2026, 12, 31)}])
    cycle_id = conn.execute(sa.select(Cycle.id)).scalar_one()
    conn.execute(sa.insert(Team), [{"name": f"Team {t}", "channel": f"C{t:05d}", "timezone": "UTC",
                                    "checkin_day": 4, "checkin_time": "10:00", "digest_day": 0,
                                    "digest_time": "09:00"} for t in range(owners // 5)])
    team_ids = conn.execute(sa.select(Team.id).order_by(Team.id)).scalars().all()
    conn.execute(sa.insert(Objective), [{"team_id": tid, "cycle_id": cycle_id, "key": "o", "title": "Objective",
                                         "type": "aspirational"} for tid in team_ids])
    obj_ids = conn.execute(sa.select(Objective.id).order_by(Objective.id)).scalars().all()
    conn.execute(sa.insert(KeyResult), [
        {"objective_id": oid, "key": f"k{k}", "title": f"Increase metric {k} from 0 to 10",
         "owner_id": f"U{n * 5 + k:06d}", "baseline": 0, "target": 10, "unit": ""}
        for n, oid in enumerate(obj_ids) for k in range(5)])
    return list(team_ids)


def seed(engine, fake: FakeSlack, owners: int) -> None:
    zones = ["UTC", "Europe/London", "Africa/Abidjan", "Atlantic/Reykjavik"]  # UTC+0 in November: one due slot
    with engine.begin() as conn:
        insert_okrs(conn, owners)
    for n in range(owners):
        fake.add_user(f"U{n:06d}", tz=zones[n % len(zones)])


def week(engine, fake, client, clock, now, owners) -> dict:
    fake.reset_calls()
    start_sim, start_real = clock(), time.perf_counter()
    with session_scope(engine) as session:
        report = send_due_prompts(now=now, session=session, client=client)
    sim = clock() - start_sim
    calls = fake.calls
    posts = [c for c in calls if c.method == "chat.postMessage" and c.status == 200 and c.error is None]
    # The fan-out's span: from the first to the last prompt, the part the allowed rate bounds.
    fan_out = (max(c.at for c in posts) - min(c.at for c in posts)) if len(posts) > 1 else 0.0
    return {
        "prompts": len(report.sent),
        "failed": len(report.failed),
        "calls": len(calls),
        "by_method": Counter(c.method for c in calls),
        "429s": sum(1 for c in calls if c.status == 429),
        "sim_seconds": sim,
        "fan_out_sim_seconds": fan_out,
        "real_seconds": time.perf_counter() - start_real,
        "ideal_seconds": owners / (POST_BUDGET / 60),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=10_000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    owners = args.owners - args.owners % 5
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        clock = SimClock()
        with FakeSlack() as fake:
            seed(engine, fake, owners)
            # chat.postMessage gets a workspace budget on top of Slack's one message a second per channel.
            fake.set_rate_limits(SLACK_LIMITS, channel_per_second=1.0, clock=clock)
            client = make_client("xoxb-bench", fake.url, backoff=0.0, jitter=0.0,
                                 pacer=Pacer(DEFAULT_LIMITS, clock=clock, sleep=clock.sleep))
            client.retry_handlers[0].sleep = clock.sleep
            first = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
            results = [week(engine, fake, client, clock, first, owners),
                       week(engine, fake, client, clock, first + timedelta(weeks=1), owners)]
            # The next minute's tick: everything is sent, so it must cost no Slack call and little time.
            fake.reset_calls()
            t0 = time.perf_counter()
            with session_scope(engine) as session:
                send_due_prompts(now=first + timedelta(weeks=1, minutes=1), session=session, client=client)
            idle = (len(fake.calls), time.perf_counter() - t0)
    print(f"fan-out to {owners} owners, Slack limits on (chat.postMessage {POST_BUDGET}/min workspace and 1/s per "
          f"channel; conversations.open 50/min; users.info 100/min; users.list 20/min)")
    for name, r in zip(("week 1 (cold caches)", "week 2 (steady state)"), results):
        print(f"  {name}: {r['prompts']} prompts, {r['failed']} failed, {r['calls']} Slack calls "
              f"= {r['calls'] / max(r['prompts'], 1):.4f} per prompt {dict(r['by_method'])}; 429s: {r['429s']}")
        print(f"    simulated time {r['sim_seconds']:.0f} s, fan-out span {r['fan_out_sim_seconds']:.0f} s vs "
              f"N/allowed rate {r['ideal_seconds']:.0f} s = {r['fan_out_sim_seconds'] / r['ideal_seconds']:.3f}x; "
              f"real time {r['real_seconds']:.1f} s")
    print(f"  prompt job on the next tick (nothing due): {idle[0]} Slack calls, {idle[1] * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
