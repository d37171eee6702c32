"""The coach's notes as Slack mrkdwn, for `/okr lint`: one team's notes as chunks, and chunks fitted to a message."""

from __future__ import annotations

from collections.abc import Sequence

from bot.rules.coach.table import CLEAN, Finding, group_findings
from bot.rules.text import plural
from bot.views.kit import SECTION_CHARS, escape


def finding_line(f: Finding) -> str:
    """One note: its rule, why, and the rewrite hint below it."""
    return f"• `{f.rule}` {escape(f.message)}\n      _{escape(f.hint)}_"


def team_chunks(team_name: str, findings: Sequence[Finding]) -> list[str]:
    """One team's findings as mrkdwn chunks: a heading, team notes, then each objective's notes."""
    if not findings:
        return [f"*{escape(team_name)}*: {CLEAN}"]
    chunks = [f"*{escape(team_name)}*: {plural(len(findings), 'note')}"]
    for group in group_findings(findings):
        if group.kind == "objective":
            chunks.append(f"*Objective:* {escape(group.objective)}")
        chunks += [finding_line(f) for f in group.findings]
    return chunks


def fit(chunks: Sequence[str], advice: str, limit: int = SECTION_CHARS) -> str:
    """Join chunks into at most `limit` characters; when some must go, say how many notes were left out."""
    text = "\n".join(chunks)
    if len(text) <= limit:
        return text
    out: list[str] = []
    used = 0
    for i, chunk in enumerate(chunks):
        left = sum(c.startswith("• ") for c in chunks[i:])
        tail = f"…and {plural(left, 'more note')}. {advice}"
        if used + len(chunk) + 1 + len(tail) > limit:
            out.append(tail)
            break
        out.append(chunk)
        used += len(chunk) + 1
    return "\n".join(out)
