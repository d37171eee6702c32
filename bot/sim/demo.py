"""`okrbot demo`: a simulated quarter in a throwaway workspace, printed as each person and channel would see it.

The real app runs over HTTP on loopback against the in-process fake Slack, on a temporary SQLite database. People
answer their prompts through the same signed requests Slack would send (button click, modal submission); some
answer late, one goes on leave, one sets an away Slack status for a week, one never answers. The team follows the
UK's public holidays, so Christmas week's prompt and digest move. Every time in the story is fixed (STORY), so the
output is the same on every run.
"""

from __future__ import annotations

import json
import logging
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Protocol, TextIO

from sqlmodel import select

from bot.jobs.tick import run_tick
from bot.okr_files.importer import import_file
from bot.rules.holidays import holiday_name, moved_day
from bot.rules.schedule import local_instant, parse_hhmm, zone
from bot.rules.values import format_value
from bot.settings import Settings
from bot.sim.demo_end import add_next_cycle, play_end_of_quarter
from bot.sim.demo_summary import Tally, summary, write_chart
from bot.sim.fake_slack import FakeSlack
from bot.sim.signed import Clock, Settling, SignedSlack
from bot.slack import ids
from bot.slack.client import make_client
from storage.db import make_engine, session_scope, upgrade
from storage.models import Cycle, KeyResult, Team

OKR_FILE = Path(__file__).with_name("demo_okrs.yaml")


@dataclass(frozen=True)
class Person:
    user_id: str
    name: str
    tz: str


PEOPLE = [
    Person("U0LENA", "Lena", "Europe/London"),  # the team's lead, and a workspace admin
    Person("U0ALICE", "Alice", "America/New_York"),
    Person("U0BOB", "Bob", "Europe/Berlin"),
    Person("U0CHEN", "Chen", "Asia/Singapore"),
    Person("U0DEV", "Dev", "America/Los_Angeles"),
]
NAMES = {p.user_id: p.name for p in PEOPLE}
ZONES = {p.user_id: p.tz for p in PEOPLE}
EMOJI = {":large_green_circle:": "🟢", ":large_orange_circle:": "🟠", ":red_circle:": "🔴", ":wave:": "👋",
         ":white_check_mark:": "✅", ":warning:": "⚠️", ":rotating_light:": "🚨", ":chart_with_upwards_trend:": "📈",
         ":chart_with_downwards_trend:": "📉", ":calendar:": "📅", ":palm_tree:": "🌴", ":bell:": "🔔",
         ":alarm_clock:": "⏰", ":seedling:": "🌱",
         ":checkered_flag:": "🏁", ":hourglass:": "⏳", ":x:": "❌", ":bulb:": "💡"}
CHANNELS = {"C0GROWTH": "growth"}

DOTS = {"green": "🟢", "amber": "🟠", "red": "🔴"}


@dataclass(frozen=True)
class Story:
    """The fixed times of the demo's story, counted from the cycle's first day, so every run prints the same."""

    # Chen sets an away Slack status on this day of the cycle (a Thursday), for this many days.
    away_user: str = "U0CHEN"
    away_from_day: int = 49
    away_days: int = 4
    away_text: str = "On holiday"
    away_emoji: str = ":palm_tree:"


STORY = Story()


@dataclass(frozen=True)
class Scripted:
    """One KR's line in a check-in."""

    value: float
    confidence: str
    note: str = ""


def _progress(kr: KeyResult, fraction: float) -> float:
    return round(kr.baseline + (kr.target - kr.baseline) * fraction, 1)


# Notes that belong to one KR, by the KR's id in the OKR file (its `key`), so each lands under its own KR.
ALICE_WEEK_7 = {
    "d7-activation": "Dipped after the pricing change. Decision: A/B test the new tour from Monday.",
    "disputes": "The new invoice layout confused customers. Decision: roll it back on Tuesday.",
}


def script(user_id: str, week: int, kr: KeyResult) -> Scripted | str | None:
    """What each person does in a given week: a Scripted check-in, "skip", or None for silence."""
    if user_id == "U0ALICE":
        if week == 6:
            return Scripted(_progress(kr, 0.04 * week), "amber", ALICE_WEEK_7.get(kr.key, ""))
        return Scripted(_progress(kr, min(1.0, 0.085 * (week + 1))), "green")
    if user_id == "U0BOB":
        if week == 5:
            return Scripted(_progress(kr, 0.2), "red",
                          "The event pipeline broke and we are flying blind. Help: a data engineer for two weeks.")
        if week == 6:
            return Scripted(_progress(kr, 0.3), "amber", "Pipeline fixed, backfilling. Decision: re-measure Friday.")
        return Scripted(_progress(kr, min(1.0, 0.07 * (week + 1))), "green")
    if user_id == "U0CHEN":
        if week == 3:
            return "skip"  # on leave
        if week in (6, 9):
            return None  # forgot; never three in a row
        return Scripted(_progress(kr, min(1.0, 0.06 * (week + 1))), "green")
    return None  # Dev never answers


class Printer:
    """Turns the fake Slack's log of calls into readable text, week by week."""

    def __init__(self, fake: FakeSlack, out: TextIO, start: date, calendars: tuple[str, ...] = ()):
        self.fake = fake
        self.out = out
        self.start = start
        self.calendars = calendars
        self.seen = 0
        self.week = -1

    def heading(self, at: datetime) -> None:
        week = (at.date() - self.start).days // 7
        if week != self.week:
            self.week = week
            first = self.start + timedelta(weeks=week)
            self.out.write(f"\n{'━' * 78}\n  Week {week + 1}: {first:%a %-d %b} – "
                           f"{first + timedelta(days=6):%a %-d %b %Y}\n{'━' * 78}\n")
            days = [first + timedelta(days=n) for n in range(7)]
            named = [f"{holiday_name(d, self.calendars)} ({d:%a %-d %b})" for d in days
                     if holiday_name(d, self.calendars)]
            if named:
                self.out.write(f"  📅 Public holidays in Growth's calendar ({', '.join(self.calendars)}): "
                               f"{', '.join(named)}. Prompts and digests due then go out on the next working day.\n")

    def line(self, at: datetime, text: str) -> None:
        self.heading(at)
        self.out.write(text + "\n")

    def flush(self, at: datetime) -> None:
        """Print every message Slack accepted since the last flush."""
        calls = self.fake.calls
        for call in calls[self.seen:]:
            if call.status != 200 or call.error or call.method not in ("chat.postMessage", "chat.update",
                                                                       "chat.postEphemeral"):
                continue
            self.line(at, self._describe(call, at))
        self.seen = len(calls)

    def pretty(self, blocks_or_text) -> str:
        """Blocks or mrkdwn as the demo prints them: rendered, with emoji codes as emoji."""
        body = self.fake.render(blocks_or_text)
        for code, char in EMOJI.items():
            body = body.replace(code, char)
        return body

    def _describe(self, call, at: datetime) -> str:
        params = call.params
        channel = params.get("channel", "")
        user = params.get("user") if call.method == "chat.postEphemeral" else None
        owner = channel if channel.startswith(("U", "W")) else ("U" + channel[2:] if channel.startswith("DU")
                                                                 else None)
        if user or owner in NAMES:
            who = user or owner
            local = at.astimezone(zone(ZONES[who]))
            where = f"DM to {NAMES[who]} ({local:%a %H:%M} {local.tzname()})"
        else:
            where = f"#{CHANNELS.get(channel, channel)} (channel)"
        verb = {"chat.update": "updated", "chat.postEphemeral": "only visible to you"}.get(call.method)
        body = self.pretty(params.get("blocks") or params.get("text") or "")
        indented = "\n".join("    " + line for line in body.strip().splitlines())
        return f"\n  → {where}{f' [{verb}]' if verb else ''}\n{indented}"


def _instants(engine, start: date, end: date) -> list[datetime]:
    """The instants where something can fall due: check-in slots, working mornings and digest slots.

    Every job asks the database what is due and not done, so ticking at these instants does exactly what a
    scheduler ticking every minute would do, in a fraction of the time.
    """
    with session_scope(engine) as session:
        teams = session.exec(select(Team)).all()
    instants: set[datetime] = set()
    day = start
    while day <= end:
        for person in PEOPLE:
            tz = zone(person.tz)
            if day.weekday() < 5:
                instants.add(local_instant(day, time(9, 0), tz))
            for team in teams:
                if day.weekday() == team.checkin_day and moved_day(day, [team.holidays]) is not None:
                    instants.add(local_instant(moved_day(day, [team.holidays]), parse_hhmm(team.checkin_time), tz))
        for team in teams:
            if day.weekday() == team.digest_day and moved_day(day, [team.holidays]) is not None:
                instants.add(local_instant(moved_day(day, [team.holidays]), parse_hhmm(team.digest_time),
                                           zone(team.timezone)))
        day += timedelta(days=1)
    return sorted(instants)


class Served(Protocol):
    """The app served on loopback (app.HttpApp)."""

    url: str
    stop: Callable[[], None]
    wait_idle: Callable[..., bool]


StartApp = Callable[..., Served]


def run_demo(start_app: StartApp, *, out: TextIO, weeks: int | None = None) -> int:
    """Simulate a quarter (or `weeks` of it) and print what everyone sees; returns the exit code."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.CRITICAL)  # the demo's failures are scripted; keep the story readable
    try:
        return _run_demo(start_app, out=out, weeks=weeks)
    finally:
        root.setLevel(level)  # run in a process that goes on (a test), the logs are its own again


def _run_demo(start_app: StartApp, *, out: TextIO, weeks: int | None) -> int:
    secret = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        for person in PEOPLE:
            fake.add_user(person.user_id, tz=person.tz, name=person.name.lower(), real_name=person.name,
                          is_admin=person.user_id == "U0LENA")
        for channel_id, name in CHANNELS.items():
            fake.add_channel(channel_id, name=name)
        database_url = f"sqlite:///{Path(tmp) / 'demo.db'}"
        engine = make_engine(database_url)
        upgrade(engine)
        with session_scope(engine) as session:
            import_file(OKR_FILE, session=session)
            cycle = session.exec(select(Cycle)).one()
            krs = {kr.id: kr for kr in session.exec(select(KeyResult))}
            calendars = tuple(sorted({t.holidays for t in session.exec(select(Team)) if t.holidays}))
        settings = Settings(bot_token="xoxb-demo", signing_secret=secret, api_url=fake.url,
                            database_url=database_url, scheduler=False)
        clock = Clock(datetime.combine(cycle.start, time(0), tzinfo=UTC))
        served = start_app(settings, engine, clock=clock)
        try:
            _simulate(fake, engine, clock, Settling(SignedSlack(served.url, secret, fake=fake), served.wait_idle),
                      krs, cycle, out, weeks, calendars)
        finally:
            served.stop()
            engine.dispose()
    return 0


def _simulate(fake, engine, clock, slack, krs, cycle, out, weeks, calendars, story: Story = STORY) -> None:
    client = make_client("xoxb-demo", fake.url, backoff=0.0, jitter=0.0)
    end = cycle.end if weeks is None else min(cycle.end, cycle.start + timedelta(weeks=weeks) - timedelta(days=1))
    out.write(f"okrbot demo: the {cycle.name} quarter of team Growth, simulated week by week.\n"
              f"People: {', '.join(f'{p.name} ({p.tz})' for p in PEOPLE)}; Lena leads the team.\n"
              "Alice and Bob always answer, Chen goes on leave once and is away on holiday once, Dev never answers.\n")
    printer = Printer(fake, out, cycle.start, calendars)
    answered: set[str] = set()
    tally = Tally()
    next_cycle_at = datetime.combine(cycle.end - timedelta(days=14), time(11, 0), tzinfo=UTC)
    away_at = datetime.combine(cycle.start + timedelta(days=story.away_from_day), time(6), tzinfo=UTC)
    for at in _instants(engine, cycle.start, end):
        if weeks is None and next_cycle_at is not None and at >= next_cycle_at:
            clock.set(next_cycle_at)
            add_next_cycle(slack, fake, printer, at=next_cycle_at)
            next_cycle_at = None
        if away_at is not None and at >= away_at:
            _set_away_status(slack, fake, story, away_at, printer)
            away_at = None
        clock.set(at)
        run_tick(now=at, engine=engine, client=client)
        printer.flush(at)
        for message in fake.messages():
            prompt = _prompt_id(message)
            owner = _owner_of(message)
            if prompt is None or owner is None or f"{owner}:{prompt}" in answered:
                continue
            answered.add(f"{owner}:{prompt}")
            # People answer an hour or two after the prompt arrives.
            later = at + timedelta(hours=1 + len(owner) % 2)
            clock.set(later)
            _answer(slack, fake, owner, prompt, krs, cycle, later, printer, tally)
            printer.flush(later)
    played = (end - cycle.start).days // 7 + 1
    title = "End of the quarter" if end == cycle.end else f"End of week {played}"
    out.write(f"\n{'━' * 78}\n{title}\n")
    out.write(summary(engine, fake, tally, now=clock()) + "\n")
    out.write(f"Chart of the quarter so far (each KR's score by week against the expected pace, as "
              f"`/okr status Growth chart` posts it): {write_chart(engine, now=clock())}\n")
    # Participation, as Lena asks for it at the last instant of the story.
    participation = slack.command("U0LENA", "participation Growth").json()
    body = fake.render({"blocks": participation.get("blocks") or [], "text": participation.get("text", "")})
    out.write("\n  Lena types /okr participation Growth:\n" + "\n".join("    " + line for line in body.splitlines())
              + "\n")
    if weeks is None:
        play_end_of_quarter(fake, engine, clock, slack, client, cycle, krs, printer, out)


def _set_away_status(slack: SignedSlack, fake: FakeSlack, story: Story, at: datetime, printer: Printer) -> None:
    """The away user sets an away Slack status, and Slack tells okrbot with a user_change event."""
    until = at + timedelta(days=story.away_days)
    expiration = int(until.timestamp())
    fake.set_user_status(story.away_user, story.away_text, story.away_emoji, expiration)
    profile = {"status_text": story.away_text, "status_emoji": story.away_emoji, "status_expiration": expiration}
    slack.event({"type": "user_change", "user": {"id": story.away_user, "tz": ZONES[story.away_user],
                                                 "profile": profile}})
    emoji = EMOJI.get(story.away_emoji, story.away_emoji)
    printer.line(at, f"\n  ← {NAMES[story.away_user]} sets a Slack status {emoji} “{story.away_text}” until "
                     f"{until:%a %-d %b}: okrbot will not prompt or count that week")


def _prompt_id(message: dict) -> str | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == ids.OPEN_CHECKIN:
                return element.get("value")
    return None


def _owner_of(message: dict) -> str | None:
    channel = message.get("channel", "")
    for person in PEOPLE:
        if channel in (person.user_id, "D" + person.user_id):
            return person.user_id
    return None


def _answer(slack: Settling, fake: FakeSlack, owner: str, prompt: str, krs: dict, cycle, at: datetime,
            printer: Printer, tally: Tally) -> None:
    week = (at.date() - cycle.start).days // 7
    mine = [kr for kr in krs.values() if kr.owner_id == owner]
    plans = {kr.id: script(owner, week, kr) for kr in mine}
    name = NAMES[owner]
    if all(plan is None for plan in plans.values()):
        return
    if any(plan == "skip" for plan in plans.values()):
        printer.line(at, f"\n  ← {name} clicks “Skip this week” (on leave)")
        slack.click(owner, ids.SKIP_WEEK, prompt)
        tally.skips += 1
        return
    slack.click(owner, ids.OPEN_CHECKIN, prompt)
    view = fake.calls_to("views.open")[-1].params["view"]
    answers = {kr_id: (str(plan.value), plan.confidence, plan.note) for kr_id, plan in plans.items()
               if isinstance(plan, Scripted)}
    response = slack.submit(owner, view, answers, view_id=f"VDEMO{tally.checkins + 1}")
    lines = []
    for kr_id, plan in plans.items():
        if isinstance(plan, Scripted):
            kr = krs[kr_id]
            note = f" — “{plan.note}”" if plan.note else ""
            lines.append(f"      {kr.title}: {format_value(plan.value, kr.unit)} {DOTS[plan.confidence]}{note}")
    verdict = json.loads(response.body or "{}").get("response_action", "?")
    outcome = "saved" if verdict == "update" else verdict
    printer.line(at, f"\n  ← {name} checks in ({outcome}):\n" + "\n".join(lines))
    tally.checkins += 1
