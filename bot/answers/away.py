"""/okr away [@someone] [until DATE] and /okr back [@someone]: weeks away are skipped, unprompted, never missed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.answers.answer import Answer
from bot.answers.permissions import can_manage
from bot.rules import validation
from bot.rules.away import BY_COMMAND
from bot.rules.schedule import WEEK, days_around, owner_zone
from bot.rules.text import sentence
from bot.rules.validation import Invalid
from bot.views.kit import code
from storage.absences import end_before, set_away
from storage.okrs import ActiveKR, live_key_results
from storage.people import find_person
from storage.prompts import clear_skip, mark_away, open_prompts_of

# Further ahead than this is a typo more often than a plan.
LONGEST_AWAY = timedelta(days=366)
AWAY_USAGE = ("Say how long: `/okr away` (until `/okr back`), `/okr away until 2026-12-08`, or for someone in a "
              "team you lead, `/okr away @someone until 2026-12-08`.")


def away_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """Mark the caller (or, for a lead, someone in their team) away from today until a date or until /okr back."""
    words = list(args)
    first = words[0] if words else ""
    target = _target(words, caller)
    if target is None:
        return Answer.say(f"`{code(first[:40])}` is not a person. " + AWAY_USAGE)
    if words and words[0].lower() == "until":
        words = words[1:]
    if len(words) > 1:
        return Answer.say(AWAY_USAGE)
    owned, refusal = _owned(target, caller, session=session, now=now, client=client)
    if refusal:
        return Answer.say(refusal)
    today = _today(target, owned, session=session, now=now)
    until = None
    if words:
        try:
            until = validation.a_date(words[0], "the last day away,")
        except Invalid as exc:
            return Answer.say(sentence(exc))
        if until < today:
            return Answer.say(f"{until.isoformat()} has passed: say the last day you are away, today or later.")
        if until - today > LONGEST_AWAY:
            return Answer.say(f"{until.isoformat()} is more than a year away: say a nearer last day, or "
                              "`/okr away` and `/okr back` when you return.")
    set_away(target, today, until, set_by=caller, session=session, now=now)
    # The week already prompted is skipped too: no reminder, and it does not count as missed.
    for prompt in open_prompts_of(target, session=session, now=now, since=now - WEEK):
        mark_away(prompt.id, BY_COMMAND, session=session, now=now)
    who = "You are" if target == caller else f"<@{target}> is"
    span = f"until {_day(until)}" if until else "until `/okr back`"
    return Answer.say(f"{who} away from today {span}: no check-in prompts or reminders, and those weeks don't count "
                      "as missed. Checking in still works (`/okr checkin`).")


def back_command(args: Sequence[str], caller: str, *, session: Session, now: datetime, client=None) -> Answer:
    """End the caller's (or a team member's) time away today; this week's prompt comes after all."""
    words = list(args)
    target = _target(words, caller)
    if target is None or words:
        return Answer.say("Say `/okr back`, or for someone in a team you lead, `/okr back @someone`.")
    owned, refusal = _owned(target, caller, session=session, now=now, client=client)
    if refusal:
        return Answer.say(refusal)
    today = _today(target, owned, session=session, now=now)
    ended = end_before(target, today, session=session)
    unskipped = 0
    for prompt in open_prompts_of(target, session=session, now=now, since=now - WEEK):
        if prompt.away is not None:
            clear_skip(prompt.id, session=session)
            unskipped += 1
    if not ended and not unskipped:
        who = "you" if target == caller else f"<@{target}>"
        return Answer.say(f"Nothing to do: okrbot had not marked {who} away.")
    tail = " This week's check-in prompt is on its way." if unskipped else ""
    who = "Welcome back" if target == caller else f"<@{target}> is back"
    return Answer.say(f"{who}: the weekly check-in prompts resume.{tail}")


def _target(words: list[str], caller: str) -> str | None:
    """The person the command is about (removed from `words`): a mention first, else the caller; None if the first
    word looks like a mention but is none."""
    if words and words[0].startswith(("<", "@")):
        return validation.mentioned_user(words.pop(0))
    return caller


def _owned(target: str, caller: str, *, session: Session, now: datetime,
           client) -> tuple[list[ActiveKR], str | None]:
    first_day, last_day = days_around(now=now)
    owned = live_key_results(session=session, first_day=first_day, last_day=last_day, owner_id=target)
    if target == caller:
        return owned, None
    teams = {row.team.id: row.team for row in owned}
    if not any(can_manage(caller, team, session=session, client=client, now=now) for team in teams.values()):
        return owned, (f"You can only mark someone away in a team you lead, and <@{target}> owns no key results "
                       "in one this cycle.")
    return owned, None


def _today(user_id: str, owned: list[ActiveKR], *, session: Session, now: datetime) -> date:
    """The date on the person's wall clock (their Slack zone, else their team's)."""
    person = find_person(user_id, session=session)
    return now.astimezone(owner_zone(person.tz if person else None, owned[0].team.timezone if owned else None)).date()


def _day(day: date) -> str:
    return f"{day:%A} {day.isoformat()} (included)"
