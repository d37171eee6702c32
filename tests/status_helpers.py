"""Helpers for the status and digest tests: Slack's Block Kit limits, big teams built in bulk, a statement counter."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session

from bot.sim.fake_validate import check_message, check_view

from storage.models import CheckIn, Cycle, KeyResult, Objective, Prompt, PromptItem, Team, TeamLead

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
TEXT_CHARS = 3000
HEADER_CHARS = 150


def assert_within_limits(blocks: list[dict], *, max_blocks: int = MESSAGE_BLOCKS) -> None:
    """Slack accepts these blocks as a message (max_blocks 50) or as a modal's (100), by the fake's own validator."""
    if max_blocks == MESSAGE_BLOCKS:
        refusal = check_message({"text": "x", "blocks": blocks})
    else:
        refusal = check_view({"type": "modal", "title": {"type": "plain_text", "text": "x"}, "blocks": blocks,
                              "submit": {"type": "plain_text", "text": "x"}}, kind="modal")
    assert refusal is None, refusal


def cycle(session: Session, *, name: str = "2026-Q4", start: date = date(2026, 10, 1),
          end: date = date(2026, 12, 31)) -> Cycle:
    """A cycle row (flushed)."""
    row = Cycle(name=name, start=start, end=end)
    session.add(row)
    session.flush()
    return row


def add_team(session: Session, cycle_row: Cycle, name: str, *, objectives: int, krs: int, owner: str = "U0OWN",
             lead: str | None = None, channel: str = "C0TEAM", checkins: list[tuple[datetime, float, str]] = (),
             title_length: int = 60, timezone: str = "Europe/London") -> Team:
    """A team of `objectives` x `krs` KRs (baseline 0, target 100, unit %), each KR with the same check-ins."""
    team = Team(name=name, channel=channel, timezone=timezone)
    session.add(team)
    session.flush()
    if lead:
        session.add(TeamLead(team_id=team.id, user_id=lead))
    for o in range(objectives):
        title = f"{name} objective {o + 1} " + "o" * max(0, title_length - len(name) - 14)
        objective = Objective(team_id=team.id, cycle_id=cycle_row.id, key=f"o{o}", title=title,
                              type="committed" if o % 2 else "aspirational")
        session.add(objective)
        session.flush()
        for k in range(krs):
            kr = KeyResult(objective_id=objective.id, key=f"k{k}", title=f"KR {o + 1}.{k + 1} " + "k" * title_length,
                           owner_id=f"{owner}{k}", baseline=0, target=100, unit="%")
            session.add(kr)
            session.flush()
            for at, value, confidence in checkins:
                session.add(CheckIn(kr_id=kr.id, author_id=kr.owner_id, value=value, confidence=confidence,
                                    note="why" if confidence != "green" else "", created_at=at))
    session.flush()
    return team


def add_weeks(session: Session, kr_ids: list[int], user: str, first_due: datetime, weeks: int) -> None:
    """Weekly prompts for these KRs, the first due at first_due."""
    for n in range(weeks):
        due = first_due + timedelta(weeks=n)
        prompt = Prompt(user_id=user, week_key=f"{due.date().isoformat()}@10:00", due_at=due)
        session.add(prompt)
        session.flush()
        session.add_all([PromptItem(prompt_id=prompt.id, kr_id=k) for k in kr_ids])
    session.flush()


def kr_ids(okr) -> dict[str, int]:
    """The imported KRs' ids by key."""
    from sqlmodel import select

    with okr.session() as s:
        return {kr.key: kr.id for kr in s.exec(select(KeyResult))}


def check_in(okr, user: str, at: datetime, answers: dict[int, tuple[str, str | None, str]]) -> None:
    """Check in through the real flow at `at`: /okr checkin opens the modal, the filled modal is submitted."""
    okr.clock.set(at)
    assert okr.slack.command(user, "checkin").status == 200
    view = okr.fake.calls_to("views.open")[-1].params["view"]
    answer = okr.slack.submit(user, view, answers, view_id=f"V{user}{at:%m%d%H%M}").json()
    assert answer["response_action"] == "update", answer
