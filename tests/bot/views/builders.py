"""Every view builder of bot/views, called with given user texts and sizes: the payloads okrbot would send Slack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bot.reports.digest import ConfidenceMove, Digest, MissedKR, Mover
from bot.reports.participation import OwnerParticipation, TeamParticipation, WeekRate
from bot.rules.participation import STATES, OwnerWeek
from bot.reports.status import KRStatus, ObjectiveStatus, TeamStatus
from bot.rules.coach.table import Finding
from bot.rules.scoring import Pace
from bot.slack.payloads import KRRow, ObjectiveDraft
from bot.reports.chart import KRTrend, TeamChart
from bot.reports.grading import CycleGrades, KRGradeLine, ObjectiveGrades
from bot.views import (alerts, authoring, chart, checkin, digest, grading, home, lint, nudges, participation, problems,
                       status, teams)
from bot.views.kit import escape, info_modal
from storage.models import CheckIn, Cycle, Grading, KeyResult, Objective, Problem, Team
from storage.okrs import ActiveKR

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# okrbot's own mentions in these payloads: nothing else may appear as <@…>, <#…> or <!…>.
OWNERS = tuple(f"U0OWNER{n:02d}" for n in range(20))
CHANNEL = "C0CHANNEL"
OWN_MENTIONS = {f"<@{u}>" for u in OWNERS} | {f"<#{CHANNEL}>"}
TRILLION = 10.0**12


@dataclass(frozen=True)
class Texts:
    """What people typed: titles, units, team and cycle names, notes."""

    title: str
    unit: str
    team: str
    cycle: str
    note: str


@dataclass(frozen=True)
class Sizes:
    """How many of each thing a payload holds."""

    objectives: int = 12
    krs: int = 5
    teams: int = 40
    findings: int = 30


LONGEST = Texts(title="T" * 191 + " tail*_~`", unit="u" * 24, team="N" * 80, cycle="C" * 64, note="n" * 3000)
MOST = Sizes()


def _pace(n: int) -> Pace:
    return Pace(score=0.1, expected_score=0.66, behind=n % 2 == 0, text="10% of the way, 66% expected by now")


def _kr(t: Texts, o: int, k: int) -> KRStatus:
    return KRStatus(id=o * 100 + k, title=f"{t.title} {o}.{k}", owner_id=OWNERS[k % len(OWNERS)], unit=t.unit,
                    baseline=0.0, target=TRILLION, value=TRILLION - 0.01, confidence="red", score=0.99,
                    pace=_pace(k), trend=-TRILLION / 3, last_at=NOW - timedelta(days=3), ref=10**9 - k,
                    # Every other KR's value came from the API or a source after its last check-in.
                    value_origin=_origin(k), value_at=NOW - timedelta(hours=2) if k % 2 else None,
                    weekly=(None, 0.0, 0.2, 0.4, 0.5, 0.7, 0.9, 0.99), source_note=_source_note(t, k))


def _origin(k: int) -> str | None:
    return None if k % 2 == 0 else "api" if k % 4 == 1 else "prometheus"


def _source_note(t: Texts, k: int) -> str | None:
    # Every third KR's source failed at its last read; the reason may quote what a server answered.
    return f"source failed: the answer at {t.title} is not a number at 09:12"[:200] if k % 3 == 1 else None


def _participation(t: Texts, team_id: int = 1, weeks: int = 30) -> TeamParticipation:
    """Every owner with a long cycle of weeks in every state, the away ones by Slack status."""
    days = [(date(2026, 1, 2) + timedelta(days=7 * n)).isoformat() for n in range(weeks)]
    owners = tuple(OwnerParticipation(owner, tuple(OwnerWeek(f"{day}@10:00", n, STATES[(n + i) % len(STATES)],
                                                             "status" if STATES[(n + i) % len(STATES)] == "away"
                                                             else None)
                                                   for n, day in enumerate(days)))
                   for i, owner in enumerate(OWNERS))
    return TeamParticipation(team_id, f"{t.team}{team_id}"[-80:], t.cycle, owners,
                             tuple(WeekRate(day, 7, 13, 7) for day in days))


def team_status(t: Texts, s: Sizes, team_id: int = 1) -> TeamStatus:
    objectives = tuple(ObjectiveStatus(id=o, title=f"{t.title} objective {o}", type="committed", cycle=t.cycle,
                                       score=0.5, threshold=1.0, success=False,
                                       krs=tuple(_kr(t, o, k) for k in range(s.krs)), kr_count=s.krs)
                       for o in range(s.objectives))
    return TeamStatus(id=team_id, name=f"{t.team}{team_id}"[-80:], channel=CHANNEL, leads=OWNERS[:3],
                      on=NOW.date(), objectives=objectives, participation=_participation(t, team_id))


def _digest(t: Texts, s: Sizes) -> Digest:
    team = team_status(t, s)
    krs = team.krs
    return Digest(team=team, week_of=NOW.date(), digest_day=0, digest_time="09:00", timezone="America/Port_of_Spain",
                  moves=tuple(ConfidenceMove(kr, "green", "red") for kr in krs),
                  movers=tuple(Mover(kr, 0.1, 0.9) for kr in krs[:20]), not_checked_in=OWNERS,
                  missed=tuple(MissedKR(kr, 5) for kr in krs), participation=_participation(t))


def active(t: Texts, n: int) -> list[ActiveKR]:
    team = Team(id=1, name=t.team, channel=CHANNEL, timezone="America/Port_of_Spain")
    cycle = Cycle(id=1, name=t.cycle, start=date(2026, 10, 1), end=date(2026, 12, 31))
    objective = Objective(id=1, team_id=1, cycle_id=1, key="o", title=f"{t.title} objective")
    # Every other KR has a value from the API, newer than its last check-in (and the one before).
    return [ActiveKR(KeyResult(id=k, objective_id=1, key=f"k{k}", title=f"{t.title} {k}", owner_id=OWNERS[0],
                               baseline=-TRILLION, target=TRILLION, unit=t.unit, ref=10**9 - k,
                               observed_value=TRILLION - 0.01 if k % 2 else None,
                               observed_at=NOW - timedelta(hours=2) if k % 2 else None,
                               observed_origin=_origin(k), source_note=_source_note(t, k)),
                     objective, team, cycle)
            for k in range(1, n + 1)]


def _checkin(kr_id: int, t: Texts, confidence: str = "red") -> CheckIn:
    return CheckIn(id=kr_id, kr_id=kr_id, author_id=OWNERS[1], value=-TRILLION + 0.01, confidence=confidence,
                   note=t.note, created_at=NOW - timedelta(days=1))


def _finding(t: Texts, n: int) -> Finding:
    return Finding("key_result", f"{t.title} {n}", "task-not-outcome", f"“{t.title}” reads like a task.",
                   "Try: Increase <metric> from <baseline> to <target> by <date>", team=t.team,
                   objective=f"{t.title} objective")


def cycle_grades(t: Texts, s: Sizes, *, graded: bool) -> CycleGrades:
    """A team's cycle at its end with s.objectives x s.krs KRs, each graded away from its score, half carried."""
    objectives = tuple(ObjectiveGrades(o, f"k{o}", f"{t.title} objective {o}", "committed", tuple(
        KRGradeLine(o * 100 + k, f"{t.title} {o}.{k}", OWNERS[k % len(OWNERS)], t.unit, -TRILLION, TRILLION,
                    TRILLION - 0.01 if k else None, 0.5, 0.9 if graded else None, t.note if graded else "",
                    ("carry" if k % 2 else "drop") if graded else "", 7 if graded and k % 2 else None)
        for k in range(s.krs))) for o in range(s.objectives))
    retro = Grading(id=1, team_id=1, cycle_id=1, graded_by=OWNERS[0], graded_at=NOW, worked=t.note,
                    did_not_work=t.note, learned=t.note, change_next="\n".join([t.note[:300]] * 10))
    return CycleGrades(1, t.team, CHANNEL, OWNERS[:3], 1, t.cycle, "2026-10-01", "2026-12-31", objectives,
                       retro if graded else None)


def payloads(t: Texts, s: Sizes = MOST) -> list[tuple[str, str, object]]:
    """(name, kind, payload) for every builder: kind is "message" ({text, blocks}), "modal" or "home" (a view)."""
    out: list[tuple[str, str, object]] = []

    def message(name: str, built: tuple[str, list[dict]]) -> None:
        out.append((name, "message", {"text": built[0], "blocks": built[1]}))

    rows = active(t, 60)
    latest = {row.kr.id: _checkin(row.kr.id, t) for row in rows}
    status_team = team_status(t, s)
    message("alert", alerts.alert_message(rows[0], _checkin(1, t), _checkin(1, t, "green")))
    message("prompt", checkin.prompt_message(rows, latest, prompt_id=1, now=NOW))
    out.append(("checkin modal", "modal", checkin.checkin_modal(rows, latest, for_user=OWNERS[0], caller=OWNERS[1])))
    out.append(("checkin modal to edit", "modal", checkin.checkin_modal(rows, latest, for_user=OWNERS[0],
                                                                        caller=OWNERS[1], current=latest)))
    out.append(("checkin done", "modal", checkin.checkin_done_view(
        [(row, latest[row.kr.id], _checkin(row.kr.id, t, "green")) for row in rows], for_user=OWNERS[0])))
    typed_over = [(row, CheckIn(id=row.kr.id, kr_id=row.kr.id, author_id=OWNERS[1], value=-TRILLION, confidence="red",
                                note=t.note, created_at=NOW), None) for row in rows]
    out.append(("checkin done over the data", "modal", checkin.checkin_done_view(typed_over)))
    for number, part in enumerate(digest.digest_messages(_digest(t, s)), start=1):
        message(f"digest part {number}", part)
    message("digest preview", digest.digest_message(_digest(t, s), preview=True))
    leads = [team_status(t, Sizes(objectives=3, krs=5), n) for n in range(s.teams)]
    out.append(("home", "home", home.home_view([status_team], leads, now=NOW)))
    message("status", status.status_message([status_team], now=NOW, intro=f"*Key results of <@{OWNERS[0]}>*"))
    message("status of many teams", status.status_message(leads, now=NOW))
    message("overview", status.overview_message([(n, f"{t.team}{n}", 3, 15) for n in range(500)], intro="Teams:"))
    out.append(("status modal", "modal", status.status_modal(status_team, now=NOW)))
    message("participation", participation.participation_message([_participation(t, n) for n in range(s.teams)]))
    message("participation of one team", participation.participation_message([_participation(t, weeks=60)]))
    message("nudge", nudges.nudge_message(rows, weeks=3))
    message("lead nudge", nudges.lead_nudge_message(OWNERS[0], rows, weeks=3))
    message("reminder", nudges.reminder_message(rows, prompt_id=1))
    message("skipped", nudges.skipped_prompt_message(1))
    team_rows = [Team(id=n, name=f"{t.team}{n}"[-80:], channel=CHANNEL, timezone="America/Port_of_Spain")
                 for n in range(200)]
    message("teams", teams.teams_message(team_rows, {n: list(OWNERS[:3]) for n in range(200)}))
    stuck = Problem(subject=CHANNEL, kind="channel", error="not_in_channel", first_seen_at=NOW)
    message("teams with a channel okrbot is not in", teams.teams_message(
        team_rows, {n: list(OWNERS[:3]) for n in range(200)}, {CHANNEL: stuck}))
    for error in ("not_in_channel", "is_archived", "channel_not_found", "restricted_action"):
        message(f"channel problem {error}", problems.channel_problem_message(
            CHANNEL, error, [f"{t.team}{n}"[-80:] for n in range(3)]))
    message("deactivated owner", problems.person_problem_message(OWNERS[0], "user_not_found", active(t, 200)))
    cycles = [Cycle(id=n, name=f"{t.cycle}{n}"[-64:], start=date(2026, 1, 1), end=date(2026, 3, 31))
              for n in range(100)]
    message("cycles", (teams.cycles_text(cycles, NOW.date()), []))
    findings = [_finding(t, n) for n in range(s.findings)]
    message("lint", (lint.fit(lint.team_chunks(t.team, findings), "More in the file."), []))
    draft_rows = tuple(KRRow(f"k{n}", t.title, OWNERS[0], "-1,000,000,000,000", "1,000,000,000,000", t.unit, True)
                       for n in range((100 - authoring.FORM_OVERHEAD) // authoring.ROW_BLOCKS))
    edit = ObjectiveDraft(objective_id=1, team_id=1, cycle_id=1, title=t.title, rows=draft_rows, archive=True)
    new = ObjectiveDraft(title=t.title, rows=tuple(KRRow(f"n{n}", t.title, "", "1", "2", t.unit) for n in range(5)))
    choices = authoring.FormContext(teams=[(n, f"{t.team}{n}"[-80:]) for n in range(150)],
                                    cycles=[(n, f"{t.cycle}{n}"[-64:]) for n in range(3)])
    fixed = authoring.FormContext(fixed=f"{t.team} · {t.cycle}", kr_titles={r.row: t.title for r in draft_rows},
                                  hidden_krs=3)
    out.append(("new form", "modal", authoring.objective_form(new, choices, problems=[t.title] * 3)))
    out.append(("edit form", "modal", authoring.objective_form(edit, fixed)))
    out.append(("review", "modal", authoring.review_view(new, findings, where=f"{t.team} · {t.cycle}")))
    # saved_view and info_modal take mrkdwn their callers wrote, escaping what people typed (bot/answers/drafts.py).
    out.append(("saved", "modal", authoring.saved_view(f"Saved {escape(t.title)}", [escape(t.title)] * 5, findings)))
    out.append(("edit picker", "modal", authoring.edit_picker(
        [(n, f"{t.team} · {t.cycle} · {t.title}") for n in range(120)], more=20)))
    out.append(("info", "modal", info_modal(t.team, escape(t.note))))
    ungraded, graded = cycle_grades(t, s, graded=False), cycle_grades(t, s, graded=True)
    message("grading dm", grading.grading_dm(ungraded))
    message("grading reminder", grading.grading_dm(ungraded, reminder=True))
    out.append(("grading modal", "modal", grading.grading_modal(ungraded)))
    out.append(("regrading modal", "modal", grading.grading_modal(graded)))
    thin = cycle_grades(t, Sizes(objectives=40, krs=1), graded=False)
    out.append(("grading modal, one KR per objective", "modal", grading.grading_modal(thin)))
    message("cycle report", grading.cycle_report(graded, carried_to=t.cycle))
    message("cycle report, no next cycle", grading.cycle_report(graded, carried_to=None))
    message("past cycle status", grading.past_cycle_status(graded))
    message("past cycle status, ungraded", grading.past_cycle_status(ungraded))
    out.append(("graded", "modal", grading.graded_view(f"Graded {escape(t.cycle)}", [escape(t.title)] * 5)))
    lessons = authoring.FormContext(teams=[(1, t.team)], cycles=[(1, t.cycle)],
                                    lessons=[(t.team, t.cycle, [t.note[:300]] * 10)] * 3)
    out.append(("new form with lessons", "modal", authoring.objective_form(new, lessons)))
    trends = tuple(KRTrend(f"{t.title} {n}", (0.1, 0.5), (None, "red")) for n in range(s.krs))
    message("chart", chart.chart_message(TeamChart(t.team, t.cycle, (date(2026, 10, 1), date(2026, 10, 8)),
                                                   (0.0, 0.08), trends), "F0000000001"))
    return out
