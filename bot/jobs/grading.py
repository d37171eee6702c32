"""The end of a cycle: each lead's grading DM (once per team and cycle), its one reminder, and the cycle reports.

Derived from the database on every tick: a team's cycle that ended (in the team's zone) and has no grading in force
is due at the first working morning after its last day, 09:00 team time, and its reminder three working mornings
after that DM reached the lead, each under its outbox key, so restarts, repeated ticks and two processes send each once. A grading owes
its team's channel one report; the grading listener sends it at once and the tick retries it if that failed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.reports.grading import cycle_grades
from bot.rules.cadence import is_working_time
from bot.rules.grading import CHASE_FOR_DAYS, grading_due_at, grading_reminder_at, still_chased
from bot.rules.next_due import earliest, next_working_time
from bot.rules.schedule import local_day, owner_zone
from bot.views.grading import cycle_report, grading_dm
from storage import keys
from storage.gradings import graded_pairs, next_cycle, reports_to_send
from storage.models import Cycle, Team
from storage.outbox import sent
from storage.teams import leads_by_team, live_team_cycles

# A report not sent within this long after its grading (Slack refused it all week) is no longer news.
REPORT_FOR = timedelta(days=7)


def send_due_gradings(*, now: datetime, session: Session, client: WebClient) -> Report:
    """DM each lead of a team whose cycle ended and is not graded, once, and remind once; then send the reports."""
    sender = Sender(now=now, session=session, client=client)
    pairs = live_team_cycles(session=session, first_day=now.date() - timedelta(days=CHASE_FOR_DAYS + 1),
                             last_day=now.date())
    ended = [(team, cycle) for team, cycle in pairs
             if cycle.end < local_day(team.timezone, now=now) and still_chased(cycle.end, now=now)]
    graded = graded_pairs({t.id for t, _ in ended}, {c.id for _, c in ended}, session=session)
    due = []
    for team, cycle in ended:
        tz = owner_zone(None, team.timezone)
        if (team.id, cycle.id) not in graded and now >= grading_due_at(cycle.end, tz) and is_working_time(tz, now=now):
            due.append((team, cycle, tz))
    leads = leads_by_team({t.id for t, _, _ in due}, session=session)
    first_keys = [keys.grading(t.id, c.id, lead) for t, c, _ in due for lead in leads.get(t.id, ())]
    delivered = sent(first_keys, session=session)
    messages = []
    for team, cycle, tz in due:
        build = partial(_dm, team, cycle, session=session)
        for lead in leads.get(team.id, ()):
            first = keys.grading(team.id, cycle.id, lead)
            messages.append(Message(first, "grading", first, build, to_user=lead))
            # The reminder follows a DM that reached the lead, three working mornings after it did.
            reached = delivered.get(first)
            if reached is not None and now >= grading_reminder_at(reached.sent_at, tz):
                key = keys.grading_reminder(team.id, cycle.id, lead)
                messages.append(Message(key, "grading", key, partial(_dm, team, cycle, session=session,
                                                                      reminder=True), to_user=lead))
    sender.send_all(messages)
    sender.report.next_due = _next_due(pairs, graded, now=now, session=session)
    return send_cycle_reports(now=now, session=session, client=client, sender=sender)


def _next_due(pairs: list[tuple[Team, Cycle]], graded: set[tuple[int, int]], *, now: datetime,
              session: Session) -> datetime:
    """The first instant after `now` at which a grading DM or its reminder may fall due: a cycle's first working
    morning after its end, or, for one ended and not graded, the next working time while a DM or its reminder is
    unsent. Sooner rather than exact: a wake that finds them sent costs one computation."""
    candidates = []
    chased = []
    for team, cycle in pairs:
        tz = owner_zone(None, team.timezone)
        if (team.id, cycle.id) in graded or not still_chased(cycle.end, now=now):
            # Graded, or too old to chase (a cycle that ends later than now is always chased).
            if cycle.end >= now.date():
                candidates.append(next_working_time(tz, after=max(now, grading_due_at(cycle.end, tz))))
            continue
        due_at = grading_due_at(cycle.end, tz)
        if due_at > now:
            candidates.append(next_working_time(tz, after=due_at))
        else:
            chased.append((team, cycle, tz))
    if chased:
        leads = leads_by_team({t.id for t, _, _ in chased}, session=session)
        wanted = {(t.id, c.id, lead): tz for t, c, tz in chased for lead in leads.get(t.id, ())}
        delivered = sent([keys.grading(*k) for k in wanted] + [keys.grading_reminder(*k) for k in wanted],
                         session=session)
        for k, tz in wanted.items():
            first = delivered.get(keys.grading(*k))
            if first is None:
                candidates.append(next_working_time(tz, after=now))
            elif keys.grading_reminder(*k) not in delivered:
                candidates.append(next_working_time(tz, after=max(now, grading_reminder_at(first.sent_at, tz))))
    # An instant that is `now` belongs to a message this run planned: sent, held or refused, it needs no wake.
    return earliest(c for c in candidates if c > now)


def _dm(team: Team, cycle: Cycle, *, session: Session, reminder: bool = False):
    cg = cycle_grades(team, cycle, session=session)
    # Graded meanwhile (between planning and sending), or nothing left to grade: nothing to say.
    if cg.grading is not None or not cg.krs:
        return None
    return grading_dm(cg, reminder=reminder)


def send_cycle_reports(*, now: datetime, session: Session, client: WebClient, sender: Sender | None = None) -> Report:
    """Post each recent grading's cycle report to its team's channel, once."""
    sender = sender or Sender(now=now, session=session, client=client)
    messages = []
    for grading in reports_to_send(session=session, since=now - REPORT_FOR):
        key = keys.cycle_report(grading.id)
        team, cycle = session.get(Team, grading.team_id), session.get(Cycle, grading.cycle_id)
        messages.append(Message(key, "report", key, partial(_report, team, cycle, grading, session=session),
                                channel=team.channel))
    return sender.send_all(messages)


def _report(team: Team, cycle: Cycle, grading, *, session: Session):
    cg = cycle_grades(team, cycle, session=session, grading=grading)
    nxt = next_cycle(cycle, session=session)
    carried = any(kr.carried_kr_id for kr in cg.krs)
    return cycle_report(cg, carried_to=nxt.name if nxt is not None and carried else None)
