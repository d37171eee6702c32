"""Benchmark the REST API: 200 concurrent pushes on loopback to the real server (prints numbers; not a test).

    .venv/bin/python bench/bench_api.py [--postgres] [-n 200] [--concurrency 200 50 10 1] [--rounds 2]

Serves the real app (Bolt for Slack and the API on one port, as `okrbot serve` does) on a database with the Growth
OKRs (SQLite in a temporary directory, or a fresh schema of the PostgreSQL test database with --postgres), then
sends N pushes from `concurrency` threads at once, each on its own connection with its own Idempotency-Key, spread
over 10 tokens (so that the per-token rate limit is not what is measured), and reports p50/p99/max latency, errors
and throughput per round (target: p99 <= 50 ms on SQLite, 0 errors), and the rows stored.
"""

from __future__ import annotations

import argparse
import statistics
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true")
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
    fake = FakeSlack()
    fake.start()
    settings = Settings(bot_token="xoxb-bench", signing_secret="bench-secret", api_url=fake.url, database_url=url,
                        scheduler=False)
    events_url, stop = start_http_app(settings, engine, clock=lambda: datetime.now(UTC),
                                      client=make_client("xoxb-bench", fake.url))
    apis = [Api(events_url, token) for token in tokens]
    try:
        apis[0].push("KR-1", {"value": 21})  # warm up: connections, FastAPI's first request
        backend = "PostgreSQL" if args.postgres else "SQLite"
        for concurrency in args.concurrency:
            print(f"bench_api: {args.n} pushes from {concurrency} concurrent clients, {backend}")
            for round_ in range(args.rounds):
                started = time.perf_counter()
                latencies, errors = burst(apis, args.n, concurrency, round_)
                took = time.perf_counter() - started
                ms = [x * 1000 for x in latencies]
                print(f"  round {round_ + 1}: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 99):.1f} ms, "
                      f"max {max(ms):.1f} ms, errors {len(errors)}"
                      f"{' ' + str(sorted(set(errors))) if errors else ''}, {args.n / took:.0f} pushes/s")
        with open_session(engine) as s:
            rows = s.exec(select(func.count()).select_from(ObservedValue)).one()
        print(f"rows stored: {rows} (expected {1 + args.n * args.rounds * len(args.concurrency)})")
    finally:
        stop()
        fake.stop()
        engine.dispose()
        if schema:
            drop_schema(PG_URL, schema, terminate=True)
        tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
