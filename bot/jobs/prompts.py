"""The weekly check-in prompt: which owners are due at `now`, their week recorded in the database, then sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.rules.away import away_reason
from bot.rules.cadence import MIN_WEEK
from bot.rules.holidays import moved_day
from bot.rules.next_due import NEVER, earliest, next_weekly
from bot.rules.schedule import (days_around, local_instant, most_recent_slot, owner_zone, parse_hhmm, same_series,
                                week_key)
from bot.rules.text import plural
from bot.slack.people import TZ_MAX_AGE, fresh_statuses, refresh_zones, send_dm, zones_to_refresh
from bot.views.checkin import prompt_message, prompt_preview
from storage import keys
from storage.absences import stretches_of
from storage.checkins import latest_checkins
from storage.db import recover
from storage.models import CheckIn, Person, Prompt
from storage.okrs import ActiveKR, live_key_results, live_key_results_by_owner
from storage.outbox import DONE
from storage.people import PersonRow, people_by_id, person_rows
from storage.prompts import open_week, open_weeks, prompted_krs_since, prompts_for_weeks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _DueWeek:
    owner_id: str
    key: str
    due: datetime
    rows: list[ActiveKR]
    # The owner's local date the week's prompt is due on (after a holiday moved it).
    day: date


def send_due_prompts(*, now: datetime, session: Session, client: WebClient) -> Report:
    """Send every weekly prompt due at `now` that has not been sent, at most one per owner, schedule and week."""
    sender = Sender(now=now, session=session, client=client)
    # Owners' zones span UTC-12..+14 and a prompt may go out late within its week: look back eight days.
    first_day, last_day = days_around(now=now, back=8)
    plan = _Plan(now=now)
    # Owner by owner in batches, keeping only the weeks due: at 100,000 owners holding every KR and zone at once
    # was most of the job's memory.
    waiting: dict[str, list[ActiveKR]] = {}
    for rows in live_key_results_by_owner(session=session, first_day=first_day, last_day=last_day):
        by_owner: dict[str, list[ActiveKR]] = defaultdict(list)
        for row in rows:
            by_owner[row.kr.owner_id].append(row)
        known = person_rows(by_owner, session=session)
        # Newcomers need a zone before their first prompt: asked for together, after every batch, so that many
        # of them cost one users.list pass.
        waiting.update((owner, owned) for owner, owned in by_owner.items()
                       if owner not in known or known[owner].tz_fetched_at is None)
        plan.add({o: owned for o, owned in by_owner.items() if o not in waiting}, known)
    if waiting:
        plan.add(waiting, refresh_zones(waiting, session=session, client=client, now=now, stale=False), fresh=True)
    due, people = plan.weeks(), plan.people
    # A tick runs every minute: settle the weeks already sent, held until a later hourly try, or skipped as away,
    # in two queries, not a dozen per owner.
    existing = prompts_for_weeks({(w.owner_id, w.key) for w in due}, session=session)
    done = _sent_weeks(existing, sender=sender)
    done |= {pair for pair, (_, away) in existing.items() if away is not None}
    done |= _overlapping([w for w in due if (w.owner_id, w.key) not in done], session=session)
    sender.report.skipped += sum(1 for w in due if (w.owner_id, w.key) in done)
    new = [w for w in due if (w.owner_id, w.key) not in done and (w.owner_id, w.key) not in existing]
    away = _away_weeks(new, people, session=session, client=client, now=now)
    todo = [w for w in due if (w.owner_id, w.key) not in done]
    # The new weeks' rows in two commits; a week tried before (its row exists) is opened as it always was.
    opened: dict[tuple[str, str], Prompt] = {}
    try:
        opened = open_weeks([(w.owner_id, w.key, w.due, [r.kr.id for r in w.rows], away.get((w.owner_id, w.key)))
                             for w in todo if (w.owner_id, w.key) not in existing], session=session, now=now)
    except Exception:
        recover(session)
        logger.exception("opening %d new weeks at once failed; each is opened on its own", len(todo))
    # The prompts' latest check-ins in one query for the whole fan-out, not one per prompt; and the owners' rows
    # as objects, which each DM updates with its channel (planning read them as plain rows). Held here: the
    # session's identity map keeps only objects something refers to.
    latest = latest_checkins([r.kr.id for w in todo for r in w.rows], session=session) if todo else {}
    recipients = people_by_id({w.owner_id for w in todo}, session=session)
    for week in todo:
        reason = away.get((week.owner_id, week.key))
        try:
            prompt = opened.get((week.owner_id, week.key)) or open_week(
                week.owner_id, week.key, week.due, [r.kr.id for r in week.rows], session=session, away=reason,
                now=now)
        except Exception:
            recover(session)
            logger.exception("prompt for %s failed; it will be retried on the next tick", week.owner_id)
            sender.report.fail(week.owner_id)
            continue
        if prompt.away is not None:
            # An away week is a skipped week that okrbot skipped by itself: no DM, no reminder, never missed.
            sender.report.skipped += 1
            continue
        sender.send(_message(prompt, week.rows, session=session, latest=latest, now=now))
    del recipients
    if plan.stale:
        # Week-old zones, after the fan-out (a zone that changes is a write: the next minute plans again with it).
        refresh_zones(plan.owners, session=session, client=client, now=now)
    sender.report.next_due = plan.next_due
    return sender.report


class _Plan:
    """The weeks due at `now`, gathered batch by batch: only the due weeks and their owners' records are kept,
    with every owner's id, the soonest next due instant, and whether a zone needs refreshing."""

    def __init__(self, *, now: datetime):
        self.now = now
        self.owners: list[str] = []
        self.people: dict[str, Person | PersonRow] = {}
        self.next_due = NEVER
        self.stale = False
        self._due: list[tuple[tuple, _DueWeek]] = []

    def add(self, by_owner: dict[str, list[ActiveKR]], people: dict[str, Person | PersonRow], *,
            fresh: bool = False) -> None:
        """Plan these owners (every KR of each), with their cached records; `fresh`: their zones were just read."""
        # A deactivated owner gets no prompt (their leads were told once, see bot.jobs.problems).
        live = {owner: owned for owner, owned in by_owner.items()
                if getattr(people.get(owner), "deactivated_at", None) is None}
        self.owners.extend(live)
        for owner_id, owned in live.items():
            weeks = _due_weeks(owner_id, owned, people, now=self.now)
            if weeks:
                self.people[owner_id] = people.get(owner_id)
                # In the order of the owners' first KR by team, objective and KR, as the weeks always went out.
                first = (owned[0].team.id, owned[0].objective.id, owned[0].kr.id)
                self._due.extend((first, week) for week in weeks)
        self.next_due = min(self.next_due, _next_due(live, people, now=self.now))
        self.stale = self.stale or (not fresh and zones_to_refresh(live, people, now=self.now))

    def weeks(self) -> list[_DueWeek]:
        """The due weeks, in the order they are sent."""
        return [week for _, week in sorted(self._due, key=lambda item: item[0])]


def _next_due(by_owner: dict[str, list[ActiveKR]], people: dict[str, Person], *, now: datetime) -> datetime:
    """The first instant after `now` at which a new week of any owner's schedule falls due (holidays moved, in the
    owner's zone at the time), or a cached zone grows stale; the rest only a write can change."""
    slots: dict[tuple, datetime] = {}
    candidates = []
    for owner_id, owned in by_owner.items():
        person = people.get(owner_id)
        tz = owner_zone(person.tz if person else None, owned[0].team.timezone)
        calendars = frozenset(row.team.holidays for row in owned)
        for weekday, at in {(row.team.checkin_day, row.team.checkin_time) for row in owned}:
            # Owners share a few zones and schedules: each slot is computed once.
            key = (tz.key, weekday, at, calendars)
            if key not in slots:
                slots[key] = next_weekly(tz, weekday, parse_hhmm(at), calendars, now=now)
        # A zone that stayed stale after this run's refresh (Slack did not list the person) waits for another wake.
        if person is not None and person.tz_fetched_at is not None and person.tz_fetched_at + TZ_MAX_AGE > now:
            candidates.append(person.tz_fetched_at + TZ_MAX_AGE)
    return earliest([*slots.values(), *candidates])


def _message(prompt: Prompt, rows: list[ActiveKR], *, session: Session,
             latest: dict[int, CheckIn] | None = None, now: datetime | None = None) -> Message:
    def build() -> tuple[str, list[dict]]:
        found = latest if latest is not None else latest_checkins([r.kr.id for r in rows], session=session)
        return prompt_message(rows, found, prompt_id=prompt.id, now=now)

    return Message(keys.prompt(prompt.id), "prompt", prompt.user_id, build, to_user=prompt.user_id)


def _away_weeks(weeks: list[_DueWeek], people: dict[str, Person], *, session: Session, client: WebClient,
                now: datetime) -> dict[tuple[str, str], str]:
    """The new weeks whose owner is away (/okr away on the week's day, or an away Slack status), with the reason.

    Decided once, when the week's row is created: /okr back (or Undo) afterwards brings the prompt after all.
    """
    if not weeks:
        return {}
    stretches = stretches_of({w.owner_id for w in weeks}, session=session, first_day=min(w.day for w in weeks))
    fresh_statuses(people, {w.owner_id: w.due for w in weeks}, session=session, client=client, now=now)
    away = {}
    for week in weeks:
        person = people.get(week.owner_id)
        status = (person.status_text, person.status_emoji, person.status_expiration) if person else None
        reason = away_reason(week.day, stretches.get(week.owner_id, []), status, now=now)
        if reason is not None:
            away[(week.owner_id, week.key)] = reason
    return away


def _due_weeks(owner_id: str, owned: list[ActiveKR], people: dict[str, Person], *,
               now: datetime) -> list[_DueWeek]:
    """The owner's current check-in weeks, one per check-in slot, for KRs whose cycle covers that week.

    A slot on a public holiday of any of the owner's teams' calendars moves to the next working day at the same
    local time; a week with no working day is not prompted (so never missed), and its previous week runs on.
    """
    person = people.get(owner_id)
    tz = owner_zone(person.tz if person else None, owned[0].team.timezone)
    calendars = {row.team.holidays for row in owned}
    # One prompt per owner per schedule: owners in teams with the same check-in slot get a single DM.
    groups: dict[tuple[int, time], list[ActiveKR]] = defaultdict(list)
    for row in owned:
        groups[(row.team.checkin_day, parse_hhmm(row.team.checkin_time))].append(row)
    weeks = []
    for (weekday, at), rows in groups.items():
        local_day, due = most_recent_slot(tz, weekday, at, now=now)
        day = moved_day(local_day, calendars)
        if day is None:
            continue
        if day != local_day:
            due = local_instant(day, at, tz)
            if due > now:
                # The holiday's prompt is still to come; until then the previous week is the open one.
                continue
        due_rows = [r for r in rows if r.cycle.start <= local_day <= r.cycle.end]
        if due_rows:
            weeks.append(_DueWeek(owner_id, week_key(local_day, at), due, due_rows, day))
    return weeks


def _overlapping(weeks: list[_DueWeek], *, session: Session) -> set[tuple[str, str]]:
    """Pending weeks that would start within MIN_WEEK of another prompt for the same KRs, and so must wait.

    This happens when a lead moves the check-in slot mid-week: the new slot's "current week" overlaps the week
    already prompted. Prompting again would look like a duplicate, and the short week would count as missed.
    """
    if not weeks:
        return set()
    earliest = min(w.due for w in weeks) - MIN_WEEK
    recent = prompted_krs_since({w.owner_id for w in weeks}, earliest, session=session)
    blocked = set()
    for week in weeks:
        kr_ids = {r.kr.id for r in week.rows}
        for (owner, key), (due_at, krs) in recent.items():
            # Weeks of one slot are a week apart even when a holiday moved one of them closer to the next.
            if (owner == week.owner_id and key != week.key and not same_series(key, week.key)
                    and due_at > week.due - MIN_WEEK and krs & kr_ids):
                blocked.add((week.owner_id, week.key))
                break
    return blocked


def _sent_weeks(existing: dict[tuple[str, str], tuple[int, str | None]], *, sender: Sender) -> set[tuple[str, str]]:
    """Which of these (owner, week_key) prompts were delivered already, or are held until a later hourly try."""
    weeks = {keys.prompt(prompt_id): week for week, (prompt_id, _) in existing.items()}
    return {weeks[key] for key, state in sender.settle(weeks).items() if state in DONE}
@dataclass(frozen=True)
class Sent:
    """What `okrbot prompt --me` did, in a sentence for the person who asked."""

    ok: bool
    says: str


def send_prompt_now(user_id: str, *, now: datetime, session: Session, client: WebClient) -> Sent:
    """The user's check-in prompt for this week, at once (`okrbot prompt --me`); owning no KR, a preview.

    A week whose prompt was never sent is sent through the outbox, so the scheduler will not send it again; a week
    already prompted gets a copy, as the person asked for one.
    """
    first_day, last_day = days_around(now=now, back=8)
    rows = live_key_results(session=session, first_day=first_day, last_day=last_day)
    owned = [r for r in rows if r.kr.owner_id == user_id]
    if not owned:
        running = [r for r in rows if r.cycle.start <= now.date() <= r.cycle.end]
        if not running:
            return Sent(False, "there is no key result in a running cycle yet: import an OKR file first "
                               "(okrbot import examples/okrs.yaml)")
        latest = latest_checkins([r.kr.id for r in running], session=session)
        text, blocks = prompt_preview(running, latest)
        send_dm(user_id, text, blocks, session=session, client=client)()
        return Sent(True, f"sent {user_id} a preview of the weekly prompt with {plural(len(running), 'key result')}"
                          ": they own none, so it has no Check in button. Make them a KR's owner in the OKR file "
                          "and import it again for a real one")
    people = refresh_zones({user_id}, session=session, client=client, now=now, stale=False)
    weeks = _due_weeks(user_id, owned, people, now=now)
    if not weeks:
        return Sent(False, f"{user_id}'s key results have no check-in week running now (their cycle starts "
                           "later, or the first check-in slot has not come yet)")
    sender = Sender(now=now, session=session, client=client)
    for week in weeks:
        prompt = open_week(week.owner_id, week.key, week.due, [r.kr.id for r in week.rows], session=session)
        message = _message(prompt, week.rows, session=session, now=now)
        if sender.pending([message.key]):
            sender.send(message)
        else:
            text, blocks = message.build()
            send_dm(user_id, text, blocks, session=session, client=client)()
            sender.report.sent.append(user_id)
    if sender.report.failed:
        return Sent(False, f"Slack refused the prompt to {user_id}; the log line above says why")
    return Sent(True, f"sent {user_id} the check-in prompt for {plural(sum(len(w.rows) for w in weeks), 'key result')}"
                      ": it is in their DMs with okrbot")
