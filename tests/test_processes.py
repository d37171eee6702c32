"""Real processes: a tick killed with SIGKILL mid fan-out, and three `serve` processes sharing one database."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path


from storage.db import make_engine
from storage.models import Cycle, KeyResult, Objective, Team
from storage.db import open_session

ROOT = Path(__file__).resolve().parents[1]


def seed(db_url, fake, *, owners, teams, cycle_start, cycle_end, checkin_day, digest_day, at="00:00"):
    """Teams of five KRs, one owner each, all in UTC so they share one due instant."""
    engine = make_engine(db_url)
    with open_session(engine) as s:
        cycle = Cycle(name="now", start=cycle_start, end=cycle_end)
        s.add(cycle)
        s.flush()
        for t in range(teams):
            team = Team(name=f"Team {t}", channel=f"C{t:04d}PROC", checkin_day=checkin_day, checkin_time=at,
                        digest_day=digest_day, digest_time=at)
            s.add(team)
            s.flush()
            fake.add_channel(team.channel, name=f"team-{t}")
            obj = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title=f"Objective {t}")
            s.add(obj)
            s.flush()
            for k in range(owners // teams):
                owner = f"U{t:03d}{k:02d}PROC"
                fake.add_user(owner, tz="UTC")
                s.add(KeyResult(objective_id=obj.id, key=f"k{k}", title=f"Increase metric {k} from 0 to 10",
                                owner_id=owner, baseline=0, target=10))
        s.commit()
    engine.dispose()


def env_for(db_url, fake, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
    env.update({"DATABASE_URL": db_url, "SLACK_BOT_TOKEN": "xoxb-proc", "SLACK_API_URL": fake.url,
                "SLACK_SIGNING_SECRET": "proc-secret"}, **extra)
    return env


def prompts_per_owner(fake):
    ok = [c for c in fake.calls_to("chat.postMessage") if c.status == 200 and c.error is None]
    # A DM goes to the user id, or to the DM channel (the fake's is "D" + user id) once okrbot knows it: a claim
    # taken over from the killed tick asks conversations.open for it, to look the message up there.
    owners = (c.params["channel"].removeprefix("D") for c in ok)
    return Counter(owner for owner in owners if owner.startswith("U"))


def tick(db_url, fake, now, cwd):
    return subprocess.run([sys.executable, str(ROOT / "app.py"), "tick", "--now", now], env=env_for(db_url, fake),
                          cwd=cwd, capture_output=True, text=True, timeout=120)


def test_sigkill_mid_fan_out_then_rerun_sends_each_prompt_once(db_url, fake_slack, tmp_path):
    seed(db_url, fake_slack, owners=40, teams=8, cycle_start=date(2026, 10, 1), cycle_end=date(2026, 12, 31),
         checkin_day=4, digest_day=0)
    # Slack stamps a message at its own clock: here, the ticks' (--now), so a claim's lookup by time means the same.
    fake_slack.stamp_with(lambda: datetime(2026, 11, 27, tzinfo=UTC))
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "tick", "--now", "2026-11-27T00:00:00Z"],
                            env=env_for(db_url, fake_slack), cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(prompts_per_owner(fake_slack)) < 10 and time.monotonic() < deadline:
        time.sleep(0.005)
    # The paced client waits 100 ms between posts; 30 ms after an answer the tick has recorded it and is waiting
    # for its next turn, which is where a crash lands almost always. (A crash in the few milliseconds between
    # Slack's answer and that record leaves a claim whose message is in Slack: the tick that takes the claim over
    # finds it there by its metadata, and does not post it again.)
    time.sleep(0.03)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    sent_before = sum(prompts_per_owner(fake_slack).values())
    assert 10 <= sent_before < 40, "the kill should land mid fan-out"

    assert tick(db_url, fake_slack, "2026-11-27T00:00:00Z", tmp_path).returncode == 0
    # A claim the killed process held is still within its lease; once it expires, the next tick sends it.
    assert tick(db_url, fake_slack, "2026-11-27T00:06:00Z", tmp_path).returncode == 0
    per_owner = prompts_per_owner(fake_slack)
    assert len(per_owner) == 40
    assert set(per_owner.values()) == {1}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_three_serve_processes_send_each_prompt_and_digest_once(db_url, fake_slack, tmp_path):
    # serve reads the real clock: make a cycle around today, with check-in and digest due at 00:00 today (UTC).
    today = datetime.now(UTC).date()
    seed(db_url, fake_slack, owners=30, teams=3, cycle_start=today - timedelta(days=30),
         cycle_end=today + timedelta(days=30), checkin_day=today.weekday(), digest_day=today.weekday())
    ports = [free_port() for _ in range(3)]
    procs = [subprocess.Popen([sys.executable, str(ROOT / "app.py"), "serve"],
                              env=env_for(db_url, fake_slack, PORT=str(port), OKRBOT_SCHEDULER="on"),
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for port in ports]
    try:
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                        assert r.read() == b"ok"
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        deadline = time.monotonic() + 60
        digests = []
        while time.monotonic() < deadline:
            digests = [c for c in fake_slack.calls_to("chat.postMessage")
                       if c.status == 200 and c.params["channel"].startswith("C")]
            if len(prompts_per_owner(fake_slack)) == 30 and len(digests) >= 3:
                break
            time.sleep(0.2)
        time.sleep(2)  # give a straggler the chance to send a duplicate
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    per_owner = prompts_per_owner(fake_slack)
    assert len(per_owner) == 30 and set(per_owner.values()) == {1}
    per_channel = Counter(c.params["channel"] for c in fake_slack.calls_to("chat.postMessage")
                          if c.status == 200 and c.params["channel"].startswith("C"))
    assert per_channel == {"C0000PROC": 1, "C0001PROC": 1, "C0002PROC": 1}
    assert all(p.returncode == 0 for p in procs), [p.stderr.read()[-2000:] for p in procs]
