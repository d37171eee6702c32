"""The weekly check-in prompt: which owners are due at `now`, their week recorded in the database, then sent."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.rules.cadence import MIN_WEEK
from bot.rules.schedule import days_around, most_recent_slot, owner_zone, parse_hhmm, week_key
from bot.rules.text import plural
from bot.slack.people import refresh_zones, send_dm
from bot.views.checkin import prompt_message, prompt_preview
from storage import keys
from storage.checkins import latest_checkins
from storage.db import recover
from storage.models import Person, Prompt
from storage.okrs import ActiveKR, live_key_results
from storage.outbox import DONE
from storage.problems import deactivated
from storage.prompts import open_week, prompted_krs_since, prompts_of_weeks

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _DueWeek:
    owner_id: str
    key: str
    due: datetime
    rows: list[ActiveKR]


def send_due_prompts(*, now: datetime, session: Session, client: WebClient) -> Report:
    """Send every weekly prompt due at `now` that has not been sent, at most one per owner, schedule and week."""
    sender = Sender(now=now, session=session, client=client)
    # Owners' zones span UTC-12..+14 and a prompt may go out late within its week: look back eight days.
    first_day, last_day = days_around(now=now, back=8)
    by_owner: dict[str, list[ActiveKR]] = defaultdict(list)
    for row in live_key_results(session=session, first_day=first_day, last_day=last_day):
        by_owner[row.kr.owner_id].append(row)
    # A deactivated owner gets no prompt (their leads were told once, see bot.jobs.problems).
    for gone in deactivated(by_owner, session=session):
        del by_owner[gone]
    # Newcomers need a zone before their first prompt; week-old zones are refreshed after the fan-out.
    people = refresh_zones(by_owner, session=session, client=client, now=now, stale=False)
    due = [week for owner_id, owned in by_owner.items() for week in _due_weeks(owner_id, owned, people, now=now)]
    # A tick runs every minute: settle the weeks already sent in two queries, not a dozen per owner.
    done = _sent_weeks({(w.owner_id, w.key) for w in due}, sender=sender, session=session)
    done |= _overlapping([w for w in due if (w.owner_id, w.key) not in done], session=session)
    sender.report.skipped += sum(1 for w in due if (w.owner_id, w.key) in done)
    for week in due:
        if (week.owner_id, week.key) in done:
            continue
        try:
            prompt = open_week(week.owner_id, week.key, week.due, [r.kr.id for r in week.rows], session=session)
        except Exception:
            recover(session)
            logger.exception("prompt for %s failed; it will be retried on the next tick", week.owner_id)
            sender.report.fail(week.owner_id)
            continue
        sender.send(_message(prompt, week.rows, session=session))
    refresh_zones(by_owner, session=session, client=client, now=now)
    return sender.report


def _message(prompt: Prompt, rows: list[ActiveKR], *, session: Session) -> Message:
    def build() -> tuple[str, list[dict]]:
        latest = latest_checkins([r.kr.id for r in rows], session=session)
        return prompt_message(rows, latest, prompt_id=prompt.id)

    return Message(keys.prompt(prompt.id), "prompt", prompt.user_id, build, to_user=prompt.user_id)


def _due_weeks(owner_id: str, owned: list[ActiveKR], people: dict[str, Person], *,
               now: datetime) -> list[_DueWeek]:
    """The owner's current check-in weeks, one per check-in slot, for KRs whose cycle covers that week."""
    person = people.get(owner_id)
    tz = owner_zone(person.tz if person else None, owned[0].team.timezone)
    # One prompt per owner per schedule: owners in teams with the same check-in slot get a single DM.
    groups: dict[tuple[int, time], list[ActiveKR]] = defaultdict(list)
    for row in owned:
        groups[(row.team.checkin_day, parse_hhmm(row.team.checkin_time))].append(row)
    weeks = []
    for (weekday, at), rows in groups.items():
        local_day, due = most_recent_slot(tz, weekday, at, now=now)
        due_rows = [r for r in rows if r.cycle.start <= local_day <= r.cycle.end]
        if due_rows:
            weeks.append(_DueWeek(owner_id, week_key(local_day, at), due, due_rows))
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
            if owner == week.owner_id and key != week.key and due_at > week.due - MIN_WEEK and krs & kr_ids:
                blocked.add((week.owner_id, week.key))
                break
    return blocked


def _sent_weeks(pairs: set[tuple[str, str]], *, sender: Sender, session: Session) -> set[tuple[str, str]]:
    """Which of these (owner, week_key) prompts were delivered already, or are held until a later hourly try."""
    weeks = {keys.prompt(prompt_id): week for prompt_id, week in prompts_of_weeks(pairs, session=session).items()}
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
        message = _message(prompt, week.rows, session=session)
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
