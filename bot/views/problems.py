"""What okrbot tells a team's leads (or an admin) when only a person can fix what stops its messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.views.kit import FALLBACK_CHARS, MESSAGE_BLOCKS, MESSAGE_TEXT_CHARS, block_text, cut, escape, pack_lines, section
from bot.rules.schedule import zone
from storage.models import Problem
from storage.okrs import ActiveKR

# Per channel error: what is wrong (after "I can't post ... to #channel: ") and what to do about it.
CHANNEL_FIXES = {
    "not_in_channel": ("I'm not in that channel.", "Type `/invite @okrbot` there."),
    "channel_not_found": ("I can't find that channel: it was deleted, or it is private and I'm not in it.",
                          "If it is private, type `/invite @okrbot` there; otherwise move the digest with "
                          "`/okr team channel {team} #channel`."),
    "is_archived": ("that channel is archived.",
                    "Unarchive it, or move the digest with `/okr team channel {team} #channel`."),
}
DEFAULT_CHANNEL_FIX = ("Slack doesn't let me post there ({error}).",
                       "Check the channel's posting settings, or move the digest with "
                       "`/okr team channel {team} #channel`.")
RETRY = "I'll try again every hour, and at once when that is fixed, so nothing is lost this week."


def channel_problem_message(channel: str, error: str, team_names: Sequence[str]) -> tuple[str, list[dict]]:
    """A lead's one DM about a digest channel okrbot cannot post to, e.g. "I can't post Growth's digest to #growth:
    I'm not in that channel. Type `/invite @okrbot` there."."""
    what, fix = CHANNEL_FIXES.get(error, DEFAULT_CHANNEL_FIX)
    names = [escape(n) for n in team_names] or ["your team"]
    what = what.format(error=escape(error))
    fix = fix.format(team=names[0] if team_names else "TEAM")
    whose = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    line = f"I can't post {whose}'s digest to <#{channel}>: {what} {fix}"
    text = cut(line, FALLBACK_CHARS)
    return text, [section(cut(line, 2900)), section(RETRY)]


def person_problem_message(user_id: str, error: str, rows: Sequence[ActiveKR]) -> tuple[str, list[dict]]:
    """A lead's one DM naming an owner whose Slack account is deactivated, with the KRs that need a new owner."""
    why = "is deactivated" if error != "cannot_dm_bot" else "is a bot"
    head = (f"<@{user_id}>'s Slack account {why}, so I can't ask them to check in any more and I leave them out "
            "of the weekly prompts and the \"not checked in\" lists.")
    lines = [f"• {escape(r.kr.title)} ({escape(r.team.name)})" for r in rows]
    fix = "Give these key results a new owner with `/okr edit`." if rows else "They own no live key results."
    blocks = [section(head)]
    # Room for the closing line, in blocks and in the message's text budget.
    blocks += pack_lines(lines, max_sections=MESSAGE_BLOCKS - 2, more=lambda n: f"…and {n} more.",
                         max_chars=MESSAGE_TEXT_CHARS - block_text(blocks) - 200)
    blocks.append(section(fix))
    return cut(f"<@{user_id}>'s Slack account {why}. {fix}", FALLBACK_CHARS), blocks


CHANNEL_STATES = {
    "not_in_channel": "okrbot is not in <#{channel}> since {since}: type `/invite @okrbot` there",
    "is_archived": "<#{channel}> is archived since {since}: okrbot cannot post the digest there",
    "channel_not_found": "okrbot cannot find <#{channel}> since {since} (deleted, or private without okrbot)",
}


def channel_state(problem: Problem, channel: str, timezone: str) -> str:
    """Why okrbot cannot post to a team's channel, and since when in the team's zone, e.g. "okrbot is not in
    #growth since Mon 30 Nov 09:05: type `/invite @okrbot` there"."""
    since = when(problem.first_seen_at, timezone)
    template = CHANNEL_STATES.get(problem.error, "okrbot cannot post to <#{channel}> since {since} ({error})")
    return ":warning: " + template.format(channel=channel, since=since, error=escape(problem.error))


def when(instant: datetime, timezone: str) -> str:
    """"Mon 30 Nov 09:05" in that zone."""
    return instant.astimezone(zone(timezone) or zone("UTC")).strftime("%a %d %b %H:%M")
