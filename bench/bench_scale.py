"""Scale benchmark: what an idle minute and a catch-up tick cost one workspace of 1k / 10k / 100k owners.

The data set is bench_fanout's (5 owners per team, one KR each, one cycle, SQLite), with every owner's Person row
cached, so no Slack call is needed to learn a zone. Timeline (all UTC+0):

- the week of Friday 2026-11-27 10:00 was prompted for every owner but a sample, and Monday 2026-11-23's digest
  was posted for every team but a sample (bulk inserts of prompts and outbox rows);
- catch-up: Friday 19:00, every job of the tick once: the sample's prompts go out late, the sample's digests too;
- +1 minute: the tick after the fan-out (it settles what the fan-out wrote);
- +2 minutes: the idle minute, nothing due, each job once and then the whole workspace tick as the scheduler runs it;
- +4 minutes: the tick after a check-in typed at +3:30.

Printed per size: idle-minute ms (wall and CPU of this thread, which leaves out the in-process fake Slack) and SQL
statements per job and for the whole tick; catch-up ms and statements per prompt and per digest, counted as the
catch-up tick minus the idle one, divided by the messages sent (the catch-up runs once first on 50 owners, unmeasured,
so that it is not the process's first computation). Nothing is asserted.

    .venv/bin/python bench/bench_scale.py [--owners 1000,10000,100000] [--sample 2000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench_fanout import insert_okrs  # noqa: E402
from bot.jobs.sending import Report  # noqa: E402
from bot.jobs.tick import JOBS, run_workspace  # noqa: E402
from bot.sim.fake_slack import FakeSlack  # noqa: E402
from bot.slack.client import make_client  # noqa: E402
from bot.slack.workspaces import Installed  # noqa: E402
from storage import keys  # noqa: E402
from storage.db import count_statements, make_engine, session_scope, upgrade  # noqa: E402
from storage.wake import TickWake  # noqa: E402
from storage.models import CheckIn, Delivery, KeyResult, Person, Prompt, PromptItem  # noqa: E402

FRIDAY = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
MONDAY = date(2026, 11, 23)
CATCH_UP = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)
TOKEN = "xoxb-bench-scale"


def seed(engine, owners: int, sample: int) -> tuple[list[str], list[int]]:
    """Insert the data set with executemany; returns the owners and team ids left due for the catch-up."""
    fetched = FRIDAY - timedelta(days=1)
    with engine.begin() as conn:
        team_ids = insert_okrs(conn, owners)
        conn.execute(sa.insert(Person), [{"user_id": f"U{n:06d}", "tz": "UTC", "tz_fetched_at": fetched}
                                         for n in range(owners)])
        krs = conn.execute(sa.select(KeyResult.id, KeyResult.owner_id).order_by(KeyResult.id)).all()
        done = krs[sample:]
        conn.execute(sa.insert(Prompt), [{"user_id": owner, "week_key": "2026-11-27@10:00", "due_at": FRIDAY}
                                         for _, owner in done])
        prompt_ids = dict(conn.execute(sa.select(Prompt.user_id, Prompt.id)).all())
        conn.execute(sa.insert(PromptItem), [{"prompt_id": prompt_ids[owner], "kr_id": kr} for kr, owner in done])
        sent = FRIDAY + timedelta(minutes=1)
        rows = [{"key": keys.prompt(pid), "kind": "prompt", "claimed_at": FRIDAY, "sent_at": sent, "attempts": 1}
                for pid in prompt_ids.values()]
        rows += [{"key": keys.digest(tid, MONDAY), "kind": "digest", "claimed_at": FRIDAY, "sent_at": sent,
                  "attempts": 1} for tid in team_ids[sample // 5:]]
        conn.execute(sa.insert(Delivery), rows)
    return [owner for _, owner in krs[:sample]], list(team_ids[:sample // 5])


def measure(fn) -> tuple[object, float, float, int]:
    """fn()'s result, wall ms, CPU ms of this thread and SQL statements."""
    with count_statements(ENGINE[0]) as statements:
        wall, cpu = time.perf_counter(), time.thread_time()
        result = fn()
        cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
    return result, wall * 1000, cpu * 1000, len(statements)


ENGINE: list = []


def each_job(engine, client, now: datetime) -> dict[str, tuple[object, float, float, int]]:
    """Every job of the tick once, in its own session, measured one by one."""
    out = {}
    for name, job in JOBS:
        def run(job=job):
            with session_scope(engine) as session:
                # As the tick runs them (bot.jobs.tick): their writes are counted once per tick, not per message.
                session.info["wake_tick"] = TickWake("", 0)
                return job(now=now, session=session, client=client)
        out[name] = measure(run)
    return out


def sent_count(results) -> int:
    return sum(len(r[0].sent) for r in results.values() if isinstance(r[0], Report))


def one_size(owners: int, sample: int) -> dict:
    owners -= owners % 5
    # At most half the owners: the rest were prompted already, as the data set needs some of each.
    sample = min(sample - sample % 5, owners // 10 * 5)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        engine = make_engine(f"sqlite:///{tmp}/scale.db")
        ENGINE[:] = [engine]
        upgrade(engine)
        t0 = time.perf_counter()
        due_owners, due_teams = seed(engine, owners, sample)
        built = time.perf_counter() - t0
        for owner in due_owners:
            fake.add_user(owner)
        for team_id in due_teams:
            fake.add_channel(f"C{team_id - 1:05d}")
        client = make_client(TOKEN, fake.url, backoff=0.0, jitter=0.0)
        # The same catch-up first on a data set of 50 owners, unmeasured: the measured one is then not the process's
        # first (its compiled statements, holiday calendars and imports), as the idle runs it is compared with are not.
        warm = make_engine(f"sqlite:///{tmp}/warm.db")
        upgrade(warm)
        seed(warm, 50, 40)
        each_job(warm, client, CATCH_UP)
        warm.dispose()
        catch = each_job(engine, client, CATCH_UP)
        after = measure(lambda: run_workspace(Installed("", TOKEN), now=CATCH_UP + timedelta(minutes=1),
                                              engine=engine, client_for=lambda _t: client))
        idle = each_job(engine, client, CATCH_UP + timedelta(minutes=2))
        whole = measure(lambda: run_workspace(Installed("", TOKEN), now=CATCH_UP + timedelta(minutes=3),
                                              engine=engine, client_for=lambda _t: client))
        # A check-in typed between two minutes (outside the tick, as the modal's listener writes it).
        with session_scope(engine) as session:
            kr_id = session.execute(sa.select(KeyResult.id).where(KeyResult.owner_id == due_owners[0])).scalar_one()
            session.add(CheckIn(kr_id=kr_id, author_id=due_owners[0], value=3, confidence="green",
                                created_at=CATCH_UP + timedelta(minutes=3, seconds=30)))
        checkin = measure(lambda: run_workspace(Installed("", TOKEN), now=CATCH_UP + timedelta(minutes=4),
                                                engine=engine, client_for=lambda _t: client))
    return {"owners": owners, "sample": sample, "teams": len(due_teams), "built": built, "catch": catch,
            "after": after, "idle": idle, "whole": whole, "checkin": checkin}


def report(r: dict) -> None:
    idle, catch = r["idle"], r["catch"]
    print(f"{r['owners']:,} owners ({r['owners'] // 5:,} teams; data set built in {r['built']:.1f} s)")
    _, wall, cpu, sql = r["whole"]
    print(f"  idle minute, the workspace's tick as the scheduler runs it (run_workspace): {wall:.1f} ms wall, "
          f"{cpu:.1f} ms CPU, {sql} SQL")
    print("  each job computed in full with nothing due (every idle minute before storage.wake; now only after a "
          "write): " + ", ".join(f"{name} {v[1]:.1f} ms/{v[3]} SQL" for name, v in idle.items()))
    total = [sum(v[i] for v in idle.values()) for i in (1, 2, 3)]
    print(f"    all jobs: {total[0]:.1f} ms wall, {total[1]:.1f} ms CPU, {total[2]:.0f} SQL")
    _, wall, cpu, sql = r["checkin"]
    print(f"  the minute after a check-in (wakes only the alerts job): {wall:.1f} ms wall, {cpu:.1f} ms CPU, "
          f"{sql} SQL")
    _, wall, cpu, sql = r["after"]
    print(f"  the tick right after the catch-up (computes in full): {wall:.1f} ms wall, {cpu:.1f} ms CPU, {sql} SQL")
    for job, what in (("prompts", "prompt"), ("digests", "digest")):
        result, wall, cpu, sql = catch[job]
        n = len(result.sent) if isinstance(result, Report) else 0
        _, iwall, icpu, isql = idle[job]
        if n:
            print(f"  catch-up {job}: {n} sent in {wall:.0f} ms wall, {cpu:.0f} ms CPU, {sql} SQL; per {what} "
                  f"beyond the idle run: {(wall - iwall) / n:.2f} ms wall, {(cpu - icpu) / n:.2f} ms CPU, "
                  f"{(sql - isql) / n:.2f} SQL")
        else:
            print(f"  catch-up {job}: nothing sent ({result!r:.80})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", default="1000,10000,100000", help="comma-separated sizes")
    # 2,000 by default: a message's cost is the catch-up tick minus the idle one, each a full computation of 10-20 s
    # at 50,000-100,000 owners whose run-to-run spread is several percent; 200 messages drowned in it.
    parser.add_argument("--sample", type=int, default=2000, help="owners (and owners/5 teams) left due for the "
                                                                 "catch-up tick")
    args = parser.parse_args()
    print("scale: one workspace, SQLite; idle minute = nothing due; catch-up = a sample of late prompts and digests")
    for size in (int(s) for s in args.owners.split(",") if s.strip()):
        report(one_size(size, args.sample))
    instances()
    return 0


# --- several instances on PostgreSQL -------------------------------------------------------------------------------
# The multi-instance run (leases shared by several `serve` processes) lives in scale_instances.py when that
# file exists; it prints its own numbers after these.

def instances() -> None:
    """Run bench/scale_instances.py's main() when that benchmark is present."""
    path = Path(__file__).with_name("scale_instances.py")
    if not path.exists():
        return
    import importlib.util

    spec = importlib.util.spec_from_file_location("scale_instances", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()


if __name__ == "__main__":
    sys.exit(main())
