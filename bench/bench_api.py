"""Benchmark the REST API: 200 concurrent pushes on loopback to the real server (prints numbers; not a test).

    .venv/bin/python bench/bench_api.py [--postgres] [-n 200] [--concurrency 200 50 10 1] [--rounds 2] [--in-process]

Serves the real app (Bolt for Slack and the API on one port, as `okrbot serve` does) on a database with the Growth
OKRs (SQLite in a temporary directory, or a fresh schema of the PostgreSQL test database with --postgres), then
sends N pushes from `concurrency` threads at once, each on its own connection with its own Idempotency-Key, spread
over 10 tokens (so that the per-token rate limit is not what is measured), and reports p50/p99/max latency, errors
and throughput per round (target: p99 <= 50 ms on SQLite, 0 errors), the server's CPU per push, and the rows stored.

The server runs in a child process, as a deployment's clients are not in okrbot's process: the 200 client threads
would otherwise take the server's GIL. --in-process serves from a thread of this process instead (the old setup).
CPU per push does not depend on what else the machine runs; the latencies do (see `uptime`'s load when comparing).
The p99 floor of the HTTP stack alone (GET /health from as many clients) is printed first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import func, select  # noqa: E402

from app import start_http_app  # noqa: E402
from bot.okr_files.importer import import_file  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.sim.fake_slack import FakeSlack  # noqa: E402
from bot.slack.client import make_client  # noqa: E402
from storage.db import make_engine, open_session, session_scope, upgrade  # noqa: E402
from storage.models import ObservedValue  # noqa: E402
from storage.scratch import create_schema, drop_schema  # noqa: E402
from storage.tokens import create_token  # noqa: E402
from tests.web.api_client import Api  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GROWTH = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "growth.yaml"
REFS = ("KR-1", "KR-2", "KR-3")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def burst(apis: list[Api], n: int, concurrency: int, round_: int) -> tuple[list[float], list[str]]:
    """N pushes released together from `concurrency` threads; each one's latency and the errors."""
    gate = threading.Barrier(min(n, concurrency))
    latencies: list[float] = []
    errors: list[str] = []

    def one(i: int):
        if i < concurrency:
            gate.wait()
        started = time.perf_counter()
        try:
            reply = apis[i % len(apis)].push(REFS[i % len(REFS)], {"value": 20 + i % 15, "note": "bench"},
                                             headers={"Idempotency-Key": f"bench-{round_}-{concurrency}-{i}"})
            status = reply.status
        except OSError as exc:
            status = f"{type(exc).__name__}"
        latencies.append(time.perf_counter() - started)
        if status != 201:
            errors.append(str(status))

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    return latencies, errors


def health_burst(events_url: str, concurrency: int) -> list[float]:
    """GET /health from `concurrency` threads at once: the latencies, the server's floor without app work."""
    api = Api(events_url, prefix="")
    gate = threading.Barrier(concurrency)

    def one(_i: int) -> float:
        gate.wait()
        started = time.perf_counter()
        api.call("GET", "/health")
        return time.perf_counter() - started

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(concurrency)))


def serve_child(url: str) -> int:
    """The child process: serve the app on `url`, print the events URL, then answer each "cpu" line with this
    process's CPU seconds until stdin closes."""
    engine = make_engine(url)
    fake = FakeSlack()
    fake.start()
    settings = Settings(bot_token="xoxb-bench", signing_secret="bench-secret", api_url=fake.url, database_url=url,
                        scheduler=False)
    events_url, stop = start_http_app(settings, engine, clock=lambda: datetime.now(UTC),
                                      client=make_client("xoxb-bench", fake.url))
    print(events_url, flush=True)
    try:
        for _line in sys.stdin:
            print(time.process_time(), flush=True)
    finally:
        stop()
        fake.stop()
        engine.dispose()
    return 0


class Served:
    """The app served for the benchmark: in a child process (default) or in a thread of this one."""

    def __init__(self, url: str, engine, *, in_process: bool):
        self.child = None
        if in_process:
            self.fake = FakeSlack()
            self.fake.start()
            settings = Settings(bot_token="xoxb-bench", signing_secret="bench-secret", api_url=self.fake.url,
                                database_url=url, scheduler=False)
            self.url, self._stop = start_http_app(settings, engine, clock=lambda: datetime.now(UTC),
                                                  client=make_client("xoxb-bench", self.fake.url))
        else:
            self.child = subprocess.Popen([sys.executable, __file__, "--serve", url], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ""})
            self.url = self.child.stdout.readline().strip()

    def cpu(self) -> float:
        """The server's CPU seconds so far (the whole process when in-process: clients included)."""
        if self.child is None:
            return time.process_time()
        self.child.stdin.write("cpu\n")
        self.child.stdin.flush()
        return float(self.child.stdout.readline())

    def stop(self) -> None:
        if self.child is None:
            self._stop()
            self.fake.stop()
            return
        self.child.stdin.close()
        self.child.wait(timeout=60)


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        return serve_child(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[200, 50, 10, 1])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    schema = None
    if args.postgres:
        url, schema = create_schema(PG_URL)
    else:
        url = f"sqlite:///{Path(tmp.name) / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        import_file(str(GROWTH), session=s)
        tokens = [create_token(f"bench-{i}", session=s, now=datetime.now(UTC)) for i in range(10)]
    served = Served(url, engine, in_process=args.in_process)
    apis = [Api(served.url, token) for token in tokens]
    try:
        apis[0].push("KR-1", {"value": 21})  # warm up: connections, FastAPI's first request
        backend = "PostgreSQL" if args.postgres else "SQLite"
        where = "in this process" if args.in_process else "in a child process"
        print(f"bench_api: server {where}, {backend}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        floor = [x * 1000 for x in health_burst(served.url, max(args.concurrency))]
        print(f"  GET /health from {max(args.concurrency)} clients at once (the HTTP floor): "
              f"p50 {statistics.median(floor):.1f} ms, p99 {percentile(floor, 99):.1f} ms")
        for concurrency in args.concurrency:
            print(f"bench_api: {args.n} pushes from {concurrency} concurrent clients, {backend}")
            for round_ in range(args.rounds):
                started, cpu = time.perf_counter(), served.cpu()
                latencies, errors = burst(apis, args.n, concurrency, round_)
                took, cpu = time.perf_counter() - started, served.cpu() - cpu
                ms = [x * 1000 for x in latencies]
                print(f"  round {round_ + 1}: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
                      f"max {max(ms):.1f} ms, errors {len(errors)}"
                      f"{' ' + str(sorted(set(errors))) if errors else ''}, {args.n / took:.0f} pushes/s, "
                      f"server CPU {cpu / args.n * 1000:.2f} ms per push")
        with open_session(engine) as s:
            rows = s.exec(select(func.count()).select_from(ObservedValue)).one()
        print(f"rows stored: {rows} (expected {1 + args.n * args.rounds * len(args.concurrency)})")
    finally:
        served.stop()
        engine.dispose()
        if schema:
            drop_schema(PG_URL, schema, terminate=True)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
