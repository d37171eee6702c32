"""Source-reading benchmark: one tick's reads of N sources, 10% of which hang past the timeout.

The sources are JSON endpoints of a loopback HTTP server; the hanging ones sleep past the read timeout. Prints the
job's wall time against the timeout (target: about the slowest timeout plus a little, since the reads run
concurrently and bounded and no database write waits on them), its CPU time and its SQL statements; then the same
for an idle minute, when no source is due (target: one statement).

    .venv/bin/python bench/bench_sources.py [--sources 1000] [--hanging 0.1] [--timeout 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from sqlmodel import select  # noqa: E402

from bot.jobs.sources import READ_CONCURRENCY, read_due_sources  # noqa: E402
from bot.sources.read import READ_TIMEOUT_SECONDS, read_sources  # noqa: E402
from bot.sources.spec import parse_source  # noqa: E402
from storage.db import count_statements, make_engine, session_scope, upgrade  # noqa: E402
from storage.models import Cycle, KeyResult, ObservedValue, Objective, Team  # noqa: E402

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)
ENV = {"OKRBOT_SOURCES_ALLOW_PRIVATE": "1"}


class Served:
    """tests/source_server.py in a process of its own: a source's server is not on the tick's CPU."""

    def __init__(self, hang_seconds: float):
        self.process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "source_server.py"), str(hang_seconds)],
                                        stdout=subprocess.PIPE, text=True, cwd=ROOT)
        self.url = self.process.stdout.readline().strip()

    def source(self, name: str) -> dict:
        return {"type": "http", "url": f"{self.url}/{name}.json", "path": "data.d7"}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait()


def seed(engine, server: Served, n: int, hanging: float) -> int:
    every = round(1 / hanging) if hanging else 0
    with session_scope(engine) as s:
        team = Team(name="Growth", channel="C0GROWTH", timezone="Europe/London")
        cycle = Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
        s.add_all([team, cycle])
        s.flush()
        objective = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="Objective")
        s.add(objective)
        s.flush()
        hung = 0
        for k in range(n):
            hangs = every and k % every == every - 1
            hung += bool(hangs)
            s.add(KeyResult(objective_id=objective.id, key=f"k{k}", title=f"Metric {k}", owner_id=f"U{k:06d}",
                            baseline=0, target=100, source=server.source(f"hang{k}" if hangs else f"m{k}")))
    return hung


def run(engine, *, now: datetime, timeout: float) -> dict:
    cpu, wall = time.process_time(), time.perf_counter()
    with count_statements(engine) as statements, session_scope(engine) as session:
        report = read_due_sources(now=now, session=session, environ=ENV, timeout=timeout)
    return {"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu, "sql": len(statements),
            "stored": len(report.stored), "failed": len(report.read_failed)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--hanging", type=float, default=0.1)
    parser.add_argument("--timeout", type=float, default=READ_TIMEOUT_SECONDS)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        upgrade(engine)
        # Hanging handlers sleep past the timeout (the server finds "hang" in their path).
        server = Served(hang_seconds=args.timeout + 5)
        hung = seed(engine, server, args.sources, args.hanging)
        print(f"{args.sources} sources on {engine.dialect.name}, {hung} hanging, timeout {args.timeout:g} s, "
              f"{READ_CONCURRENCY} reads at a time")
        # The floor: the same reads with no database at all.
        with session_scope(engine) as s:
            sources = [parse_source(source) for source in s.exec(select(KeyResult.source))]
        wall = time.perf_counter()
        read_sources(sources, environ=ENV, timeout=args.timeout, concurrency=READ_CONCURRENCY)
        floor = time.perf_counter() - wall
        print(f"  the reads alone (no database): wall {floor:.2f} s ({floor / args.timeout:.2f}x the timeout)")
        busy = run(engine, now=NOW, timeout=args.timeout)
        with session_scope(engine) as s:
            rows = s.exec(select(sa.func.count(ObservedValue.id))).one()
        print(f"  tick reading them: wall {busy['wall']:.2f} s ({busy['wall'] / args.timeout:.2f}x the timeout), "
              f"CPU {busy['cpu']:.2f} s, {busy['sql']} SQL statements; {busy['stored']} stored, "
              f"{busy['failed']} failed, {rows} rows")
        idle = run(engine, now=NOW + timedelta(minutes=1), timeout=args.timeout)
        print(f"  idle minute (nothing due): wall {idle['wall'] * 1000:.1f} ms, CPU {idle['cpu'] * 1000:.1f} ms, "
              f"{idle['sql']} SQL statements")
        server.stop()
        engine.dispose()


if __name__ == "__main__":
    main()
