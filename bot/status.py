"""/okr status: where each objective and key result of a team (or a person) stands today."""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from bot import blocks_status
from bot.scoring import Pace, objective_score, pace, success_threshold, trend
from bot.schedule import zone
from storage.models import CheckIn, Team
from storage.queries import ActiveKR, active_key_results, leads_by_team
from storage.reporting import (
    RecentCheckins,
    find_team,
    key_results_of_teams,
    recent_checkins,
    team_names,
    team_overview,
    teams_by_id,
    teams_of_user,
)

# Without teams of their own, a caller sees every team in full only when there are this few; otherwise a list.
ALL_TEAMS_IN_FULL = 3
# How many team names a "no such team" answer lists before "…and N more".
NAMES_LISTED = 40
DEFAULT_THRESHOLD = 0.7
# Objective scores are float means: a committed objective at "exactly 100%" may come out as 0.9999999999.
SCORE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class KRStatus:
    """One key result as it stands: latest value, confidence, score, pace and trend."""

    id: int
    title: str
    owner_id: str
    unit: str
    baseline: float
    target: float
    value: float | None
    confidence: str | None
    score: float
    pace: Pace
    trend: float | None
    last_at: datetime | None


@dataclass(frozen=True)
class ObjectiveStatus:
    """An objective's score against its success threshold, with the key results to show."""

    id: int
    title: str
    type: str
    cycle: str
    score: float
    threshold: float
    success: bool
    krs: tuple[KRStatus, ...]
    kr_count: int


@dataclass(frozen=True)
class TeamStatus:
    """A team's live objectives on `on`, the team's local date."""

    id: int
    name: str
    channel: str
    leads: tuple[str, ...]
    on: date
    objectives: tuple[ObjectiveStatus, ...]

    @property
    def krs(self) -> list[KRStatus]:
        """Every key result shown, in order."""
        return [kr for obj in self.objectives for kr in obj.krs]


def local_day(team: Team, now: datetime) -> date:
    """The date on the team's wall clock at `now` (UTC when its zone is unknown)."""
    return now.astimezone(zone(team.timezone) or UTC).date()


def live_window(now: datetime) -> tuple[date, date]:
    """The days a team's local date can fall on at `now`: zones span UTC-12..+14."""
    return now.date() - timedelta(days=1), now.date() + timedelta(days=1)


def kr_status(row: ActiveKR, checkins: Sequence[CheckIn], *, on: date) -> KRStatus:
    """A KR's status from its check-ins (newest first), measured against its cycle on `on`."""
    kr, cycle = row.kr, row.cycle
    last = checkins[0] if checkins else None
    value = last.value if last else None
    # Pace carries the KR's score (kr_score of the value, 0.0 without one): scoring twice costs exact fractions twice.
    on_pace = pace(kr.baseline, kr.target, value, cycle.start, cycle.end, on)
    return KRStatus(
        id=kr.id, title=kr.title, owner_id=kr.owner_id, unit=kr.unit, baseline=kr.baseline, target=kr.target,
        value=value, confidence=last.confidence if last else None, score=on_pace.score, pace=on_pace,
        trend=trend([c.value for c in reversed(checkins[:2])]),
        last_at=last.created_at if last else None,
    )


def _threshold(objective_type: str) -> float:
    try:
        return success_threshold(objective_type)
    except ValueError:
        # The importer only stores known types; an odd row is scored like an aspirational objective.
        return DEFAULT_THRESHOLD


def assemble(teams: Sequence[Team], rows: Sequence[ActiveKR], recent: RecentCheckins,
             leads: dict[int, list[str]], *, now: datetime, owner_id: str | None = None,
             on: dict[int, date] | None = None) -> list[TeamStatus]:
    """Group KRs into objectives and teams (in the order given), on each team's local date or the date in `on`.

    With owner_id, only that owner's objectives and KRs are shown, while objective scores still count every KR.
    """
    by_team: dict[int, dict[int, list[ActiveKR]]] = defaultdict(lambda: defaultdict(list))
    days = {team.id: (on or {}).get(team.id) or local_day(team, now) for team in teams}
    for row in rows:
        day = days.get(row.team.id)
        # Only the cycle running on the team's own date counts; the query window is a day wider either side.
        if day is not None and row.cycle.start <= day <= row.cycle.end:
            by_team[row.team.id][row.objective.id].append(row)
    out = []
    for team in teams:
        objectives = []
        for objective_rows in by_team[team.id].values():
            statuses = [kr_status(r, recent.latest.get(r.kr.id, ()), on=days[team.id]) for r in objective_rows]
            shown = tuple(s for s in statuses if owner_id is None or s.owner_id == owner_id)
            if not shown:
                continue
            objective = objective_rows[0].objective
            score = objective_score([s.score for s in statuses])
            threshold = _threshold(objective.type)
            objectives.append(ObjectiveStatus(
                id=objective.id, title=objective.title, type=objective.type.lower(),
                cycle=objective_rows[0].cycle.name, score=score, threshold=threshold,
                success=score >= threshold - SCORE_TOLERANCE, krs=shown, kr_count=len(statuses)))
        if owner_id is not None and not objectives:
            continue
        out.append(TeamStatus(id=team.id, name=team.name, channel=team.channel,
                              leads=tuple(leads.get(team.id, ())), on=days[team.id], objectives=tuple(objectives)))
    return out


def statuses(teams: Sequence[Team], *, session: Session, now: datetime,
             owner_id: str | None = None) -> list[TeamStatus]:
    """The status of these teams in three queries: KRs, their two latest check-ins, and leads."""
    first_day, last_day = live_window(now)
    rows = key_results_of_teams([t.id for t in teams], session=session, first_day=first_day, last_day=last_day)
    if owner_id is not None:
        objectives = {r.objective.id for r in rows if r.kr.owner_id == owner_id}
        rows = [r for r in rows if r.objective.id in objectives]
    recent = recent_checkins([r.kr.id for r in rows], session=session, now=now)
    leads = leads_by_team([t.id for t in teams], session=session)
    return assemble(teams, rows, recent, leads, now=now, owner_id=owner_id)


def team_status(team: Team, *, session: Session, now: datetime) -> TeamStatus:
    """One team's status, in three queries whatever its size."""
    return statuses([team], session=session, now=now)[0]


def user_status(user_id: str, *, session: Session, now: datetime) -> list[TeamStatus]:
    """The objectives holding a user's live KRs, showing only their KRs, in four queries."""
    first_day, last_day = live_window(now)
    owned = active_key_results(session=session, first_day=first_day, last_day=last_day, owner_id=user_id)
    teams = list({r.team.id: r.team for r in owned}.values())
    return statuses(teams, session=session, now=now, owner_id=user_id)


def team_name_of(args: Iterable[str]) -> str:
    """The team name the arguments spell: all of them joined, so unquoted names with spaces work too."""
    return " ".join(" ".join(args).split())


def no_such_team(name: str, *, session: Session) -> str:
    """A sentence saying the team does not exist, with a close match and the teams that do."""
    names = team_names(session=session)
    shown = f"“{name[:80]}”"
    if not names:
        return f"There is no team called {shown}, and no teams yet: import an OKR file to create them."
    text = f"There is no team called {shown}."
    close = difflib.get_close_matches(name.casefold(), [n.casefold() for n in names], n=1, cutoff=0.6)
    if close:
        text += f" Did you mean *{next(n for n in names if n.casefold() == close[0])}*?"
    listed = ", ".join(blocks_status.escape(n) for n in names[:NAMES_LISTED])
    if len(names) > NAMES_LISTED:
        listed += f" and {len(names) - NAMES_LISTED} more"
    text += f"\nTeams: {listed}."
    if name.startswith("@"):
        text += "\nTo see someone's key results, mention them: `/okr status @name`."
    return text


def status_reply(args: Sequence[str], caller: str, *, mentioned: str | None, session: Session,
                 now: datetime) -> tuple[str, list[dict] | None]:
    """The answer to `/okr status [TEAM | @user | me]`: fallback text, and blocks (None when a sentence will do)."""
    if mentioned is not None or (len(args) == 1 and args[0].lower() == "me"):
        user = mentioned or caller
        teams = user_status(user, session=session, now=now)
        if not teams:
            who = "You own" if user == caller else f"<@{user}> owns"
            return f"{who} no key results in the current cycle.", None
        return blocks_status.status_message(teams, now=now, intro=f"*Key results of <@{user}>*")
    if args:
        name = team_name_of(args)
        team = find_team(name, session=session)
        if team is None:
            return no_such_team(name, session=session), None
        return blocks_status.status_message([team_status(team, session=session, now=now)], now=now)
    first_day, last_day = live_window(now)
    mine = teams_of_user(caller, session=session, first_day=first_day, last_day=last_day)
    if mine:
        return blocks_status.status_message(statuses(mine, session=session, now=now), now=now)
    overview = team_overview(session=session, first_day=first_day, last_day=last_day)
    live = [row for row in overview if row[3] > 0]
    if not overview:
        return "There are no teams yet: import an OKR file to create them.", None
    intro = "You lead no team and own no key results, so here is every team."
    if 0 < len(live) <= ALL_TEAMS_IN_FULL:
        teams = teams_by_id([row[0] for row in live], session=session)
        return blocks_status.status_message(statuses(teams, session=session, now=now), now=now, intro=intro)
    return blocks_status.overview_message(overview, intro=intro)


def status_modal(value: str, *, session: Session, now: datetime) -> dict:
    """The modal an "Open status" button (value "team:<id>") opens: that team's status, or why there is none."""
    kind, _, raw_id = (value or "").partition(":")
    team = session.get(Team, int(raw_id)) if kind == "team" and raw_id.isdigit() else None
    if team is None:
        return blocks_status.info_modal("OKR status", "That team no longer exists. Type `/okr status` to see "
                                                      "the teams there are.")
    return blocks_status.status_modal(team_status(team, session=session, now=now), now=now)
