"""Team and cycle setup from Slack: `/okr team …` and `/okr cycle …`, each answer one sentence or a short list."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.lookup import named_team, no_such_team, team_name_of
from bot.answers.permissions import admin_refusal, can_manage, is_workspace_admin, manage_refusal
from bot.rules import validation
from bot.rules.text import sentence
from bot.rules.validation import Invalid
from bot.views import teams as views
from bot.views.kit import code, escape, schedule_text, zone_text
from storage.cycles import all_cycles, find_cycle
from storage.db import flushed
from storage.models import Cycle, Team, TeamLead
from storage import keys
from storage.outbox import release_held
from storage.problems import problems_of, resolve
from storage.teams import all_teams, find_team, has_leads, leads_by_team, teams_in_channel

TEAM_USAGE = ("Team commands: `/okr team` lists the teams; `/okr team add NAME #channel`, "
              "`/okr team lead NAME @someone`, `/okr team unlead NAME @someone`, "
              "`/okr team schedule NAME checkin|digest DAY HH:MM`, `/okr team zone NAME Europe/London` and "
              "`/okr team channel NAME #channel` and `/okr team holidays NAME GB|US-CA|none` change them.")
CYCLE_USAGE = "Cycle commands: `/okr cycle` lists the cycles; `/okr cycle add NAME YYYY-MM-DD YYYY-MM-DD` adds one."
SCHEDULES = {"checkin": "checkin", "check-in": "checkin", "digest": "digest"}


def team_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """The answer to `/okr team [add|lead|unlead|schedule|zone …]`."""
    sub = args[0].lower() if args else "list"
    rest = list(args[1:])
    if sub == "list":
        return list_teams(session=session)
    if sub == "help":
        return Answer.say(TEAM_USAGE)
    handlers = {"add": _add, "lead": _lead, "unlead": _unlead, "schedule": _schedule, "zone": _zone,
                "channel": _channel,
                "holidays": _holidays}
    if sub in handlers:
        return Answer.say(handlers[sub](rest, caller, session=session, now=now, client=client))
    # `/okr team Growth`: one team's settings.
    team = find_team(team_name_of(args), session=session)
    if team is None:
        return Answer.say(no_such_team(team_name_of(args), session=session) + "\n" + TEAM_USAGE)
    return list_teams(session=session, only=team)


def list_teams(*, session: Session, only: Team | None = None) -> Answer:
    """Every team (or one) with its channel, leads, zone and schedules."""
    teams = [only] if only else all_teams(session=session)
    if not teams:
        return Answer.say("There are no teams yet. A workspace admin can create one with "
                          "`/okr team add NAME #channel`.")
    leads = leads_by_team([t.id for t in teams], session=session)
    problems = problems_of([t.channel for t in teams], session=session)
    return Answer.say(*views.teams_message(teams, leads, problems))


def _split_last(rest: list[str], count: int) -> tuple[str, list[str]] | None:
    """The team name (every word but the last `count`) and those last words, or None when there is no name."""
    if len(rest) <= count:
        return None
    return team_name_of(rest[:-count]), rest[-count:]


def _name_and_channel(rest: list[str], usage: str) -> tuple[str, str] | str:
    """A team name followed by a channel mention (`Growth #growth`): both, or the sentence to answer."""
    split = _split_last(rest, 1)
    if split is None:
        return usage
    name, (channel_arg,) = split
    channel = validation.mentioned_channel(channel_arg)
    if channel is not None:
        return name, channel
    if channel_arg.startswith("#"):
        return (f"I can't read `{code(channel_arg[:40])}` as a channel: pick it from Slack's # suggestions so it "
                "arrives as a link, or give its id, like C0123ABCD.")
    return usage


def _inserted(row, *, session: Session) -> bool:
    """Add and flush one row; False when a unique key says it exists already (nothing else was written yet)."""
    session.add(row)
    return flushed(session)


def _add(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    usage = "Say the team's name and its digest channel: `/okr team add Growth #growth`."
    named = _name_and_channel(rest, usage)
    if isinstance(named, str):
        return named
    name, channel = named
    try:
        name = validation.text(name, "the team's name", validation.TEAM_NAME_MAX)
    except Invalid as exc:
        return sentence(exc)
    if name.startswith(("<", "@", "#")):
        return "Start the team's name with a letter or digit, not a mention: `/okr team add Growth #growth`."
    if not is_workspace_admin(caller, session=session, client=client, now=now):
        return admin_refusal("create teams")
    existing = find_team(name, session=session)
    if existing is not None:
        return (f"There is already a team called *{escape(existing.name)}*; see it with "
                f"`/okr team {code(existing.name)}`.")
    day, at = validation.DEFAULT_CHECKIN
    digest_day, digest_at = validation.DEFAULT_DIGEST
    team = Team(name=name, channel=channel, timezone=validation.DEFAULT_TIMEZONE, checkin_day=day, checkin_time=at,
                digest_day=digest_day, digest_time=digest_at)
    if not _inserted(team, session=session):
        # Someone created it a moment ago.
        return f"There is already a team called *{escape(name)}*; see it with `/okr team {code(name)}`."
    return (f"Created team *{escape(name)}*, with its weekly digest in <#{channel}> "
            f"({schedule_text(team.digest_day, team.digest_time)} {zone_text(team.timezone)}) and check-ins "
            f"{schedule_text(team.checkin_day, team.checkin_time)} in each owner's own time zone. "
            f"Next: `/okr team lead {code(name)} @someone`, `/okr team zone {code(name)} Europe/London`, and invite "
            f"okrbot to <#{channel}>.")


def _lead_args(rest: list[str], verb: str) -> tuple[str, str] | str:
    usage = f"Say the team and mention the person: `/okr team {verb} Growth @someone`."
    split = _split_last(rest, 1)
    if split is None:
        return usage
    name, (who,) = split
    user = validation.mentioned_user(who)
    if user is None:
        return f"`{code(who[:40])}` is not a person. " + usage
    return name, user


def _lead_target(rest: list[str], verb: str, caller: str, *, session: Session, now: datetime,
                 client) -> tuple[Team, str] | str:
    """The team and person of `/okr team lead|unlead NAME @user`, or the sentence saying why not."""
    parsed = _lead_args(rest, verb)
    if isinstance(parsed, str):
        return parsed
    name, user = parsed
    team = named_team(name, session=session)
    if isinstance(team, str):
        return team
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "change who leads it")
    return team, user


def _lead(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    target = _lead_target(rest, "lead", caller, session=session, now=now, client=client)
    if isinstance(target, str):
        return target
    team, user = target
    if session.get(TeamLead, (team.id, user)) is not None:
        return f"<@{user}> already leads {escape(team.name)}."
    if not _inserted(TeamLead(team_id=team.id, user_id=user), session=session):
        return f"<@{user}> already leads {escape(team.name)}."
    return f"<@{user}> now leads *{escape(team.name)}*: they can write and edit its OKRs and change its settings."


def _unlead(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    target = _lead_target(rest, "unlead", caller, session=session, now=now, client=client)
    if isinstance(target, str):
        return target
    team, user = target
    lead = session.get(TeamLead, (team.id, user))
    if lead is None:
        return f"<@{user}> does not lead {escape(team.name)}, so there is nothing to remove."
    session.delete(lead)
    session.flush()
    tail = ("" if has_leads(team.id, session=session)
            else " It has no leads now, so only workspace admins can manage it.")
    return f"<@{user}> no longer leads *{escape(team.name)}*.{tail}"


def _schedule(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    usage = "Say the team, which schedule, the day and the time: `/okr team schedule Growth checkin friday 10:00`."
    split = _split_last(rest, 3)
    if split is None:
        return usage
    name, (kind_arg, day_arg, time_arg) = split
    kind = SCHEDULES.get(kind_arg.lower())
    if kind is None:
        return (f"`{code(kind_arg[:40])}` is not a schedule: say `checkin` or `digest`, like "
                "`/okr team schedule Growth digest monday 09:00`.")
    team = named_team(name, session=session)
    if isinstance(team, str):
        return team
    try:
        day = validation.day_of_week(day_arg)
        at = validation.time_of_day(time_arg)
    except Invalid as exc:
        return sentence(exc)
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "change its schedules")
    when = schedule_text(day, at)
    if kind == "checkin":
        team.checkin_day, team.checkin_time = day, at
        # The prompt job never starts a week within four days of the last prompt (bot.prompts.MIN_WEEK).
        text = (f"{escape(team.name)}'s check-in prompt now goes out {when}, in each owner's own time zone. Owners "
                "prompted in the last few days get their next prompt at the first new slot after that.")
    else:
        team.digest_day, team.digest_time = day, at
        text = f"{escape(team.name)}'s digest now goes out {when} {zone_text(team.timezone)}, in <#{team.channel}>."
    session.add(team)
    return text


def _zone(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    usage = "Say the team and an IANA time zone: `/okr team zone Growth Europe/London`."
    split = _split_last(rest, 1)
    if split is None:
        return usage
    name, (zone_arg,) = split
    team = named_team(name, session=session)
    if isinstance(team, str):
        return team
    try:
        zone = validation.time_zone(zone_arg)
    except Invalid as exc:
        return sentence(exc)
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "change its time zone")
    team.timezone = zone
    session.add(team)
    return (f"{escape(team.name)}'s time zone is now {zone_text(zone)}: its digest goes out "
            f"{schedule_text(team.digest_day, team.digest_time)} there, and owners whose own zone "
            "Slack doesn't know are prompted in it.")


def _channel(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    usage = "Say the team and its new digest channel: `/okr team channel Growth #growth`."
    named = _name_and_channel(rest, usage)
    if isinstance(named, str):
        return named
    name, channel = named
    team = named_team(name, session=session)
    if isinstance(team, str):
        return team
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "change its digest channel")
    old, team.channel = team.channel, channel
    session.add(team)
    session.flush()
    # This week's digest, if it was held for the old channel, is tried in the new one on the next tick.
    release_held(keys.digest_prefix(team.id), session=session)
    if not teams_in_channel(old, session=session):
        resolve([old], session=session)
    return (f"{escape(team.name)}'s digest now goes to <#{channel}>. Invite okrbot there if it isn't yet: "
            "`/invite @okrbot`.")


def _holidays(rest: list[str], caller: str, *, session: Session, now: datetime, client) -> str:
    usage = ("Say the team and a public-holiday calendar, a country code with an optional subdivision: "
             "`/okr team holidays Growth GB`, `/okr team holidays Growth US-CA`, or `none`.")
    split = _split_last(rest, 1)
    if split is None:
        return usage
    name, (code_arg,) = split
    team = named_team(name, session=session)
    if isinstance(team, str):
        return team
    calendar_code = None
    if code_arg.lower() not in validation.NO_CALENDAR:
        try:
            calendar_code = validation.holiday_calendar(code_arg)
        except Invalid as exc:
            return sentence(exc)
    if not can_manage(caller, team, session=session, client=client, now=now):
        return manage_refusal(team, "change its holidays")
    team.holidays = calendar_code
    session.add(team)
    if calendar_code is None:
        return f"{escape(team.name)} follows no public-holiday calendar now: only weekends are days off."
    return (f"{escape(team.name)} now follows the {code(calendar_code)} public holidays: a check-in prompt, "
            "reminder or digest due on one goes out on the next working day at the same time.")


# --------------------------------------------------------------------------- cycles


def no_cycle_text(today: date) -> str:
    """Why nothing can be written yet, and how to fix it: an example cycle for the current quarter."""
    quarter = (today.month - 1) // 3 + 1
    start = date(today.year, 3 * quarter - 2, 1)
    end = date(today.year, 3 * quarter, calendar.monthrange(today.year, 3 * quarter)[1])
    return (f"No OKR cycle covers today ({today.isoformat()}), and objectives belong to a cycle. A workspace admin "
            f"can add one: `/okr cycle add {today.year}-Q{quarter} {start.isoformat()} {end.isoformat()}`.")


def cycle_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """The answer to `/okr cycle [add NAME START END]`."""
    return Answer.say(_cycle_text(args, caller, session=session, now=now, client=client))


def _cycle_text(args: Sequence[str], caller: str, *, session: Session, now: datetime, client) -> str:
    sub = args[0].lower() if args else "list"
    today = now.date()
    if sub == "list":
        cycles = all_cycles(session=session)
        if not cycles:
            return no_cycle_text(today)
        return views.cycles_text(cycles, today)
    if sub != "add":
        return CYCLE_USAGE
    rest = list(args[1:])
    if len(rest) < 3:
        return "Say the cycle's name, first day and last day: `/okr cycle add 2027-Q1 2027-01-01 2027-03-31`."
    try:
        name = validation.text(" ".join(rest[:-2]), "the cycle's name", validation.CYCLE_NAME_MAX)
        start = validation.a_date(rest[-2], "the first day")
        end = validation.a_date(rest[-1], "the last day")
        validation.cycle_dates(start, end)
    except Invalid as exc:
        return sentence(exc)
    if not is_workspace_admin(caller, session=session, client=client, now=now):
        return admin_refusal("add cycles")
    if find_cycle(name, session=session) is not None:
        return f"There is already a cycle called *{escape(name)}*; `/okr cycle` lists them."
    if not _inserted(Cycle(name=name, start=start, end=end), session=session):
        return f"There is already a cycle called *{escape(name)}*; `/okr cycle` lists them."
    return (f"Added cycle *{escape(name)}*, {start.isoformat()} to {end.isoformat()}. Team leads can now write its "
            "objectives with `/okr new`.")
