"""Block Kit for participation: the line in /okr status and the digest, and the /okr participation answer."""

from __future__ import annotations

from collections.abc import Sequence

from bot.reports.participation import OwnerParticipation, TeamParticipation
from bot.rules.participation import GLYPHS, LATE, MISSED, ON_TIME
from bot.rules.text import plural
from bot.views.kit import (FALLBACK_CHARS, MESSAGE_BLOCKS, MESSAGE_TEXT_CHARS, SECTION_CHARS, SUMMARY_ROOM,
                           block_text, context, cut, escape, header, pack_lines, percent)

# Weeks shown in a person's row; a cycle longer than this shows its latest weeks.
ROW_WEEKS = 20
LEGEND = (f"{GLYPHS[ON_TIME]} on time · {GLYPHS[LATE]} late (after the reminder) · – away or skipped · "
          f"{GLYPHS[MISSED]} missed · {GLYPHS['missing']} not yet")


def rate_text(rate: float | None) -> str:
    """'86%', or 'no weeks yet' when nothing has been asked."""
    return "no weeks yet" if rate is None else percent(rate)


def this_week_text(p: TeamParticipation, *, limit: int = SECTION_CHARS - SUMMARY_ROOM) -> str:
    """'Check-ins this cycle: 86% · this week: <@A> on time, <@B> away (Slack status), …', within `limit`."""
    text = f"*Check-ins this cycle:* {rate_text(p.rate)} · *this week:* "
    parts = [f"<@{o.owner_id}> {o.this_week.label}" for o in p.owners if o.this_week is not None]
    if not parts:
        return text + "nobody has been asked yet"
    shown: list[str] = []
    for i, part in enumerate(parts):
        # Mentions are never cut in half: past the room the rest are counted instead.
        if len(text) + len(", ".join(shown + [part])) + 12 > limit:
            return text + ", ".join(shown) + f" and {len(parts) - i} more"
        shown.append(part)
    return text + ", ".join(shown)


def owner_line(owner: OwnerParticipation) -> str:
    """'<@A> ✓ ✓ – ◐ ✗ · 2 on time, 1 late, 1 away, 1 missed · 75%'."""
    weeks = owner.weeks[-ROW_WEEKS:]
    found = owner.counts
    tally = [f"{found[state]} {state}" for state in ("on time", "late", "away", "skipped", "missed") if found[state]]
    earlier = "… " if len(owner.weeks) > len(weeks) else ""
    glyphs = " ".join(GLYPHS[w.state] for w in weeks)
    return (f"<@{owner.owner_id}> `{earlier}{glyphs}` · {', '.join(tally) or 'no weeks ended yet'} · "
            f"{rate_text(owner.rate)}")


def week_line(p: TeamParticipation) -> str:
    """The team's rate per week, oldest first: 'Nov 6 100% · Nov 13 67% · …'."""
    parts = []
    for week in p.weeks[-ROW_WEEKS:]:
        month_day = week.day[5:].replace("-", "/")
        off = f" ({week.away} away or skipped)" if week.away else ""
        parts.append(f"{month_day} {rate_text(week.rate)}{off}")
    return " · ".join(parts)


def team_blocks(p: TeamParticipation, *, max_chars: int) -> list[dict]:
    """One team's heading, each person's row (packed within max_chars) and the team's rate per week."""
    out = [header(f"Check-ins · {p.team_name} · {p.cycle}"),
           context(f"This cycle: {rate_text(p.rate)} of the weeks asked were answered · {LEGEND}")]
    weeks = [context(cut("*Team, per week:* " + week_line(p), SECTION_CHARS))] if p.weeks else []
    lines = [owner_line(o) for o in p.owners] or ["Nobody has been asked to check in yet this cycle."]
    room = max_chars - block_text(out) - block_text(weeks) - SUMMARY_ROOM
    out += pack_lines(lines, max_sections=3, more=lambda n: f"…and {plural(n, 'more person', many='more people')}.",
                      max_chars=max(room, 200))
    return out + weeks


def participation_message(teams: Sequence[TeamParticipation]) -> tuple[str, list[dict]]:
    """The answer to /okr participation: per team, each person's weeks as a row with counts, and the team's rate
    per week; teams that do not fit in one message are counted."""
    body: list[dict] = []
    for number, p in enumerate(teams):
        room = MESSAGE_TEXT_CHARS - block_text(body) - SUMMARY_ROOM
        blocks = team_blocks(p, max_chars=room)
        if body and (len(body) + len(blocks) > MESSAGE_BLOCKS - 1 or block_text(blocks) > room):
            body.append(context(f"…and {plural(len(teams) - number, 'more team')}: type "
                                "`/okr participation TEAM` for one."))
            break
        body += blocks
    text = "; ".join(f"{escape(p.team_name)}: {rate_text(p.rate)} of check-ins this cycle" for p in teams)
    return cut(text, FALLBACK_CHARS) or "No check-ins yet.", body
