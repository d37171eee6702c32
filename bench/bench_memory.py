"""Memory benchmark: resident memory of `okrbot serve` with 100,000 check-ins in its database, then at scale.

Seeds a SQLite database (40 teams x 10 objectives x 5 KRs, 200 owners, 50 check-ins per KR), starts the real
`python app.py serve` with its scheduler on against the fake Slack, sends /okr status, digest previews and App Home
opens through signed HTTP, lets the scheduler fan out, and prints VmRSS and the peak VmHWM from /proc after each
phase. Target: <= 120 MB.

Then the scale case: 100,000 owners (20,000 teams of 5, one KR each) and 1,000,000 check-ins (10 weekly per KR),
built with core executemany and cached under /tmp between runs (SCALE_DB), nothing due this minute: serve idles
and ticks while a few /okr status requests come in. Target: peak <= 150 MB. --skip-small / --skip-scale pick one.

    .venv/bin/python bench/bench_memory.py [--seconds 60] [--scale-seconds 150] [--skip-small] [--skip-scale]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bot.sim.fake_slack import FakeSlack  # noqa: E402
from bot.sim.signed import SignedSlack  # noqa: E402
from storage.db import make_engine, upgrade  # noqa: E402
from storage.models import CheckIn, Cycle, KeyResult, Objective, Person, Team, TeamLead  # noqa: E402

TEAMS, OBJECTIVES, KRS, CHECKINS, OWNERS = 40, 10, 5, 50, 200
SECRET = "bench-secret"


def seed(url: str, fake: FakeSlack, today) -> None:
    engine = make_engine(url)
    upgrade(engine)
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(sa.insert(Cycle), [{"name": "now", "start": today - timedelta(days=60),
                                         "end": today + timedelta(days=30)}])
        cycle_id = conn.execute(sa.select(Cycle.id)).scalar_one()
        conn.execute(sa.insert(Team), [{"name": f"Team {t}", "channel": f"C{t:04d}MEM", "timezone": "UTC",
                                        "checkin_day": 4, "checkin_time": "10:00", "digest_day": 0,
                                        "digest_time": "09:00"} for t in range(TEAMS)])
        team_ids = conn.execute(sa.select(Team.id).order_by(Team.id)).scalars().all()
        conn.execute(sa.insert(TeamLead), [{"team_id": tid, "user_id": "U0MEMLEAD"} for tid in team_ids])
        conn.execute(sa.insert(Objective), [{"team_id": tid, "cycle_id": cycle_id, "key": f"o{o}",
                                             "title": f"Objective {o} of team {tid}", "type": "aspirational"}
                                            for tid in team_ids for o in range(OBJECTIVES)])
        obj_ids = conn.execute(sa.select(Objective.id).order_by(Objective.id)).scalars().all()
        conn.execute(sa.insert(KeyResult), [
            {"objective_id": oid, "key": f"k{k}", "title": f"Increase metric {k} from 10% to 40%",
             "owner_id": f"U{(n * KRS + k) % OWNERS:04d}MEM", "baseline": 10, "target": 40, "unit": "%"}
            for n, oid in enumerate(obj_ids) for k in range(KRS)])
        kr_ids = conn.execute(sa.select(KeyResult.id).order_by(KeyResult.id)).scalars().all()
        rows = [{"kr_id": kid, "author_id": "U0000MEM", "value": 10 + c * 0.5, "confidence": "green",
                 "note": "steady progress", "created_at": now - timedelta(days=CHECKINS - c)}
                for kid in kr_ids for c in range(CHECKINS)]
        for start in range(0, len(rows), 10_000):
            conn.execute(sa.insert(CheckIn), rows[start:start + 10_000])
    engine.dispose()
    for n in range(OWNERS):
        fake.add_user(f"U{n:04d}MEM", tz="UTC")
    fake.add_user("U0MEMLEAD", tz="UTC")
    for t in range(TEAMS):
        fake.add_channel(f"C{t:04d}MEM", name=f"team-{t}")


SCALE_TEAMS, SCALE_OWNERS_PER_TEAM, SCALE_CHECKINS = 20_000, 5, 10
SCALE_DB = (Path(tempfile.gettempdir())
            / f"okrbot-bench-memory-v3-{SCALE_TEAMS}x{SCALE_OWNERS_PER_TEAM}x{SCALE_CHECKINS}.db")
BATCH = 20_000


def seed_scale(path: Path, today) -> None:
    """The scale database, once: 100,000 owners with one KR each and 1,000,000 check-ins, nothing due today."""
    if path.exists():
        return
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{building}")
    upgrade(engine)
    now = datetime.now(UTC)
    # A cycle that starts today, with its first check-in tomorrow and its first digest the day after: this minute
    # nothing is due, nor late. The check-ins are the KRs' history from before the cycle.
    day = (today.weekday() + 1) % 7
    with engine.begin() as conn:
        conn.execute(sa.insert(Cycle), [{"name": "now", "start": today, "end": today + timedelta(days=90)}])
        cycle_id = conn.execute(sa.select(Cycle.id)).scalar_one()
        teams = [{"id": t + 1, "name": f"Team {t}", "channel": f"C{t:06d}S", "timezone": "UTC", "checkin_day": day,
                  "checkin_time": "10:00", "digest_day": (day + 1) % 7, "digest_time": "09:00"}
                 for t in range(SCALE_TEAMS)]
        for start in range(0, len(teams), BATCH):
            conn.execute(sa.insert(Team), teams[start:start + BATCH])
        conn.execute(sa.insert(TeamLead), [{"team_id": t + 1, "user_id": f"U{t:06d}0"} for t in range(SCALE_TEAMS)])
        conn.execute(sa.insert(Objective), [{"id": t + 1, "team_id": t + 1, "cycle_id": cycle_id, "key": "o",
                                             "title": f"Objective of team {t}", "type": "aspirational"}
                                            for t in range(SCALE_TEAMS)])
        krs = [{"id": t * SCALE_OWNERS_PER_TEAM + k + 1, "objective_id": t + 1, "key": f"k{k}", "ref": None,
                "title": f"Increase metric {k} from 10% to 40%", "owner_id": f"U{t:06d}{k}", "baseline": 10,
                "target": 40, "unit": "%"} for t in range(SCALE_TEAMS) for k in range(SCALE_OWNERS_PER_TEAM)]
        for start in range(0, len(krs), BATCH):
            conn.execute(sa.insert(KeyResult), krs[start:start + BATCH])
        conn.execute(sa.text("UPDATE key_results SET ref = id"))
        # Every owner's zone and status known, as after a week of serving: the tick asks Slack nothing.
        people = [{"user_id": kr["owner_id"], "tz": "UTC", "tz_fetched_at": now, "dm_channel": f"D{kr['owner_id']}",
                   "is_admin": False, "admin_checked_at": now, "status_fetched_at": now} for kr in krs]
        for start in range(0, len(people), BATCH):
            conn.execute(sa.insert(Person), people[start:start + BATCH])
        rows = []
        for kr in krs:
            rows += [{"kr_id": kr["id"], "author_id": kr["owner_id"], "value": 10 + c * 2.0, "confidence": "green",
                      "note": "", "created_at": now - timedelta(weeks=SCALE_CHECKINS - c, hours=1)}
                     for c in range(SCALE_CHECKINS)]
            if len(rows) >= BATCH:
                conn.execute(sa.insert(CheckIn), rows)
                rows = []
        if rows:
            conn.execute(sa.insert(CheckIn), rows)
    engine.dispose()
    building.rename(path)


def rss(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def serve_process(url: str, fake: FakeSlack, cwd: str) -> tuple[subprocess.Popen, int]:
    """`python app.py serve` with its scheduler on against the fake Slack; returns once /health answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
    env.update(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-mem", SLACK_API_URL=fake.url, SLACK_SIGNING_SECRET=SECRET,
               PORT=str(port), OKRBOT_SCHEDULER="on")
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve"], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
            return proc, port
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.terminate()
                raise
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL when a tick over many owners is still running after 30 s (not what is measured here)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def run_scale(seconds: int) -> None:
    """Peak RSS of serve idling and ticking over 100,000 owners and 1,000,000 check-ins, with a few requests."""
    started = time.perf_counter()
    seed_scale(SCALE_DB, datetime.now(UTC).date())
    built = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        db = Path(tmp) / "scale.db"
        shutil.copyfile(SCALE_DB, db)
        fake.add_user("U0000000", tz="UTC")
        fake.add_channel("C000000S", name="team-0")
        proc, port = serve_process(f"sqlite:///{db}", fake, tmp)
        try:
            at_start = rss(proc.pid)
            slack = SignedSlack(f"http://127.0.0.1:{port}/slack/events", SECRET, fake=fake)
            for t in range(0, SCALE_TEAMS, SCALE_TEAMS // 20):
                slack.command("U0000000", f'status "Team {t}"')
            after_status = rss(proc.pid)
            time.sleep(seconds)
            end = rss(proc.pid)
        finally:
            stop(proc)
    owners = SCALE_TEAMS * SCALE_OWNERS_PER_TEAM
    print(f"serve with {owners:,} owners and {owners * SCALE_CHECKINS:,} check-ins ({SCALE_TEAMS:,} teams), SQLite, "
          f"scheduler on, nothing due (database {'built in %.0f s' % built if built > 1 else 'cached'}: {SCALE_DB})")
    print(f"  after start-up:                     RSS {at_start[0]:6.1f} MB, peak {at_start[1]:6.1f} MB")
    print(f"  after 20 /okr status:               RSS {after_status[0]:6.1f} MB, peak {after_status[1]:6.1f} MB")
    print(f"  after {seconds} s of ticks:               RSS {end[0]:6.1f} MB, peak (VmHWM) {end[1]:6.1f} MB   "
          f"(target <= 150 MB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to let the scheduler work")
    parser.add_argument("--scale-seconds", type=int, default=150, help="how long serve ticks in the scale case")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    if not args.skip_small:
        run_small(args.seconds)
    if not args.skip_scale:
        run_scale(args.scale_seconds)
    return 0


def run_small(seconds: int) -> None:
    """The 100,000 check-ins case."""
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite:///{tmp}/mem.db"
        seed(url, fake, datetime.now(UTC).date())
        proc, port = serve_process(url, fake, tmp)
        try:
            started = rss(proc.pid)
            slack = SignedSlack(f"http://127.0.0.1:{port}/slack/events", SECRET, fake=fake)
            for t in range(TEAMS):
                slack.command("U0MEMLEAD", f'status "Team {t}"')
            after_status = rss(proc.pid)
            for t in range(TEAMS):
                slack.command("U0MEMLEAD", f'digest "Team {t}" preview')
            after_digests = rss(proc.pid)
            for n in range(OWNERS):
                slack.event({"type": "app_home_opened", "user": f"U{n:04d}MEM", "tab": "home"})
            after_requests = rss(proc.pid)
            time.sleep(seconds)
            end = rss(proc.pid)
            posts = len([c for c in fake.calls_to("chat.postMessage") if c.status == 200])
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"serve with {TEAMS * OBJECTIVES * KRS * CHECKINS:,} check-ins ({TEAMS} teams, {TEAMS * OBJECTIVES * KRS} "
          f"KRs, {OWNERS} owners), SQLite, scheduler on")
    print(f"  after start-up:                     RSS {started[0]:6.1f} MB, peak {started[1]:6.1f} MB")
    print(f"  after {TEAMS} /okr status:            RSS {after_status[0]:6.1f} MB, peak {after_status[1]:6.1f} MB")
    print(f"  after {TEAMS} digest previews:        RSS {after_digests[0]:6.1f} MB, peak {after_digests[1]:6.1f} MB")
    print(f"  after {OWNERS} Home opens:            RSS {after_requests[0]:6.1f} MB, peak {after_requests[1]:6.1f} MB")
    print(f"  after {seconds} s of scheduler work ({posts} messages sent): RSS {end[0]:6.1f} MB, "
          f"peak (VmHWM) {end[1]:6.1f} MB   (target <= 120 MB)")


if __name__ == "__main__":
    sys.exit(main())
