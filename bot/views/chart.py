"""A team's chart as a PNG (matplotlib, Agg), and the message that shows it in an image block.

Each KR is a line of its score by week, in a colour of its own; a dot at each week with a check-in shows the
confidence then (green, amber, red); the dashed line is the expected pace. Rendered without a clock or a random
seed in the file, so the same data makes the same bytes.
"""

from __future__ import annotations

import io

from bot.reports.chart import TeamChart
from bot.views.kit import clip, context, escape, section

# A colour per KR (matplotlib's tab10 without its green, orange and red, which mean confidences here).
LINE_COLOURS = ("#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#637939",
                "#843c39")
CONFIDENCE_COLOURS = {"green": "#2ca02c", "amber": "#ff7f0e", "red": "#d62728"}
PACE_COLOUR = "#000000"
# Lines beyond this many KRs would be a tangle; the chart says how many it left out.
MAX_LINES = len(LINE_COLOURS)


def chart_png(chart: TeamChart) -> bytes:
    """The chart as PNG bytes, 1000×560 pixels."""
    import matplotlib

    matplotlib.use("Agg")  # no display, and the same pixels on every machine
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.6), dpi=100)
    axes = figure.subplots()
    weeks = list(range(1, len(chart.weeks) + 1))
    axes.plot(weeks, chart.expected, linestyle="--", color=PACE_COLOUR, linewidth=1.5, label="expected pace")
    for colour, kr in zip(LINE_COLOURS, chart.krs):
        axes.plot(weeks, kr.scores, color=colour, linewidth=2.5, label=_literal(clip(kr.title, 60)))
        for week, score, said in zip(weeks, kr.scores, kr.confidences):
            if said in CONFIDENCE_COLOURS:
                axes.plot([week], [score], marker="o", markersize=7, color=CONFIDENCE_COLOURS[said], zorder=3)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlim(0.8, max(len(weeks), 2) + 0.2)
    axes.set_xticks(weeks)
    axes.set_xlabel("week of the cycle")
    axes.set_ylabel("score (1.0 = target)")
    hidden = len(chart.krs) - MAX_LINES
    axes.set_title(_literal(f"{chart.team} · {chart.cycle}")
                   + (f" (first {MAX_LINES} KRs; {hidden} more)" if hidden > 0 else ""))
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    out = io.BytesIO()
    # No metadata: matplotlib would stamp its version, and the bytes should depend on the data alone.
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _literal(text: str) -> str:
    """Typed text as matplotlib shows it: a "$" would start its math mode ("Grow ARR to $2M" must stay as typed)."""
    return text.replace("$", r"\$")


def chart_title(chart: TeamChart) -> str:
    """'Growth · 2026-Q4: scores by week'."""
    return f"{chart.team} · {chart.cycle}: scores by week"


def chart_message(chart: TeamChart, file_id: str) -> tuple[str, list[dict]]:
    """The uploaded chart in an image block, with what it shows said in words for screen readers and fallbacks."""
    alt = (f"Scores by week of {len(chart.krs)} key results of {chart.team} in {chart.cycle}, against the expected "
           "pace")
    image = {"type": "image", "slack_file": {"id": file_id}, "alt_text": clip(alt, 2000),
             "title": {"type": "plain_text", "text": clip(chart_title(chart), 2000)}}
    legend = context("Lines: each key result's score by week. Dashed: the expected pace. Dots: the confidence at "
                     "each check-in (green on track, amber at risk, red off track).")
    return escape(chart_title(chart)), [section(f"*{escape(chart_title(chart))}*"), image, legend]
