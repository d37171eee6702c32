"""Block Kit for the weekly digest: pure functions from a Digest to a channel message within Slack's limits."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.reports.digest import Digest
from bot.reports.status import KRStatus
from bot.rules.glossary import MOVER_MIN
from bot.rules.schedule import local_instant, parse_hhmm, zone
from bot.rules.scoring import CONFIDENCE_EMOJI
from bot.rules.text import plural
from bot.slack import ids
from bot.views.kit import (
    MESSAGE_BLOCKS,
    SECTION_CHARS,
    SUMMARY_ROOM,
    button,
    context,
    escape,
    fair_caps,
    header,
    pack_lines,
    schedule_text,
    section,
    split_blocks,
    value_text,
    zone_text,
)
from bot.views.participation import this_week_text
from bot.views.sparkline import trend_spark
from bot.views.status import counts, failed_label, objective_sections, origin_label, pace_label

# KR lines shown in full across the digest; past this, objectives summarise the rest ("…and 4 more KRs: …").
DIGEST_KR_LINES = 40
# Confidence changes listed before the rest are counted.
CHANGES_SHOWN = 10


def kr_line(kr: KRStatus, *, now: datetime | None = None) -> str:
    """A KR in one line: value vs target (with the data's origin and age as of `now`), confidence, score, pace and
    owner."""
    target = value_text(kr.target, kr.unit)
    if kr.value is None:
        value = f"no check-in yet (target {target})"
    else:
        value = f"{value_text(kr.value, kr.unit)} of {target}"
        if kr.value_origin is not None:
            value += f" ({origin_label(kr, now=now)})"
    confidence = CONFIDENCE_EMOJI.get(kr.confidence or "", "")
    score = f"score {kr.score:.2f} {trend_spark(kr)}".rstrip()
    parts = [value, failed_label(kr), confidence, score, pace_label(kr), f"<@{kr.owner_id}>"]
    return f"• *{escape(kr.title)}* · " + " · ".join(p for p in parts if p)


def changes_lines(digest: Digest) -> list[str]:
    """Confidence moves and the biggest score movers of the last seven days."""
    lines = ["*What changed since last week*"]
    moves = [f"{CONFIDENCE_EMOJI[m.before]} → {CONFIDENCE_EMOJI[m.after]} *{escape(m.kr.title)}* · <@{m.kr.owner_id}>"
             for m in digest.moves]
    if len(moves) > CHANGES_SHOWN:
        moves = [*moves[:CHANGES_SHOWN], f"…and {plural(len(moves) - CHANGES_SHOWN, 'more confidence change')}."]
    movers = [f"{'+' if m.change > 0 else ''}{m.change:.2f} *{escape(m.kr.title)}* "
              f"({m.before:.2f} → {m.after:.2f})" for m in digest.movers]
    if not moves and not movers:
        lines.append(f"_No confidence changes, and no score moved by {MOVER_MIN:.2f} or more._")
    lines += moves
    if movers:
        lines += [f"_Biggest movers (score moved by {MOVER_MIN:.2f} or more in 7 days):_", *movers]
    return lines


def checkins_text(digest: Digest) -> str:
    """Who has not checked in this week, by mention, or that everyone has."""
    if not digest.not_checked_in:
        return ":white_check_mark: Everyone prompted has checked in this week."
    mentions = [f"<@{u}>" for u in digest.not_checked_in]
    text = "*Not checked in this week:* "
    shown = []
    for i, mention in enumerate(mentions):
        # Mentions are never cut in half: past the section's room the rest are counted instead.
        if len(text) + len(", ".join(shown + [mention])) > SECTION_CHARS - SUMMARY_ROOM:
            return text + ", ".join(shown) + f" and {len(mentions) - i} more"
        shown.append(mention)
    return text + ", ".join(shown)


def missed_lines(digest: Digest) -> list[str]:
    """KRs at three or more missed weeks in a row."""
    return [f"• *{escape(m.kr.title)}* · <@{m.kr.owner_id}> · {m.weeks} weeks missed" for m in digest.missed]


def digest_blocks(digest: Digest, *, preview: bool = False) -> list[dict]:
    """The digest message: every objective and KR (summarised past a budget), what changed, and who is behind."""
    team = digest.team
    out: list[dict] = [
        header(f"Weekly OKR digest · {team.name}"),
        context(f"Week of {digest.week_of:%A %b} {digest.week_of.day} · {plural(len(team.objectives), 'objective')}"
                f" · {counts(team.krs)}"),
    ]
    if preview:
        when = f"{schedule_text(digest.digest_day, digest.digest_time, every=True)} ({zone_text(digest.timezone)})"
        out.append(context(f"Preview: only you can see this. The digest is posted to <#{team.channel}> on {when}."))
    # After the objectives come a divider, the changes, the check-ins, the missed weeks and the button.
    room = MESSAGE_BLOCKS - len(out) - 6
    caps = iter(fair_caps([len(obj.krs) for obj in team.objectives], DIGEST_KR_LINES))
    # Ages as of the digest's own slot, not the instant it is built: every part of a long digest, and a retry of
    # one, says the same.
    at = local_instant(digest.week_of, parse_hhmm(digest.digest_time), zone(digest.timezone) or ZoneInfo("UTC"))
    out += objective_sections(team.objectives, caps, lambda kr: kr_line(kr, now=at), room=room)
    out.append({"type": "divider"})
    out += pack_lines(changes_lines(digest), max_sections=1, more=lambda n: f"…and {plural(n, 'more change')}.")
    out.append(section(checkins_text(digest)))
    if digest.participation is not None:
        out.append(section(this_week_text(digest.participation)))
    missed = missed_lines(digest)
    if missed:
        out += pack_lines(["*Three or more missed weeks in a row:*", *missed], max_sections=1,
                          more=lambda n: f"…and {plural(n, 'more key result')}.")
    out.append({"type": "actions", "elements": [
        button(ids.OPEN_STATUS, "Open full status", ids.team_value(team.id))]})
    return out


def digest_messages(digest: Digest, *, preview: bool = False) -> list[tuple[str, list[dict]]]:
    """The digest as one or more messages, in order (fallback text and blocks each), every one within Slack's 50
    blocks and text budget: a long digest is split between blocks, never refused and never cut."""
    team = digest.team
    text = (f"Weekly OKR digest for {escape(team.name)}: {plural(len(team.objectives), 'objective')}, "
            f"{counts(team.krs)}; {len(digest.not_checked_in)} not checked in this week.")
    parts = split_blocks(digest_blocks(digest, preview=preview), max_blocks=MESSAGE_BLOCKS)
    if len(parts) == 1:
        return [(text, parts[0])]
    out = []
    for number, blocks in enumerate(parts, start=1):
        where = f"part {number} of {len(parts)}"
        if number > 1:
            blocks = [context(f"Weekly OKR digest · {escape(team.name)} · {where}"), *blocks]
        out.append((text if number == 1 else f"Weekly OKR digest for {escape(team.name)}, {where}.", blocks))
    return out


def digest_message(digest: Digest, *, preview: bool = False) -> tuple[str, list[dict]]:
    """The digest as one message (its first part, when it is long enough to be split)."""
    return digest_messages(digest, preview=preview)[0]
