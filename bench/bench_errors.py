"""Permanent-error benchmark: Monday's ticks when 1,000 teams' digest channels do not let okrbot post.

The scenario of issue 11: 1,000 teams of 5 owners (5,000 owners), every digest channel one okrbot is not a member
of. The owners' prompts go out on Friday; then Monday's ticks run, as the scheduler runs them, every minute from
the digest time (09:00 UTC). Prints, for the first failing tick, the minute-ticks after it and the hourly try at
10:00: CPU seconds (the whole process, the fake Slack's thread included), SQL statements and Slack calls.

    .venv/bin/python bench/bench_errors.py [--teams 1000] [--database-url URL]

It runs against older code too (OKRBOT_CODE names a checkout; a fake that cannot model channels okrbot is not a
member of leaves the channels out, and Slack answers channel_not_found, the same path for okrbot's old code).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

# OKRBOT_CODE=/path/to/a/checkout measures that code instead (run with PYTHONDONTWRITEBYTECODE=1 to leave it as is).
sys.path.insert(0, os.environ.get("OKRBOT_CODE") or str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bot.jobs.tick import run_tick  # noqa: E402
from bot.sim.fake_slack import FakeSlack  # noqa: E402
from bot.slack.client import make_client  # noqa: E402
from storage.db import count_statements, make_engine, upgrade  # noqa: E402
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead  # noqa: E402

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def seed(engine, fake: FakeSlack, teams: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.insert(Cycle), [{"name": "2026-Q4", "start": date(2026, 10, 1), "end": date(2026, 12, 31)}])
        cycle_id = conn.execute(sa.select(Cycle.id)).scalar_one()
        conn.execute(sa.insert(Team), [{"name": f"Team {t}", "channel": f"C{t:05d}", "timezone": "UTC",
                                        "checkin_day": 4, "checkin_time": "10:00", "digest_day": 0,
                                        "digest_time": "09:00"} for t in range(teams)])
        team_ids = conn.execute(sa.select(Team.id).order_by(Team.id)).scalars().all()
        conn.execute(sa.insert(TeamLead), [{"team_id": tid, "user_id": f"U{n * 5:06d}"}
                                           for n, tid in enumerate(team_ids)])
        conn.execute(sa.insert(Objective), [{"team_id": tid, "cycle_id": cycle_id, "key": "o", "title": "Objective",
                                             "type": "aspirational"} for tid in team_ids])
        obj_ids = conn.execute(sa.select(Objective.id).order_by(Objective.id)).scalars().all()
        conn.execute(sa.insert(KeyResult), [
            {"objective_id": oid, "key": f"k{k}", "title": f"Increase metric {k} from 0 to 10",
             "owner_id": f"U{n * 5 + k:06d}", "baseline": 0, "target": 10, "unit": ""}
            for n, oid in enumerate(obj_ids) for k in range(5)])
    for n in range(teams * 5):
        fake.add_user(f"U{n:06d}", tz="UTC")
    for t in range(teams):
        try:
            fake.add_channel(f"C{t:05d}", name=f"team-{t}", member=False)
        except TypeError:
            pass  # an older fake: no such channel, Slack answers channel_not_found


def measure(engine, fake, client, now: datetime) -> dict:
    fake.reset_calls()
    cpu, wall = time.process_time(), time.perf_counter()
    with count_statements(engine) as statements:
        run_tick(now=now, engine=engine, client=client)
    calls = fake.calls
    return {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall, "sql": len(statements),
            "calls": len(calls), "errors": Counter(c.error for c in calls if c.error)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a SQLite file in a temporary directory")
    args = parser.parse_args()
    # One line per failed message is the product's log; thousands of them would drown the numbers.
    logging.basicConfig(level=logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(args.database_url or f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        with FakeSlack() as fake:
            seed(engine, fake, args.teams)
            client = make_client("xoxb-bench", fake.url, backoff=0.0, jitter=0.0)
            friday = measure(engine, fake, client, FRIDAY)
            runs = [("Monday 09:00, first try of every digest", MONDAY),
                    ("Monday 09:01, a minute-tick", MONDAY + timedelta(minutes=1)),
                    ("Monday 09:02, a minute-tick", MONDAY + timedelta(minutes=2)),
                    ("Monday 10:00, the hourly try", MONDAY + timedelta(hours=1)),
                    ("Monday 10:01, a minute-tick", MONDAY + timedelta(hours=1, minutes=1))]
            results = [(name, measure(engine, fake, client, now)) for name, now in runs]
    print(f"{args.teams} teams whose digest channel okrbot cannot post to, {args.teams * 5} owners "
          f"(Friday's prompts: {friday['calls']} Slack calls, {friday['wall']:.0f} s)")
    for name, r in results:
        errors = ", ".join(f"{e} x{n}" for e, n in r["errors"].most_common()) or "none"
        print(f"  {name}: CPU {r['cpu']:.2f} s (wall {r['wall']:.2f} s), {r['sql']} SQL statements, "
              f"{r['calls']} Slack calls (errors: {errors})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
