"""Block Kit for /okr status: pure functions from TeamStatus to messages and modals within Slack's limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime

from bot.reports.status import KRStatus, ObjectiveStatus, TeamStatus
from bot.rules.glossary import pace_phrase
from bot.views.participation import this_week_text
from bot.rules.scoring import progress_bar
from bot.views.sparkline import trend_spark
from bot.rules.text import plural
from bot.slack import ids
from bot.rules.refs import ref_text
from bot.views.kit import (
    MESSAGE_BLOCKS,
    MODAL_BLOCKS,
    MODAL_TITLE_CHARS,
    SECTION_CHARS,
    SUMMARY_ROOM,
    FALLBACK_CHARS,
    MESSAGE_TEXT_CHARS,
    ago,
    block_text,
    button,
    clip,
    confidence_label,
    cut,
    context,
    escape,
    fair_caps,
    header,
    pack_lines,
    plain,
    section,
    signed,
    trim_to_budget,
    value_text,
)

# Detailed KR lines per answer: past this, objectives show their first few KRs and a summary of the rest.
MESSAGE_KR_LINES = 40
MODAL_KR_LINES = 80


def pace_label(kr: KRStatus) -> str:
    """The pace beside the confidence, in the glossary's words: 'behind: 31% of the way, 68% expected by now'."""
    return pace_phrase(behind=kr.pace.behind, score=kr.pace.score, expected=kr.pace.expected_score,
                       checked_in=kr.value is not None, confidence=kr.confidence)


def confidence_and_pace(kr: KRStatus) -> list[str]:
    """The confidence and the pace, one thought when they disagree: ':red_circle: off track, though the number is on
    pace'."""
    said = confidence_label(kr.confidence)
    pace = pace_phrase(behind=kr.pace.behind, score=kr.pace.score, expected=kr.pace.expected_score, checked_in=True,
                       confidence=kr.confidence, confidence_said=True)
    return [f"{said}, {pace}"] if pace.startswith("though") else [said, pace]


def kr_line(kr: KRStatus, *, now: datetime) -> str:
    """A KR in full: title and owner, then bar, value vs target, confidence, pace, trend and the last check-in."""
    target = value_text(kr.target, kr.unit)
    if kr.value is None:
        parts = [f"{progress_bar(0.0)} no check-in yet · target {target}", pace_label(kr)]
    elif kr.value_origin is not None:
        # The data's value is newer than the last check-in: say where it came from and how old it is.
        parts = [f"{progress_bar(kr.score)} {value_text(kr.value, kr.unit)} of {target} {trend_spark(kr)}".rstrip(),
                 origin_label(kr, now=now),
                 confidence_label(kr.confidence) if kr.confidence else "", pace_label(kr)]
    else:
        value = f"{progress_bar(kr.score)} {value_text(kr.value, kr.unit)} of {target} {trend_spark(kr)}".rstrip()
        parts = [value, *confidence_and_pace(kr)]
        if kr.trend is not None:
            parts.append(f"{signed(kr.trend, kr.unit)} since the previous check-in")
        parts.append(ago(kr.last_at, now=now))
    # Next to the value, so an old value whose source now fails never passes for a fresh one.
    parts.insert(2 if kr.value_origin is not None else 1, failed_label(kr))
    return f"• *{escape(kr.title)}*{ref_label(kr)} · <@{kr.owner_id}>\n      " + " · ".join(p for p in parts if p)


# How people are told where an observed value came from, by origin code (storage.models.ObservedValue.origin): the
# API's, and each source type's (bot.sources.spec.origin_key), as bot.sources.spec.origin_label names them.
ORIGIN_NAMES = {"api": "API", "prometheus": "Prometheus", "http": "HTTP", "csv": "a sheet", "sql": "SQL"}


def origin_name(code: str | None) -> str:
    """'Prometheus' for "prometheus": the name of a value's origin, for people."""
    return ORIGIN_NAMES.get(code or "", escape(code) if code else "the data")


def failed_label(kr: KRStatus) -> str:
    """':warning: source failed: HTTP 503 at 09:12' when the last read of the KR's source failed, else ''."""
    return f":warning: {escape(kr.source_note)}" if kr.source_note else ""


def origin_label(kr: KRStatus, *, now: datetime | None = None) -> str:
    """'from API, 2 hours ago' (or 'from API, Nov 27' without `now`) for a value the data gave; '' for a check-in."""
    if kr.value_origin is None or kr.value_at is None:
        return ""
    name = origin_name(kr.value_origin)
    return f"from {name}, {ago(kr.value_at, now=now) if now is not None else f'{kr.value_at:%b %-d}'}"


def ref_label(kr: KRStatus) -> str:
    """' · `KR-7`' after a KR's title: the reference scripts push its values to."""
    return f" · `{ref_text(kr.ref)}`" if kr.ref is not None else ""


def objective_heading(obj: ObjectiveStatus) -> str:
    """Title, type and score, marked against the type's success threshold."""
    if obj.success:
        mark = f":white_check_mark: success (at least {obj.threshold:.2f})"
    else:
        mark = f"success at {obj.threshold:.2f}"
    return f"*{escape(obj.title)}*\n_{obj.type}_ · score *{obj.score:.2f}* · {mark}"


def more_krs_line(hidden: Sequence[KRStatus]) -> str:
    """'…and 12 more KRs: 3 behind, 2 red', so nothing is dropped silently."""
    behind = sum(1 for kr in hidden if kr.pace.behind)
    red = sum(1 for kr in hidden if kr.confidence == "red")
    return f"…and {plural(len(hidden), 'more KR')}: {behind} behind, {red} red"


def objective_text(obj: ObjectiveStatus, cap: int, line: Callable[[KRStatus], str]) -> str:
    """The heading and up to `cap` KR lines within one section, then a summary line for the rest."""
    parts = [objective_heading(obj)]
    size = len(parts[0])
    shown = 0
    for kr in obj.krs[:cap]:
        text = line(kr)
        if size + 1 + len(text) > SECTION_CHARS - SUMMARY_ROOM:
            break
        parts.append(text)
        size += 1 + len(text)
        shown += 1
    if len(obj.krs) > shown:
        parts.append(more_krs_line(obj.krs[shown:]))
    if not obj.krs:
        parts.append("_No live key results._")
    return "\n".join(parts)


def counts(krs: Sequence[KRStatus]) -> str:
    """'3 key results · 1 behind · 1 red'."""
    text = plural(len(krs), "key result")
    behind = sum(1 for kr in krs if kr.pace.behind)
    red = sum(1 for kr in krs if kr.confidence == "red")
    if behind:
        text += f" · {behind} behind"
    if red:
        text += f" · {red} red"
    return text


def teamcontext(team: TeamStatus) -> str:
    """Leads, cycles, counts and the date the pace is measured on."""
    parts = []
    if team.leads:
        parts.append("Lead" + ("s" if len(team.leads) > 1 else "") + ": " + ", ".join(f"<@{u}>" for u in team.leads))
    cycles = sorted({obj.cycle for obj in team.objectives})
    if cycles:
        parts.append(", ".join(escape(c) for c in cycles))
    parts.append(plural(len(team.objectives), "objective"))
    parts.append(counts(team.krs))
    parts.append(f"as of {team.on:%a %b} {team.on.day}")
    return " · ".join(parts)


def team_summary(team: TeamStatus) -> str:
    """A team in one line, for answers covering more teams than fit in full."""
    scores = [obj.score for obj in team.objectives]
    average = f" · average score {sum(scores) / len(scores):.2f}" if scores else ""
    return (f"• *{escape(team.name)}* · {plural(len(team.objectives), 'objective')} · {counts(team.krs)}"
            f"{average}")


def status_blocks(teams: Sequence[TeamStatus], *, now: datetime, intro: str | None = None,
                  max_blocks: int = MESSAGE_BLOCKS, kr_budget: int = MESSAGE_KR_LINES,
                  max_chars: int | None = MESSAGE_TEXT_CHARS) -> list[dict]:
    """Every team's objectives, one section each, summarised as needed to stay within max_blocks, the KR budget and
    (for a message) Slack's text budget: fewer KR lines in full first, then the last sections summed up."""
    sections = max_blocks
    while True:
        out = _status_blocks(teams, now=now, intro=intro, max_blocks=max_blocks, kr_budget=kr_budget,
                             sections=sections)
        size = block_text(out)
        if max_chars is None or size <= max_chars:
            return out
        if kr_budget > 1:
            kr_budget = max(1, min(kr_budget - 1, kr_budget * max_chars // size))
        elif sections > 2:
            # Objectives past this many get a line each in one last section instead of a section of their own.
            sections = max(2, min(sections - 1, sections * max_chars // size))
        else:
            return trim_to_budget(out, max_chars=max_chars, more=lambda n: (
                f"…and {plural(n, 'more section')} did not fit: type `/okr status TEAM` for one team, or see the "
                "Home tab."))


def _status_blocks(teams: Sequence[TeamStatus], *, now: datetime, intro: str | None, max_blocks: int,
                   kr_budget: int, sections: int) -> list[dict]:
    out: list[dict] = [section(intro)] if intro else []
    needed = len(out) + sum(2 + (team.participation is not None) + max(1, len(team.objectives)) for team in teams)
    if needed > max_blocks and len(teams) > 1:
        out.append(context("Too much to show at once, so here is each team in a line; "
                            "type `/okr status TEAM` for one team in full."))
        lines = [team_summary(team) for team in teams]
        out += pack_lines(lines, max_sections=max_blocks - len(out),
                          more=lambda n: f"…and {plural(n, 'more team')}.", max_chars=None)
        return out
    caps = iter(fair_caps([len(obj.krs) for team in teams for obj in team.objectives], kr_budget))
    line = lambda kr: kr_line(kr, now=now)  # noqa: E731 - a one-line adapter
    for team in teams:
        out.append(header(team.name))
        out.append(context(teamcontext(team)))
        if team.participation is not None:
            out.append(context(this_week_text(team.participation)))
        if not team.objectives:
            out.append(section("No live key results this cycle."))
            continue
        out += objective_sections(team.objectives, caps, line, room=max_blocks - len(out), full_max=sections)
    return out


def objective_sections(objectives: Sequence[ObjectiveStatus], caps: Iterator[int], line: Callable[[KRStatus], str],
                       *, room: int, full_max: int | None = None) -> list[dict]:
    """A section per objective (at most full_max) within `room` blocks; the objectives beyond share the blocks left,
    a line each."""
    most = room if full_max is None else min(room, full_max)
    # One block is kept for the sections listing the objectives that do not get a section of their own.
    full = objectives if len(objectives) <= most else objectives[: max(0, most - 1)]
    out = [section(objective_text(obj, next(caps), line)) for obj in full]
    rest = objectives[len(full):]
    if rest:
        lines = [f"• *{escape(obj.title)}* · score *{obj.score:.2f}* · {counts(obj.krs)}" for obj in rest]
        out += pack_lines(lines, max_sections=max(1, room - len(full)),
                          more=lambda n: f"…and {plural(n, 'more objective')}.")
    return out


def fallback_text(teams: Sequence[TeamStatus]) -> str:
    """The notification text: each team with its counts."""
    return cut("; ".join(f"{escape(team.name)}: {plural(len(team.objectives), 'objective')}, {counts(team.krs)}"
                         for team in teams), FALLBACK_CHARS) or "No key results."


def status_message(teams: Sequence[TeamStatus], *, now: datetime, intro: str | None = None
                   ) -> tuple[str, list[dict]]:
    """The ephemeral answer to /okr status: fallback text and at most 50 blocks; one team's has a Chart button."""
    if len(teams) != 1:
        return fallback_text(teams), status_blocks(teams, now=now, intro=intro)
    blocks = status_blocks(teams, now=now, intro=intro, max_blocks=MESSAGE_BLOCKS - 1)
    chart = {"type": "actions", "elements": [button(ids.OPEN_CHART, "Chart", ids.team_value(teams[0].id))]}
    return fallback_text(teams), [*blocks, chart]


def overview_message(overview: Sequence[tuple[int, str, int, int]], *, intro: str) -> tuple[str, list[dict]]:
    """Every team in a line (objectives and KRs), for a caller with no team of their own."""
    lines = [f"• *{escape(name)}* · {plural(objectives, 'objective')} · {plural(krs, 'key result')}"
             for _, name, objectives, krs in overview]
    body = [section(intro), context("Type `/okr status TEAM` to see one of them in full.")]
    body += pack_lines(lines, max_sections=MESSAGE_BLOCKS - len(body),
                       more=lambda n: f"…and {plural(n, 'more team')}.", max_chars=MESSAGE_TEXT_CHARS - block_text(body))
    return f"{plural(len(overview), 'team')}.", body


def status_modal(team: TeamStatus, *, now: datetime) -> dict:
    """A modal with one team's status, within the modal's 100 blocks."""
    title = clip(team.name, MODAL_TITLE_CHARS)
    return {
        "type": "modal", "callback_id": ids.STATUS_VIEW, "title": plain(title), "close": plain("Close"),
        "blocks": status_blocks([team], now=now, max_blocks=MODAL_BLOCKS, kr_budget=MODAL_KR_LINES, max_chars=None),
    }
