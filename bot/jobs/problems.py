"""Telling people, once, what only they can fix: a digest channel okrbot cannot post to, a deactivated owner.

The send loop (jobs.sending) records each such problem (storage.problems) when Slack refuses a message for it;
this job DMs the people who can act, under one outbox key per problem and person, so each hears of it once: the
team's leads, or the workspace admins okrbot knows of when the team has none. A problem fixed and broken again is
a new problem, told again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from slack_sdk import WebClient
from sqlmodel import Session

from bot.jobs.sending import Message, Report, Sender
from bot.rules.next_due import NEVER
from bot.rules.schedule import days_around
from bot.views.problems import channel_problem_message, person_problem_message
from storage import keys
from storage.models import Problem
from storage.okrs import live_key_results
from storage.outbox import DONE
from storage.people import known_admins
from storage.problems import untold
from storage.teams import leads_by_team, teams_in_channel

logger = logging.getLogger(__name__)


def send_due_problems(*, now: datetime, session: Session, client: WebClient) -> Report:
    """DM the people who can fix each problem nobody was told about yet; one query when there is none."""
    sender = Sender(now=now, session=session, client=client)
    # Only a recorded problem (a write) makes one due; a held DM's next try is the outbox's (storage.wake).
    sender.report.next_due = NEVER
    for problem in untold(session=session):
        messages = _messages(problem, now=now, session=session)
        if messages is None:
            problem.told_at = now
            session.add(problem)
            continue
        sender.send_all(messages)
        done = sender.settle([m.key for m in messages])
        # Told once everyone reachable was told: a recipient who cannot be DM'd (held) is a problem of its own.
        if all(done.get(m.key) in DONE for m in messages):
            problem.told_at = now
            session.add(problem)
    return sender.report


def _messages(problem: Problem, *, now: datetime, session: Session) -> list[Message] | None:
    """The DMs that tell this problem, or None when there is nobody okrbot can tell (logged)."""
    if problem.kind == "token":
        # Nothing can be sent with a refused token; the log line of the refusal is the only way to tell.
        return None
    if problem.kind == "channel":
        teams = teams_in_channel(problem.subject, session=session)
        build = partial(channel_problem_message, problem.subject, problem.error, [t.name for t in teams])
    else:
        first_day, last_day = days_around(now=now)
        rows = live_key_results(session=session, first_day=first_day, last_day=last_day, owner_id=problem.subject)
        teams = list({row.team.id: row.team for row in rows}.values())
        build = partial(person_problem_message, problem.subject, problem.error, rows)
    leads = leads_by_team([t.id for t in teams], session=session)
    who = sorted({lead for t in teams for lead in leads.get(t.id, [])} - {problem.subject})
    who = who or [u for u in known_admins(session=session) if u != problem.subject]
    if not who:
        logger.warning("%s %s stops okrbot's messages (%s) and there is no lead or known admin to tell",
                       problem.kind, problem.subject, problem.error)
        return None
    return [Message(keys.problem(problem.id, user), "problem", keys.problem(problem.id, user), build, to_user=user)
            for user in who]
