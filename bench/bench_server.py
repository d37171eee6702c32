"""HTTP server benchmark: a burst of signed /okr status, big bodies and slow connections against a real `serve`.

Starts `python app.py serve` (scheduler off) on a seeded SQLite database (bench_memory's: 40 teams, 100,000
check-ins) against the fake Slack in this process, and prints:
  * burst: N concurrent signed `/okr status` requests, each on its own connection as Slack sends them: errors,
    p50/p99/max of the ack (what Slack's 3 s timeout applies to) and of the answer reaching the person (the ack's body,
    or the post to the command's response_url);  target: 0 errors, ack p99 <= 1 s;
  * big body: an unsigned POST of 10 MB (and one of 200 MB) to /slack/events while signed requests keep coming: the
    big request's answer, the others' errors and p99, and the server's peak RSS;
  * slow connections: 50 connections trickling a header line now and then while signed requests keep coming: the
    others' errors and p99, the server's threads, and how many slow connections are still open after 15 s.

    .venv/bin/python bench/bench_server.py [-n 200] [--root DIR]

--root runs another checkout's app.py (e.g. the commit before the server change, to measure "before").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_memory import rss, seed  # noqa: E402

from bot.sim.fake_slack import FakeSlack, sign_request  # noqa: E402

SECRET = "bench-server-secret"
STATUS = os.environ.get("BENCH_TEXT", "status \"Team 0\"")
LEAD = "U0MEMLEAD"


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), or NaN for no samples."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def threads(pid: int) -> int:
    """The process's thread count, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def command_request(port: int, fake: FakeSlack, n: int) -> tuple[bytes, str]:
    """A signed /okr status request as raw HTTP/1.1 bytes, and its response_url."""
    response_url = fake.response_url()
    body = urllib.parse.urlencode({
        "token": "x", "team_id": "T0FAKE", "team_domain": "fake", "channel_id": "C0ANY", "channel_name": "general",
        "user_id": LEAD, "user_name": "lead", "command": "/okr", "text": STATUS, "api_app_id": "A0OKR",
        "response_url": response_url, "trigger_id": f"trig{n}"}).encode()
    ts = str(int(time.time()))
    head = (f"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
            f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
            f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {sign_request(SECRET, ts, body)}\r\n\r\n")
    return head.encode() + body, response_url


async def send_raw(port: int, data: bytes, *, timeout: float = 30.0) -> tuple[int | None, bytes, float]:
    """One request on a fresh connection: (status or None on a failure, the response body, seconds taken)."""
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout)
        writer.write(data)
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
        writer.close()
    except (OSError, asyncio.TimeoutError):
        return None, b"", time.perf_counter() - started
    elapsed = time.perf_counter() - started
    try:
        status = int(raw.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None, raw, elapsed
    return status, raw.partition(b"\r\n\r\n")[2], elapsed


async def commands(port: int, fake: FakeSlack, count: int, *, spacing: float = 0.0) -> dict:
    """`count` signed /okr status requests, all at once (spacing 0) or one every `spacing` seconds."""
    requests = [command_request(port, fake, n) for n in range(count)]
    sent_at = [0.0] * count

    async def one(i: int):
        await asyncio.sleep(i * spacing)
        sent_at[i] = time.monotonic()
        return await send_raw(port, requests[i][0])

    results = await asyncio.gather(*(one(i) for i in range(count)))
    errors = sum(1 for status, _, _ in results if status != 200)
    acks = [elapsed for status, _, elapsed in results if status == 200]
    answers = []
    deadline = time.monotonic() + 60
    for (status, body, elapsed), (_, url), sent in zip(results, requests, sent_at):
        if status != 200:
            continue
        if b"Objective" in body:  # the old server answered in the ack
            answers.append(elapsed)
            continue
        while (at := fake.answered_at(url)) is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if at is not None:
            answers.append(at - sent)
    return {"errors": errors, "acks": acks, "answers": answers, "unanswered": count - errors - len(answers)}


def describe(label: str, result: dict) -> str:
    acks, answers = result["acks"], result["answers"]
    return (f"{label}: {result['errors']} errors, ack p50 {percentile(acks, 50) * 1000:.0f} ms / p99 "
            f"{percentile(acks, 99) * 1000:.0f} ms / max {max(acks, default=float('nan')) * 1000:.0f} ms; answer p50 "
            f"{percentile(answers, 50) * 1000:.0f} ms / p99 {percentile(answers, 99) * 1000:.0f} ms"
            f"{'; ' + str(result['unanswered']) + ' never answered' if result['unanswered'] else ''}")


async def big_body(port: int, size: int) -> str:
    """An unsigned POST of `size` bytes, sent as fast as the server reads it; what came back."""
    head = (f"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n").encode()
    started = time.perf_counter()
    chunk = b"x" * 1_000_000
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head)
        for _ in range(size // len(chunk)):
            writer.write(chunk)
            await writer.drain()
        raw = await asyncio.wait_for(reader.read(), 60)
        writer.close()
        answer = raw.split(b"\r\n", 1)[0].decode(errors="replace")
    except (OSError, asyncio.TimeoutError) as exc:
        # The new server answers 413 and closes before the body is sent: the client sees a reset mid-send.
        answer = f"connection closed by the server while sending ({type(exc).__name__})"
    return f"{answer} after {time.perf_counter() - started:.2f} s"


async def slow_clients(port: int, count: int, seconds: float) -> list:
    """`count` connections that send a request line, then one header line every few seconds, for `seconds`."""
    clients = []
    for _ in range(count):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\n")
            clients.append((reader, writer))
        except OSError:
            pass

    async def trickle(writer):
        end = time.monotonic() + seconds
        while time.monotonic() < end and not writer.is_closing():
            await asyncio.sleep(3)
            try:
                writer.write(b"X-Slow: 1\r\n")
                await writer.drain()
            except OSError:
                return

    for _, writer in clients:
        asyncio.ensure_future(trickle(writer))
    return clients


async def still_open(clients) -> int:
    """How many of these connections the server has not closed."""
    count = 0
    for reader, _ in clients:
        try:
            if await asyncio.wait_for(reader.read(1), 0.02) != b"":
                count += 1
        except asyncio.TimeoutError:
            count += 1
        except OSError:
            pass
    return count


async def scenario(port: int, pid: int, fake: FakeSlack, burst: int) -> None:
    result = await commands(port, fake, burst)
    print("  " + describe(f"burst of {burst} concurrent /okr status", result))
    print(f"  server after the burst: RSS {rss(pid)[0]:.0f} MB, {threads(pid)} threads")

    for size in (10_000_000, 200_000_000):
        before = rss(pid)
        big = asyncio.ensure_future(big_body(port, size))
        others = await commands(port, fake, 20, spacing=0.05)
        answer = await big
        after = rss(pid)
        print(f"  unsigned {size // 1_000_000} MB body: {answer}; peak RSS {before[1]:.0f} -> {after[1]:.0f} MB")
        print("    " + describe("20 signed requests meanwhile", others))

    clients = await slow_clients(port, 50, 20)
    await asyncio.sleep(0.5)
    during = threads(pid)
    others = await commands(port, fake, 20, spacing=0.05)
    print(f"  50 slow connections: server has {during} threads")
    print("    " + describe("20 signed requests meanwhile", others))
    await asyncio.sleep(15)
    print(f"    after 15 s: {await still_open(clients)} of {len(clients)} slow connections still open, "
          f"server has {threads(pid)} threads")
    for _, writer in clients:
        writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--burst", type=int, default=200, help="concurrent /okr status requests (default 200)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app.py to serve")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        url = f"sqlite:///{tmp}/server.db"
        seed(url, fake, datetime.now(UTC).date())
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "OKRBOT_"))}
        env.update(DATABASE_URL=url, SLACK_BOT_TOKEN="xoxb-server", SLACK_API_URL=fake.url,
                   SLACK_SIGNING_SECRET=SECRET, PORT=str(port), OKRBOT_SCHEDULER="off")
        proc = subprocess.Popen([sys.executable, str(args.root / "app.py"), "serve"], env=env, cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2).read()
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.2)
            print(f"serve ({args.root}) on a 2-core machine, SQLite with 100,000 check-ins; /okr {STATUS} renders "
                  f"10 objectives x 5 KRs")
            print(f"  after start-up: RSS {rss(proc.pid)[0]:.0f} MB, {threads(proc.pid)} threads")
            asyncio.run(asyncio.wait_for(commands(port, fake, 5, spacing=0.1), 60))  # warm up
            asyncio.run(scenario(port, proc.pid, fake, args.burst))
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
