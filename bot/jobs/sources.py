"""Reading KRs' sources when they are due: once a day and in the hour before the owner's prompt (bot.rules.reads).

The job claims the due KRs and commits (storage.reads.claim_reads) before it reads anything, so no database write
is held while the network answers: the tick takes about the slowest read's timeout, however many sources it reads.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from bot.jobs.sending import Report
from bot.rules.next_due import NEVER
from bot.rules.reads import current_slot, failure_note, next_read, retry_read, slot_key
from bot.rules.refs import ref_text
from bot.rules.schedule import local_day, owner_zone, parse_hhmm
from bot.sources.read import READ_TIMEOUT_SECONDS, read_sources
from bot.sources.spec import Source, SourceProblem, origin_key, parse_source
from storage.models import READ_AT_ONCE, ObservedValue
from storage.observed import record_reads
from storage.reads import DueRead, claim_reads, due_reads, next_read_due, schedule_reads

logger = logging.getLogger(__name__)

# Reads in flight at once. Above the number of sources expected to hang in one tick, so that they wait out their
# timeouts side by side instead of one after another (a thread each, mostly waiting on sockets).
READ_CONCURRENCY = 128


@dataclass
class Reads(Report):
    """What one run of the job did: KRs whose value was stored, read again within a slot stored already, whose read
    failed (not Report.failed, which is for messages: a failed read is retried at its own next read), and whose
    reads ended; next_due is the soonest next read of any source (storage.wake)."""

    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    read_failed: list[str] = field(default_factory=list)
    ended: int = 0


def read_due_sources(*, now: datetime, session: Session, client: object = None,
                     environ: Mapping[str, str] | None = None, timeout: float = READ_TIMEOUT_SECONDS) -> Reads:
    """Read every source due at `now` and record what each said: its value once per read slot, or a failure note."""
    report = Reads()
    due = due_reads(now=now, session=session)
    if not due:
        report.next_due = next_read_due(session=session) or NEVER
        return report
    claimed = claim_reads([d.kr_id for d in due], now=now, session=session)
    to_read: list[tuple[DueRead, Source]] = []
    plans: list[tuple[int, datetime | None, str | None]] = []
    for item in due:
        if item.kr_id not in claimed:
            continue
        tz = owner_zone(item.person_tz, item.team_tz)
        if item.source is None or item.archived or local_day(tz.key, now=now) > item.cycle_end:
            # No source any more, its cycle is over, or the KR is archived: nothing left to read. Setting the source
            # again resumes.
            plans.append((item.kr_id, None, None))
            report.ended += 1
            continue
        try:
            to_read.append((item, parse_source(_definition(item.source))))
        except SourceProblem as problem:
            # A definition stored before a rule got stricter: it will not fix itself, so try it at the next slot.
            plans.append(_failed(item, problem.sentence, now=now, report=report, retry=False))
    # No transaction is open here (claim_reads committed): the network is read while the database waits for nothing.
    readings = read_sources([source for _, source in to_read], environ=os.environ if environ is None else environ,
                            timeout=timeout, concurrency=READ_CONCURRENCY)
    values: list[tuple[DueRead, ObservedValue]] = []
    for (item, source), reading in zip(to_read, readings):
        if reading.value is None:
            plans.append(_failed(item, reading.failure or "no value", now=now, report=report))
            continue
        tz, prompts = _clock(item)
        # A source just set is read out of schedule, in a slot of its own: the current slot may hold the old one's.
        slot = slot_key(now if item.due_at == READ_AT_ONCE else current_slot(tz, prompts, now=now))
        values.append((item, ObservedValue(kr_id=item.kr_id, value=reading.value, observed_at=now, recorded_at=now,
                                           origin=origin_key(source), read_slot=slot)))
        plans.append((item.kr_id, next_read(tz, prompts, now=now), None))
    # Another process (or an earlier run of this tick) may have stored a slot already: its first value stays.
    stored = record_reads([row for _, row in values], session=session)
    for item, _ in values:
        (report.stored if item.kr_id in stored else report.unchanged).append(ref_text(item.ref))
    schedule_reads(plans, session=session)
    report.next_due = next_read_due(session=session) or NEVER
    return report


def _failed(item: DueRead, failure: str, *, now: datetime, report: Reads,
            retry: bool = True) -> tuple[int, datetime, str]:
    tz, prompts = _clock(item)
    again = retry_read(tz, prompts, now=now) if retry else next_read(tz, prompts, now=now)
    report.read_failed.append(ref_text(item.ref))
    logger.warning("source of %s failed: %s; next try at %s", ref_text(item.ref) or f"KR id {item.kr_id}",
                   failure.rstrip("."), again.strftime("%Y-%m-%d %H:%M UTC"))
    return item.kr_id, again, failure_note(failure, at=now, tz=tz)


def _clock(item: DueRead):
    return owner_zone(item.person_tz, item.team_tz), [(item.checkin_day, parse_hhmm(item.checkin_time))]


def _definition(stored: object) -> object:
    # The column holds the definition as written (storage keeps JSON as text on every backend).
    return json.loads(stored) if isinstance(stored, str) else stored
