"""The demo's closing lines: what the people did, the messages okrbot sent, each KR's final score, and the chart."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import select

from bot.reports.chart import team_chart
from bot.reports.status import statuses
from bot.rules.text import plural
from bot.sim.fake_slack import FakeSlack
from bot.views.chart import chart_png
from storage.db import session_scope
from storage.models import Delivery, Team

CHART_FILE = "okrbot-demo-chart.png"


@dataclass
class Tally:
    """What the people did over the demo, for the closing summary."""

    checkins: int = 0
    skips: int = 0


def write_chart(engine, *, now: datetime) -> Path:
    """Team Growth's chart as a PNG in the temporary directory; its path."""
    with session_scope(engine) as session:
        team = session.exec(select(Team)).one()
        chart = team_chart(team, session=session, now=now)
    path = Path(tempfile.gettempdir()) / CHART_FILE
    path.write_bytes(chart_png(chart))
    return path


def summary(engine, fake: FakeSlack, tally: Tally, *, now: datetime) -> str:
    """The closing lines: how many prompts were answered, the nudges and alerts sent, and each KR's final score."""
    with session_scope(engine) as session:
        sent = [(d.kind, d.key) for d in session.exec(select(Delivery).where(Delivery.sent_at.is_not(None)))]
        teams = statuses(list(session.exec(select(Team).order_by(Team.id))), session=session, now=now)
    kinds = Counter(kind for kind, _ in sent)
    owner_nudges = sum(1 for kind, key in sent if kind == "nudge" and key.endswith(":owner"))
    prompts = kinds["prompt"]
    rate = f" ({tally.checkins / prompts:.0%})" if prompts else ""
    lines = [
        f"Check-in rate: {tally.checkins} of {plural(prompts, 'weekly prompt')} answered{rate}, "
        f"{plural(tally.skips, 'week')} skipped.",
        f"Nudges: {plural(owner_nudges, 'nudge')} to owners, {plural(kinds['nudge'] - owner_nudges, 'DM')} to leads; "
        f"{plural(kinds['reminder'], 'reminder')}.",
        f"Alerts: {plural(kinds['alert'], 'confidence-drop alert')} to leads.",
        f"Messages: {sum(1 for c in fake.calls if c.method == 'chat.postMessage' and c.status == 200)} "
        "sent by okrbot.",
        "Final scores:",
    ]
    for team in teams:
        for objective in team.objectives:
            lines.append(f"  {objective.title}: {objective.score:.2f}")
            lines.extend(f"    {kr.score:.2f}  {kr.title}" for kr in objective.krs)
    return "\n".join(lines)
