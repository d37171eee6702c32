"""Memory benchmark: resident memory of `okrbot serve` with 100,000 check-ins in its database.

Seeds a SQLite database (40 teams x 10 objectives x 5 KRs, 200 owners, 50 check-ins per KR), starts the real
`python app.py serve` with its scheduler on against the fake Slack, sends /okr status, digest previews and App Home
opens through signed HTTP, lets the scheduler fan out, and prints VmRSS and the peak VmHWM from /proc.
Target: <= 120 MB.

    .venv/bin/python bench/bench_memory.py [--seconds 60]
"""

from __future__ import annotations

import argparse
import os
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
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team, TeamLead  # noqa: E402

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


def rss(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="how long to let the scheduler work")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite:///{tmp}/mem.db"
        seed(url, fake, datetime.now(UTC).date())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
        env.update(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-mem", SLACK_API_URL=fake.url, SLACK_SIGNING_SECRET=SECRET,
                   PORT=str(port), OKRBOT_SCHEDULER="on")
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
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
            time.sleep(args.seconds)
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
    print(f"  after {args.seconds} s of scheduler work ({posts} messages sent): RSS {end[0]:6.1f} MB, "
          f"peak (VmHWM) {end[1]:6.1f} MB   (target <= 120 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
