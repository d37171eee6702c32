"""The scheduler's tick: every job that is due at `now`, each in its own database session."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from bot import alerts, nudges, prompts
from bot import digest
from storage.db import session_scope

logger = logging.getLogger(__name__)

# Order matters only for readability of the logs: each job asks the database what is due and not yet done.
JOBS: list[tuple[str, Callable]] = [
    ("prompts", prompts.send_due_prompts),
    # After prompts: the prompt created in this tick is what ends a week, so a third missed week is nudged at once.
    ("nudges", nudges.send_due_nudges),
    ("reminders", nudges.send_due_reminders),
    # The check-in listener sends these right away; the tick retries any that failed.
    ("alerts", alerts.send_due_alerts),
    # After prompts, so a digest due in the same tick sees this week's prompts when it tells who has not checked in.
    ("digests", digest.send_due_digests),
]


def run_tick(now: datetime, *, engine: Engine, client: WebClient) -> dict[str, object]:
    """Run every job at `now`; a failing job is logged and retried on the next tick, never fatal."""
    if now.tzinfo is None:
        raise ValueError("run_tick needs a timezone-aware `now`")
    results: dict[str, object] = {}
    for name, job in JOBS:
        try:
            with session_scope(engine) as session:
                results[name] = job(now, session=session, client=client)
        except Exception:
            logger.exception("job %s failed at %s; it will run again on the next tick", name, now.isoformat())
            results[name] = None
    return results
