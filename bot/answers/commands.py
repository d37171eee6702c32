"""The /okr slash command: parsing its text and deciding the answer."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.answers import authoring, away, chart, checkin, digest, grading, lint, participation, status, teams
from bot.answers.answer import Answer
from bot.rules.text import clean
from bot.rules.validation import USER_MENTION
from bot.views.kit import code

MAX_COMMAND_CHARS = 500

HELP = "\n".join([
    "*okrbot* keeps your team's OKRs alive with a weekly check-in. Commands:",
    "• `/okr checkin` — check in on your key results: value, confidence and a note",
    "• `/okr checkin @someone` — (team leads) check in on behalf of someone in your team",
    "• `/okr status` — your teams' objectives and key results: score, confidence, pace and trend",
    "• `/okr status TEAM`, `/okr status @someone`, `/okr status me` — one team, or one person's key results",
    "• `/okr status TEAM chart` — a chart of the team's key results by week, against the expected pace",
    "• `/okr digest [TEAM] preview` — see this week's team digest now, without posting it",
    "• `/okr lint [TEAM]` — coach notes on how your team's objectives and key results are written",
    "• `/okr team` — the teams with their channel, leads, time zone and schedules (and why okrbot cannot post to a "
    "channel, if it cannot); `/okr team help` shows how leads and admins change them",
    "• `/okr cycle` — the OKR cycles; `/okr cycle add NAME START END` (admins) adds one",
    "• `/okr new [TEAM]` — (team leads, admins) write an objective and its key results; the KR coach reviews it",
    "• `/okr edit [TEAM]` — (team leads, admins) change or archive an objective or its key results",
    "• `/okr grade [TEAM] [CYCLE]` — (team leads, admins) grade a cycle, hold its retrospective and carry "
    "unfinished key results over; again to re-grade",
    "• `/okr away [until 2026-12-08]`, `/okr back` — away: no prompts or reminders, weeks not missed (leads: "
    "`/okr away @someone …`)",
    "• `/okr participation [TEAM]` — who checked in, week by week this cycle, and the team's rate per week",
    "• `/okr help` — this list",
    "Each week okrbot DMs every key result owner at their team's check-in time, in the owner's own time zone.",
    "On leave? Press *Skip this week* on that DM: the week won't count as missed and you won't get a reminder.",
])


@dataclass(frozen=True)
class Command:
    """A parsed /okr invocation."""

    name: str
    args: tuple[str, ...]


def parse(text: str) -> Command:
    """Split the command text into a subcommand and its arguments; never raises."""
    text = clean(text or "").strip()[:MAX_COMMAND_CHARS]
    try:
        words = shlex.split(text)
    except ValueError:
        # An unbalanced quote: fall back to plain whitespace so the user still gets an answer.
        words = text.split()
    if not words:
        return Command("help", ())
    return Command(words[0].lower(), tuple(words[1:]))


def user_id_of(arg: str) -> str | None:
    """The user id in a mention argument like <@U123|ann>, or None."""
    match = USER_MENTION.match(arg)
    return match.group(1) if match else None


def run(cmd: Command, user_id: str, *, session: Session, now: datetime, client=None) -> Answer:
    """Decide the answer to /okr for this caller; `client` is only used to ask Slack whether they are an admin."""
    if cmd.name == "help":
        return Answer.say(HELP)
    if cmd.name == "team":
        return teams.team_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "cycle":
        return teams.cycle_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "new":
        return authoring.new_objective_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "edit":
        return authoring.edit_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "grade":
        return grading.grade_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "checkin":
        target = None
        if cmd.args:
            target = user_id_of(cmd.args[0])
            if target is None:
                return Answer.say(f"`{code(cmd.args[0][:40])}` is not a person. Use `/okr checkin` for yourself or "
                                  "`/okr checkin @someone` for someone in a team you lead.")
        return checkin.checkin_form(user_id, target, session=session, now=now)
    if cmd.name == "status" and len(cmd.args) > 1 and cmd.args[-1].lower() == "chart":
        return chart.chart_command(cmd.args[:-1], session=session, now=now, client=client)
    if cmd.name == "status":
        mentioned = user_id_of(cmd.args[0]) if len(cmd.args) == 1 else None
        return status.status_reply(cmd.args, user_id, mentioned=mentioned, session=session, now=now)
    if cmd.name == "digest":
        return digest.digest_reply(cmd.args, user_id, session=session, now=now)
    if cmd.name == "away":
        return away.away_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "back":
        return away.back_command(cmd.args, user_id, session=session, now=now, client=client)
    if cmd.name == "participation":
        return participation.participation_reply(cmd.args, user_id, session=session, now=now)
    if cmd.name == "lint":
        return lint.lint_command(cmd.args, user_id, session=session, now=now)
    return Answer.say(f"I don't know `/okr {code(cmd.name[:40])}`.\n\n{HELP}")
