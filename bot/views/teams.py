"""Block Kit and text for /okr team and /okr cycle: pure functions of teams and cycles."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from bot.rules.text import plural
from bot.views.kit import (FALLBACK_CHARS, MESSAGE_BLOCKS, MESSAGE_TEXT_CHARS, SUMMARY_ROOM, block_text, context, cut,
                           escape, pack_lines, schedule_text, section, zone_text)
from bot.views.problems import channel_state
from storage.models import Cycle, Problem, Team


def team_settings_line(team: Team, leads: Sequence[str], problem: Problem | None = None) -> str:
    """A team's settings in one line: channel, leads, zone, check-in and digest schedules, and why okrbot cannot
    post to the channel when it cannot."""
    who = ("leads " + ", ".join(f"<@{u}>" for u in leads)) if leads else "no leads (workspace admins manage it)"
    days_off = f"holidays {escape(team.holidays)}" if team.holidays else "no holiday calendar"
    line = (f"• *{escape(team.name)}* · <#{team.channel}> · {who} · {zone_text(team.timezone)} · {days_off} · "
            f"check-in {schedule_text(team.checkin_day, team.checkin_time)} (each owner's own time) · "
            f"digest {schedule_text(team.digest_day, team.digest_time)}")
    return line if problem is None else f"{line}\n    {channel_state(problem, team.channel, team.timezone)}"


def teams_message(teams: Sequence[Team], leads: dict[int, list[str]],
                  problems: Mapping[str, Problem] | None = None) -> tuple[str, list[dict]]:
    """Every team a line, within a message's 50 blocks; `problems` are the open problems by channel."""
    problems = problems or {}
    lines = [team_settings_line(team, leads.get(team.id, []), problems.get(team.channel)) for team in teams]
    body = [section(f"*{plural(len(teams), 'team')}*")]
    # The closing context line is counted in the text budget too.
    body += pack_lines(lines, max_sections=MESSAGE_BLOCKS - 2, more=lambda n: f"…and {plural(n, 'more team')}.",
                       max_chars=MESSAGE_TEXT_CHARS - block_text(body) - SUMMARY_ROOM)
    body.append(context("Change one with `/okr team lead|unlead|schedule|zone|holidays NAME …`; `/okr team help` shows how."))
    text = "; ".join(f"{escape(t.name)} (<#{t.channel}>)" for t in teams)
    return cut(text, FALLBACK_CHARS), body


def cycle_line(cycle: Cycle, today: date) -> str:
    """'• *2026-Q4* · 2026-10-01 to 2026-12-31 (running)'."""
    if cycle.start <= today <= cycle.end:
        state = " (running)"
    elif cycle.start > today:
        state = " (upcoming)"
    else:
        state = " (ended)"
    return f"• *{escape(cycle.name)}* · {cycle.start.isoformat()} to {cycle.end.isoformat()}{state}"


def cycles_text(cycles: Sequence[Cycle], today: date, limit: int = 3000) -> str:
    """The cycles, a line each, newest last, within one message text."""
    lines = [cycle_line(c, today) for c in cycles]
    text = "\n".join(lines)
    while len(text) > limit and len(lines) > 1:
        # The oldest cycles matter least; drop them first.
        lines = lines[1:]
        text = "…\n" + "\n".join(lines)
    return text[:limit]
