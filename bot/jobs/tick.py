"""The scheduler's tick: every job that is due at `now`, each in its own database session."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timedelta

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot import metrics
from bot.jobs.sending import Report
from bot.jobs import alerts, digests, grading, nudges, problems, prompts, reminders, sources
from bot.rules.next_due import earliest
from bot.settings import Settings
from bot.slack.client import DEFAULT_LIMITS, Pacer, make_client
from bot.slack.workspaces import Installed, may_send, targets
from storage import leases, wake
from storage.db import session_scope
from storage.models import SINGLE_WORKSPACE

logger = logging.getLogger(__name__)

# Order matters only for readability of the logs: each job asks the database what is due and not yet done.
JOBS: list[tuple[str, Callable]] = [
    # Before prompts, so a prompt due in the same tick shows the value its KR's source just gave.
    ("sources", sources.read_due_sources),
    ("prompts", prompts.send_due_prompts),
    # After prompts: the prompt created in this tick is what ends a week, so a third missed week is nudged at once.
    ("nudges", nudges.send_due_nudges),
    ("reminders", reminders.send_due_reminders),
    # The check-in listener sends these right away; the tick retries any that failed.
    ("alerts", alerts.send_due_alerts),
    # After prompts, so a digest due in the same tick sees this week's prompts when it tells who has not checked in.
    ("digests", digests.send_due_digests),
    # The end of a cycle: grading DMs to leads, their reminder, and any cycle report a grading still owes.
    ("grading", grading.send_due_gradings),
    # Last, so a problem that a message of this tick ran into is told in the same tick.
    ("problems", problems.send_due_problems),
]


# A workspace recomputes at least this often, whatever its jobs said: a bound on any next-due they got wrong.
WAKE_AT_LEAST_EVERY = timedelta(days=1)


def run_tick(*, now: datetime, engine: Engine, client: WebClient, workspace: str = SINGLE_WORKSPACE,
             keep_going: Callable[[], bool] | None = None) -> dict[str, object]:
    """Run every job of one workspace at `now`; a failing job is logged and retried on the next tick, never fatal.

    `keep_going` is asked before each job: False (the tick's lease was taken over) ends the tick there.
    """
    if now.tzinfo is None:
        raise ValueError("run_tick needs a timezone-aware `now`")
    _, state = wake.begin(engine, workspace, now=now)
    # Every job, even when only check-ins were written since the last computation.
    state.only = None
    return _run_jobs(now=now, engine=engine, client=client, workspace=workspace, state=state, keep_going=keep_going)


@metrics.TICK_SECONDS.time()
def _run_jobs(*, now: datetime, engine: Engine, client: WebClient, workspace: str, state: wake.TickWake,
              keep_going: Callable[[], bool] | None = None) -> dict[str, object]:
    results: dict[str, object] = {}
    for name, job in JOBS:
        if keep_going is not None and not keep_going():
            break
        if state.only is not None and name not in state.only:
            # Only check-ins were written since the last computation: no other job can have gained work.
            results[name] = Report()
            continue
        try:
            with session_scope(engine, workspace) as session:
                session.info["wake_tick"] = state
                results[name] = job(now=now, session=session, client=client)
            _log_counts(name, results[name])
            if isinstance(results[name], Report) and results[name].stopped:
                break
        except Exception:
            logger.exception("job %s of workspace %s failed at %s; it will run again on the next tick", name,
                             workspace or "(single)", now.isoformat())
            results[name] = None
    if state.only is not None:
        ran = [results.get(name) for name in state.only]
        wake.finish_checkins(engine, state, now=now, settled=all(isinstance(r, Report) and not r.failed and
                                                                 not r.stopped for r in ran))
        return results
    wake.finish(engine, state, now=now, wake_at=_next_wake(results, now=now, engine=engine, workspace=workspace))
    return results


def _next_wake(results: dict[str, object], *, now: datetime, engine: Engine, workspace: str) -> datetime | None:
    """When this workspace next has work: the soonest "nothing before" of its jobs, of the outbox's held messages
    and of cycles about to start; None (at once) when a job failed, sent nothing it meant to, or did not run."""
    reports = [results.get(name) for name, _ in JOBS]
    if any(not isinstance(r, Report) or r.failed or r.stopped or r.next_due is None for r in reports):
        return None
    try:
        with session_scope(engine, workspace) as session:
            shared = wake.shared_wake(session=session, now=now)
    except Exception:
        logger.exception("the next wake of workspace %s could not be computed; it ticks again next minute",
                         workspace or "(single)")
        return None
    return min(earliest([*(r.next_due for r in reports), shared]), now + WAKE_AT_LEAST_EVERY)


def _log_counts(job: str, report: object) -> None:
    # One line per job that sent or failed something ("prompts: 40 sent, 2 failed (retry in 1 h: ...)"); an idle
    # minute logs nothing.
    if isinstance(report, Report) and (report.sent or report.failed):
        (logger.warning if report.failed else logger.info)("%s", report.summary(job))


def run_workspace(target: Installed, *, now: datetime, engine: Engine,
                  client_for: Callable[[Installed], WebClient],
                  keep_going: Callable[[], bool] | None = None) -> dict[str, object] | None:
    """One workspace's tick with its own token; None when that workspace stopped okrbot.

    A workspace with nothing due at `now` (storage.wake) costs one query: its jobs report empty without running.
    """
    if now.tzinfo is None:
        raise ValueError("run_workspace needs a timezone-aware `now`")
    due, state = wake.begin(engine, target.workspace, now=now)
    if not due:
        return {name: Report() for name, _ in JOBS}
    with session_scope(engine, target.workspace) as session:
        allowed = may_send(target.workspace, target.token, session=session)
    if not allowed:
        return None
    return _run_jobs(now=now, engine=engine, client=client_for(target), workspace=target.workspace, state=state,
                     keep_going=keep_going)


def run_workspaces(installed: list[Installed], *, now: datetime, engine: Engine,
                   client_for: Callable[[Installed], WebClient]) -> dict[str, dict[str, object]]:
    """One tick for each installed workspace, with its own token; workspaces that stopped okrbot are skipped."""
    results: dict[str, dict[str, object]] = {}
    for target in installed:
        result = run_workspace(target, now=now, engine=engine, client_for=client_for)
        if result is not None:
            results[target.workspace] = result
    return results


class JobClients:
    """One paced client per workspace and token, kept across ticks so each workspace's pacing carries over."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._clients: dict[tuple[str, str], object] = {}
        self._lock = threading.Lock()

    def __call__(self, target):
        key = (target.workspace, target.token)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = make_client(target.token, self.settings.api_url, pacer=Pacer(DEFAULT_LIMITS))
            return self._clients[key]


def served(settings: Settings, engine: Engine, only: str | None = None, *,
           due_at: datetime | None = None) -> list[Installed]:
    """The workspaces these settings serve: the bot token's one, or every installation (optionally just `only`);
    with `due_at`, only those that may have work at that instant (one query, see storage.wake)."""
    found = targets(bot_token=settings.bot_token, client_id=settings.client_id, engine=engine, only=only)
    if due_at is None:
        return found
    due = wake.due_workspaces([t.workspace for t in found], engine=engine, now=due_at)
    return [t for t in found if t.workspace in due]


def tick_all(settings: Settings, engine, *, now: datetime, clients: JobClients | None = None,
             only: str | None = None) -> dict[str, dict[str, object]]:
    """One tick of every workspace okrbot serves, each with its own token."""
    return run_workspaces(served(settings, engine, only), now=now, engine=engine,
                          client_for=clients or JobClients(settings))


class Ticker:
    """The scheduler's tick: each workspace in its own worker, so one workspace's long fan-out delays no other.

    A workspace whose previous tick is still running (a large, paced fan-out takes minutes) is left to finish it;
    the next tick after that picks up whatever became due meanwhile, as every job derives its work from the database.

    Several instances on one database share the work through leases (storage.leases): a worker claims its workspace
    for the current minute just before running it, so each workspace-minute is computed by one instance. Every
    instance ticks on the whole minute (app.start_scheduler) and queues the workspaces in its own random order, and a
    worker claims the next one only when it is free, so instances share a busy minute by how fast they work rather
    than by who woke first. A background thread renews the leases of the ticks in flight; a holder that dies stops
    renewing, and another instance takes its workspaces over once the lease runs out.
    """

    def __init__(self, settings: Settings, engine: Engine, *, workers: int = 8,
                 clients: Callable[[Installed], WebClient] | None = None, holder: str | None = None,
                 lease: timedelta = leases.LEASE, rng: random.Random | None = None):
        self.settings = settings
        self.engine = engine
        self.clients = clients or JobClients(settings)
        self.holder = holder or leases.instance_name()
        self.lease = lease
        self._random = rng or random.Random()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrbot-tick")
        self._running: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._queueing = threading.Lock()
        # The latest tick's `now` and the monotonic instant it arrived: the clock of claims, renewals and releases,
        # so they follow whatever time the scheduler (or a test) ticks at.
        self._now_at: tuple[datetime, float] | None = None
        self._held: set[str] = set()
        self._lost: set[str] = set()
        self._renewed_at: datetime | None = None
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def now(self) -> datetime:
        """The latest tick's `now`, moved on by the time since it arrived."""
        with self._lock:
            at, arrived = self._now_at
        return at + timedelta(seconds=time.monotonic() - arrived)

    def tick(self, *, now: datetime) -> dict[str, Future]:
        """Queue the tick of every installed workspace that is not still busy here; returns the queued ones.

        A queued tick's future answers None when another instance had that workspace's minute.
        """
        with self._lock:
            self._now_at = (now, time.monotonic())
        # Only workspaces that may have work claim a lease: an idle minute costs one query for all of them.
        installed = served(self.settings, self.engine, due_at=now)
        self._random.shuffle(installed)
        started: dict[str, Future] = {}
        # The start-up tick and the first whole minute's may come at once (app.start_scheduler).
        with self._queueing:
            self._start_renewing()
            for target in installed:
                previous = self._running.get(target.workspace)
                if previous is not None and not previous.done():
                    continue
                started[target.workspace] = self._running[target.workspace] = self._pool.submit(self._run, target)
        return started

    def _run(self, target: Installed) -> dict[str, object] | None:
        workspace = target.workspace
        # The minute when a worker is free, not when the tick was queued: a tick that waited behind others
        # works for the newest minute, as the instances that claim beside it do.
        now = self.now()
        try:
            if not leases.claim(workspace, holder=self.holder, now=now, engine=self.engine, lease=self.lease):
                return None
        except Exception as exc:
            # The database is unreachable or busy: one line, and the next minute asks again.
            logger.warning("cannot claim the tick of workspace %s at %s (%s); the next tick tries again",
                           workspace or "(single)", now.isoformat(), exc.__class__.__name__)
            return None
        with self._lock:
            self._held.add(workspace)
            self._lost.discard(workspace)
        try:
            return run_workspace(target, now=now, engine=self.engine, client_for=self.clients,
                                 keep_going=lambda: self._still_held(workspace))
        except Exception:
            logger.exception("tick of workspace %s failed at %s", workspace or "(single)", now.isoformat())
            return None
        finally:
            with self._lock:
                self._held.discard(workspace)
            try:
                leases.release(workspace, holder=self.holder, now=self.now(), engine=self.engine)
            except Exception as exc:
                logger.warning("cannot give back the tick lease of workspace %s (%s); it runs out by itself",
                               workspace or "(single)", exc.__class__.__name__)

    def _still_held(self, workspace: str) -> bool:
        with self._lock:
            return workspace not in self._lost

    def renew(self, *, now: datetime) -> set[str]:
        """Extend the leases of the ticks in flight; returns the workspaces whose lease another instance took."""
        with self._lock:
            held = set(self._held)
        if not held:
            return set()
        lost = held - leases.renew(held, holder=self.holder, now=now, engine=self.engine, lease=self.lease)
        with self._lock:
            self._lost |= lost & self._held
        for workspace in sorted(lost):
            logger.warning("the tick lease of workspace %s ran out and another instance took it; this tick stops "
                           "after its current job", workspace or "(single)")
        return lost

    def _start_renewing(self) -> None:
        if self._renewer is None:
            self._renewer = threading.Thread(target=self._renew_loop, name="okrbot-lease", daemon=True)
            self._renewer.start()

    def _renew_loop(self) -> None:
        # Polls every second but renews every lease / 3 of the tick's clock, so a simulated clock that runs faster
        # (bench/scale_instances.py) is renewed in its own time.
        while not self._stop.wait(1.0):
            now = self.now()
            if self._renewed_at is not None and now - self._renewed_at < self.lease / 3:
                continue
            try:
                self.renew(now=now)
                self._renewed_at = now
            except Exception as exc:
                logger.warning("cannot renew the tick leases (%s); trying again in a second (they last %s)",
                               exc.__class__.__name__, self.lease)

    def shutdown(self) -> None:
        """Stop taking ticks; a tick in flight finishes its current message and its claims expire if it dies."""
        self._stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
