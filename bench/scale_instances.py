"""Several instances, one PostgreSQL: 200 workspaces x 50 owners served by 3 `serve` processes with schedulers.

Each run gets a database of its own (created, then dropped) and one fake Slack serving every workspace's token,
with its own users and channels. Every owner's weekly prompt and every team's digest is due when the instances
start. Prints, per run: sends per instance (and %), duplicate sends and missed sends (both must be 0), ticks
computed per workspace-minute (1.00: each workspace-minute computed by one instance; without leases it was 3, every
instance computing every workspace) and wall time. The second run SIGKILLs one instance mid fan-out; the others
take its workspaces over once its tick leases run out, and send what it had claimed once the outbox's claims run out,
first looking each up in Slack (conversations.history): one Slack had already taken is marked, not sent again.

The instances are `serve` itself (app.serve, the code path of `python app.py serve`) with the scheduler's clock
running --speed times faster than real time, so the five minutes an outbox claim lasts pass in half a minute.
Slack's pacing, HTTP and the database run in real time. --speed 1 runs plain `python app.py serve` on the real
clock. Nothing is asserted: it prints numbers.

    .venv/bin/python bench/scale_instances.py [--workspaces 200] [--owners 50] [--instances 3] [--speed 10]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

ADMIN_URL = os.environ.get("OKRBOT_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CLIENT_ID, CLIENT_SECRET, SIGNING_SECRET = "111.222", "bench-client-secret", "bench-signing-secret"
TEAMS = 5  # per workspace; owners are shared out among them
# Friday 27 Nov 2026, 10:00 UTC: the simulated start, when every prompt and digest is due.
SIM_START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def sim_clock(speed: float, real_start: float, sim_start: datetime):
    """A clock that starts at sim_start when time.time() is real_start and runs `speed` times faster."""
    return lambda: sim_start + timedelta(seconds=(time.time() - real_start) * speed)


def instance(args) -> int:
    """One instance: `serve` with a faster scheduler clock (run as its own process by the benchmark)."""
    import logging

    import app
    from bot.settings import load_settings

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clock = sim_clock(args.speed, args.real_start, datetime.fromisoformat(args.sim_start))
    return app.serve(load_settings(), clock=clock, tick_every=timedelta(seconds=60 / args.speed))


# --- the database and the workspaces --------------------------------------------------------------------------


def create_database() -> str:
    name = f"okrbot_bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = sa.make_url(url).database
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def workspace_id(w: int) -> str:
    return f"T{w:04d}B"


def seed(url: str, fake, *, workspaces: int, owners: int, due: datetime) -> dict[str, int]:
    """Installations, and per workspace a cycle, TEAMS teams, their KRs and owners (zones known): what is due."""
    from slack_sdk.oauth.installation_store import Installation

    from bot.slack.workspaces import BOT_SCOPES, installation_store
    from storage.db import make_engine, upgrade
    from storage.models import Cycle, KeyResult, Objective, Person, Team

    engine = make_engine(url)
    upgrade(engine)
    store = installation_store(CLIENT_ID, engine)
    slot = f"{due:%H:%M}"
    for w in range(workspaces):
        ws, token = workspace_id(w), f"xoxb-bench-{w:04d}"
        store.save(Installation(app_id="A0OKR", enterprise_id=None, team_id=ws, team_name=f"Bench {w}",
                                bot_token=token, bot_id="B0BENCH", bot_user_id="U0BOT",
                                bot_scopes=",".join(BOT_SCOPES), user_id="U0INSTALLER"))
        fake.add_install(f"code-{w}", team_id=ws, team_name=f"Bench {w}", bot_token=token)
    with engine.begin() as conn:
        start, end = due.date() - timedelta(days=40), due.date() + timedelta(days=40)
        conn.execute(sa.insert(Cycle), [{"workspace_id": workspace_id(w), "name": "now", "start": start, "end": end}
                                        for w in range(workspaces)])
        cycles = dict(conn.execute(sa.select(Cycle.workspace_id, Cycle.id)).all())
        conn.execute(sa.insert(Team), [{"workspace_id": workspace_id(w), "name": f"Team {t}",
                                        "channel": f"C{w:04d}{t:02d}B", "timezone": "UTC",
                                        "checkin_day": due.weekday(), "checkin_time": slot,
                                        "digest_day": due.weekday(), "digest_time": slot}
                                       for w in range(workspaces) for t in range(TEAMS)])
        teams = conn.execute(sa.select(Team.workspace_id, Team.id, Team.channel)).all()
        conn.execute(sa.insert(Objective), [{"workspace_id": ws, "team_id": tid, "cycle_id": cycles[ws], "key": "o",
                                             "title": "Objective", "type": "aspirational"} for ws, tid, _ in teams])
        objectives = conn.execute(sa.select(Objective.workspace_id, Objective.id, Objective.team_id)).all()
        by_team = {team_id: (ws, oid) for ws, oid, team_id in objectives}
        krs, people, ref = [], [], Counter()
        for ws, tid, channel in teams:
            _, oid = by_team[tid]
            t = int(channel[5:7])
            for k in range(t, owners, TEAMS):
                owner = f"U{ws[1:5]}{k:03d}B"
                ref[ws] += 1
                krs.append({"workspace_id": ws, "objective_id": oid, "key": f"k{k}", "ref": ref[ws],
                            "title": f"Increase metric {k} from 0 to 10", "owner_id": owner, "baseline": 0,
                            "target": 10, "unit": ""})
                people.append({"workspace_id": ws, "user_id": owner, "tz": "UTC", "tz_fetched_at": due,
                               "is_admin": False, "admin_checked_at": due, "status_text": "", "status_emoji": "",
                               "status_expiration": 0, "status_fetched_at": due})
                fake.add_user(owner, tz="UTC")
            fake.add_channel(channel, name=f"team-{channel.lower()}")
        conn.execute(sa.insert(KeyResult), krs)
        conn.execute(sa.insert(Person), people)
    engine.dispose()
    return {"prompts": len(krs), "digests": len(teams)}


# --- the instances ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_instances(n: int, url: str, fake_url: str, *, speed: float, real_start: float, sim_start: datetime,
                    logs: Path) -> list[tuple[subprocess.Popen, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
    env.update({"DATABASE_URL": url, "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": fake_url, "OKRBOT_SCHEDULER": "on"})
    if speed == 1:
        command = [sys.executable, str(ROOT / "app.py"), "serve"]
    else:
        command = [sys.executable, str(Path(__file__).resolve()), "--instance", "--speed", str(speed),
                   "--real-start", repr(real_start), "--sim-start", sim_start.isoformat()]
    started = []
    for i in range(n):
        port = free_port()
        log = open(logs / f"instance-{i}.log", "w")
        started.append((subprocess.Popen(command, env={**env, "PORT": str(port)}, cwd=ROOT, stdout=log,
                                         stderr=subprocess.STDOUT), port))
    return started


METRIC = re.compile(r'^(okrbot_messages_total\{[^}]*outcome="(?:sent|recovered)"[^}]*\}|'
                    r'okrbot_tick_duration_seconds_count)\s+([0-9.e+]+)$', re.M)


def scrape(port: int) -> tuple[int, int, int] | None:
    """(messages sent, workspace ticks computed, messages recovered: found in Slack, sent by a dead instance) from
    an instance's /metrics; None while it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return None
    sent = ticks = recovered = 0
    for name, value in METRIC.findall(text):
        if 'outcome="recovered"' in name:
            recovered += int(float(value))
        elif name.startswith("okrbot_messages_total"):
            sent += int(float(value))
        else:
            ticks += int(float(value))
    return sent, ticks, recovered


def posts(fake) -> Counter:
    """Messages Slack accepted, by (token, channel): one workspace's owner or team channel each (a DM posted to its
    DM channel, the fake's "D" + user id, counts as posted to the user)."""
    return Counter((c.token, str(c.params.get("channel")).removeprefix("D")) for c in fake.calls_to("chat.postMessage")
                   if c.status == 200 and c.error is None)


def run(args, *, kill: bool) -> dict:
    from bot.sim.fake_slack import FakeSlack
    from storage.db import make_engine
    from storage.leases import holders

    url = create_database()
    fake = FakeSlack().start()
    procs: list[tuple[subprocess.Popen, int]] = []
    try:
        real_start = time.time()
        sim_start = SIM_START if args.speed != 1 else datetime.now(UTC).replace(second=0, microsecond=0)
        expected = seed(url, fake, workspaces=args.workspaces, owners=args.owners, due=sim_start)
        total = expected["prompts"] + expected["digests"]
        engine = make_engine(url)
        logs = Path(tempfile.mkdtemp(prefix="okrbot-bench-instances-"))
        # The simulated clock starts when the instances do: the seeding above took real time, not simulated.
        real_start = time.time()
        # Slack stamps each message at its own clock, which agrees with the instances': here, their simulated one.
        fake.stamp_with(sim_clock(args.speed, real_start, sim_start))
        procs = start_instances(args.instances, url, fake.url, speed=args.speed, real_start=real_start,
                                sim_start=sim_start, logs=logs)
        last: dict[int, tuple[int, int, int]] = {}
        workspace_minutes: set[tuple[str, datetime]] = set()
        killed, killed_at, done_at = None, None, None
        deadline = time.monotonic() + args.timeout
        while time.monotonic() < deadline:
            for i, (proc, port) in enumerate(procs):
                if proc.poll() is None and (found := scrape(port)) is not None:
                    last[i] = found
            for ws, (_holder, minute, _expires) in holders(engine=engine).items():
                workspace_minutes.add((ws, minute))
            accepted = posts(fake)
            if kill and killed is None and sum(accepted.values()) >= total * args.kill_at:
                killed, killed_at = 0, time.monotonic()
                procs[0][0].send_signal(signal.SIGKILL)
                procs[0][0].wait(timeout=10)
            if len(accepted) >= total and done_at is None:
                done_at = time.monotonic()
            # A little longer than it took to finish, in real time, for a straggler to send a duplicate.
            if done_at is not None and time.monotonic() - done_at > max(3.0, 120 / args.speed):
                break
            time.sleep(0.25)
        for i, (proc, port) in enumerate(procs):
            if proc.poll() is None and (found := scrape(port)) is not None:
                last[i] = found
        accepted = posts(fake)
        # Claimed more than once with no failure recorded: messages whose first claim was left by a dead instance
        # (in flight when it was killed) and taken over once that claim ran out.
        with engine.connect() as conn:
            taken_over = conn.execute(sa.text("SELECT count(*) FROM deliveries WHERE attempts > 1 "
                                              "AND last_error IS NULL")).scalar_one()
        engine.dispose()
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        fake.stop()
        drop_database(url)
    sends = {i: last.get(i, (0, 0, 0))[0] for i in range(args.instances)}
    if killed is not None:
        # What Slack accepted that no survivor counted was sent by the killed instance (its last scrape is older).
        sends[killed] = sum(accepted.values()) - sum(v for i, v in sends.items() if i != killed)
    return {
        "expected": total, "accepted": sum(accepted.values()), "distinct": len(accepted),
        "duplicates": sum(n - 1 for n in accepted.values() if n > 1), "missed": max(0, total - len(accepted)),
        "taken_over": taken_over, "recovered": sum(r for _, _, r in last.values()), "sends": sends,
        "load": os.getloadavg()[0], "ticks": sum(t for _, t, _ in last.values()),
        "workspace_minutes": len(workspace_minutes),
        "wall": (done_at or time.monotonic()) - (deadline - args.timeout), "killed": killed,
        "takeover": (done_at - killed_at) if killed_at and done_at else None, "logs": logs,
    }


def report(title: str, r: dict, args) -> None:
    print(f"{title}: {args.workspaces} workspaces x {args.owners} owners, {args.instances} instances, "
          f"scheduler clock x{args.speed:g}")
    shares = ", ".join(f"#{i}{' (killed)' if i == r['killed'] else ''} {n} ({100 * n / max(r['accepted'], 1):.1f}%)"
                       for i, n in r["sends"].items())
    print(f"  sends per instance: {shares}")
    print(f"  sends accepted by Slack: {r['accepted']} of {r['expected']} due; duplicate sends: {r['duplicates']}; "
          f"missed sends: {r['missed']}; messages in flight at a kill, taken over once their claim ran out: "
          f"{r['taken_over']}, of which found in Slack (sent before the kill) and not sent again: {r['recovered']}")
    # Ticks are counted when they end (okrbot_tick_duration_seconds), workspace-minutes when claimed: a tick still
    # running at the last scrape, or the killed instance's after its last scrape, counts in the second only.
    print(f"  ticks computed: {r['ticks']} over {r['workspace_minutes']} workspace-minutes claimed = "
          f"{r['ticks'] / max(r['workspace_minutes'], 1):.2f} per workspace-minute (without leases: "
          f"{args.instances}, every instance computing every workspace)")
    line = f"  wall time to the last send: {r['wall']:.1f} s"
    if r["takeover"] is not None:
        line += f" ({r['takeover']:.1f} s of it after the kill)"
    print(line + f"; load average {r['load']:.1f}; instance logs in {r['logs']}")


def main(argv=None) -> int:
    """Run the benchmark (or, with --instance, one instance of it); prints numbers, asserts nothing."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=200)
    parser.add_argument("--owners", type=int, default=50, help="per workspace")
    parser.add_argument("--instances", type=int, default=3)
    parser.add_argument("--speed", type=float, default=10.0, help="how much faster the scheduler's clock runs")
    parser.add_argument("--kill-at", type=float, default=0.4, help="SIGKILL instance #0 once this share was sent")
    parser.add_argument("--timeout", type=float, default=420.0, help="real seconds per run")
    parser.add_argument("--runs", default="alive,kill", help="which runs: alive, kill or both (alive,kill)")
    parser.add_argument("--instance", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--real-start", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--sim-start", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.instance:
        return instance(args)
    runs = args.runs.split(",")
    if "alive" in runs:
        report("all instances alive", run(args, kill=False), args)
    if "kill" in runs:
        report(f"instance #0 SIGKILLed once {args.kill_at:.0%} was sent", run(args, kill=True), args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
