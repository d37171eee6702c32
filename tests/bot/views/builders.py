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
from bot.views import alerts, authoring, checkin, digest, home, lint, nudges, participation, status, teams
from bot.views.kit import escape, info_modal
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team
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
    return Pace(score=0.1, expected_score=0.66, behind=n % 2 == 0, text="10% - needs 66% to be on pace")


def _kr(t: Texts, o: int, k: int) -> KRStatus:
    return KRStatus(id=o * 100 + k, title=f"{t.title} {o}.{k}", owner_id=OWNERS[k % len(OWNERS)], unit=t.unit,
                    baseline=0.0, target=TRILLION, value=TRILLION - 0.01, confidence="red", score=0.99,
                    pace=_pace(k), trend=-TRILLION / 3, last_at=NOW - timedelta(days=3))


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
    return [ActiveKR(KeyResult(id=k, objective_id=1, key=f"k{k}", title=f"{t.title} {k}", owner_id=OWNERS[0],
                               baseline=-TRILLION, target=TRILLION, unit=t.unit), objective, team, cycle)
            for k in range(1, n + 1)]


def _checkin(kr_id: int, t: Texts, confidence: str = "red") -> CheckIn:
    return CheckIn(id=kr_id, kr_id=kr_id, author_id=OWNERS[1], value=-TRILLION + 0.01, confidence=confidence,
                   note=t.note, created_at=NOW - timedelta(days=1))


def _finding(t: Texts, n: int) -> Finding:
    return Finding("key_result", f"{t.title} {n}", "task-not-outcome", f"“{t.title}” reads like a task.",
                   "Try: Increase <metric> from <baseline> to <target> by <date>", team=t.team,
                   objective=f"{t.title} objective")


def payloads(t: Texts, s: Sizes = MOST) -> list[tuple[str, str, object]]:
    """(name, kind, payload) for every builder: kind is "message" ({text, blocks}), "modal" or "home" (a view)."""
    out: list[tuple[str, str, object]] = []

    def message(name: str, built: tuple[str, list[dict]]) -> None:
        out.append((name, "message", {"text": built[0], "blocks": built[1]}))

    rows = active(t, 60)
    latest = {row.kr.id: _checkin(row.kr.id, t) for row in rows}
    status_team = team_status(t, s)
    message("alert", alerts.alert_message(rows[0], _checkin(1, t), _checkin(1, t, "green")))
    message("prompt", checkin.prompt_message(rows, latest, prompt_id=1))
    out.append(("checkin modal", "modal", checkin.checkin_modal(rows, latest, for_user=OWNERS[0], caller=OWNERS[1])))
    out.append(("checkin modal to edit", "modal", checkin.checkin_modal(rows, latest, for_user=OWNERS[0],
                                                                        caller=OWNERS[1], current=latest)))
    out.append(("checkin done", "modal", checkin.checkin_done_view(
        [(row, latest[row.kr.id], _checkin(row.kr.id, t, "green")) for row in rows], for_user=OWNERS[0])))
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
    return out
