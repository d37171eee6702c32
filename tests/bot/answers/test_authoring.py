"""Authoring (answers.authoring, answers.drafts), its payloads and Block Kit: drafts, limits, the coach on edits, and
payloads that never raise."""

import json
from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.answers import authoring
from bot.slack import ids
from bot.slack.payloads import KRRow, ObjectiveDraft, ObjectiveSubmission, draft_from_json, parse_objective_form
from bot.views.kit import MODAL_BLOCKS
from storage.db import session_scope
from storage.models import Cycle, KeyResult, Objective, Team, TeamLead
from storage.okrs import live_krs_of

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def growth(engine):
    """Growth, led by U0LEAD, with one objective of `n` KRs made on demand."""
    with session_scope(engine) as s:
        cycle = Cycle(name="2026-Q4", start=date(2026, 10, 1), end=date(2026, 12, 31))
        team = Team(name="Growth", channel="C0GROWTH")
        s.add_all([cycle, team])
        s.flush()
        s.add(TeamLead(team_id=team.id, user_id="U0LEAD"))
        objective = Objective(team_id=team.id, cycle_id=cycle.id, key="o", title="Make onboarding effortless")
        s.add(objective)
        s.flush()
        return engine, team.id, cycle.id, objective.id


def add_krs(engine, objective_id, titles):
    with session_scope(engine) as s:
        for i, title in enumerate(titles):
            s.add(KeyResult(objective_id=objective_id, key=f"k{i}", title=title, owner_id="U0ALICE", baseline=1,
                            target=2))


def test_drafts_round_trip_through_metadata():
    draft = ObjectiveDraft(7, 1, 2, "Make “it” <great> & fast", "committed", False,
                           (KRRow("k12", "Increase X from 1 to 2", "U0ALICE", "1", "2", "%", True), KRRow("n0")))
    assert draft_from_json(draft.to_json()) == draft


@pytest.mark.parametrize("text", ["", "[]", "{", json.dumps({"o": True, "r": [["x"] * 7, ["n0", 1, 2, 3, 4, 5, 6]]}),
                                  json.dumps({"r": [["k1", None, None, None, None, None, 0]] * 3})])
def test_malformed_metadata_reads_as_an_empty_draft(text):
    draft = draft_from_json(text)
    assert draft.objective_id is None and all(r.row in ("n0", "k1") for r in draft.rows)


@settings(max_examples=200, deadline=None)
@given(body=st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                         lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                                      max_size=4), max_leaves=30))
def test_parsing_any_body_never_raises(body):
    sub = parse_objective_form(body if isinstance(body, dict) else {"view": body})
    assert isinstance(sub.draft, ObjectiveDraft)


def test_an_edit_form_with_many_krs_stays_within_100_blocks(growth):
    engine, _, _, objective_id = growth
    add_krs(engine, objective_id, [f"Increase metric {i} from 1 to 2" for i in range(20)])
    with session_scope(engine) as s:
        view = authoring.edit_form(objective_id, "U0LEAD", session=s, now=NOW).view
    assert len(view["blocks"]) <= MODAL_BLOCKS
    # Eight blocks a row (title, owner, baseline, target, unit, source, archive and its heading): 11 rows fit.
    assert "9 more key results did not fit in this form" in json.dumps(view["blocks"])
    assert len(view["private_metadata"]) < 3000


def submit(engine, draft, user="U0LEAD"):
    with session_scope(engine) as s:
        return authoring.submit_form(ObjectiveSubmission(user, "V1", draft), session=s, now=NOW)


def edit_draft(engine, objective_id, **changes):
    with session_scope(engine) as s:
        objective = s.get(Objective, objective_id)
        draft = authoring._edit_draft(objective, live_krs_of([objective_id], session=s).get(objective_id, []))
    fields = {f: getattr(draft, f) for f in ("objective_id", "team_id", "cycle_id", "title", "type", "archive", "rows")}
    return ObjectiveDraft(**{**fields, **changes})


def test_edits_coach_only_what_they_change(growth):
    engine, _, _, objective_id = growth
    add_krs(engine, objective_id, ["Ship the dashboard", "Increase activation from 20% to 30%"])
    # The imported task-like KR is not re-coached when the objective's type changes…
    assert submit(engine, edit_draft(engine, objective_id, type="committed")).view["callback_id"] == \
        ids.OBJECTIVE_SAVED_VIEW
    # …but renaming the objective to a task is, and so is a new KR that is a task.
    draft = edit_draft(engine, objective_id, title="Launch v2")
    rows = draft.rows[:2] + (KRRow("n0", "Write the docs", "U0BOB", "0", "1"),)
    outcome = submit(engine, ObjectiveDraft(draft.objective_id, draft.team_id, draft.cycle_id, draft.title,
                                            draft.type, False, rows))
    text = json.dumps(outcome.view["blocks"])
    assert outcome.view["callback_id"] == ids.OBJECTIVE_REVIEW_VIEW
    assert "objective-is-task" in text and "Write the docs" in text and "Ship the dashboard" not in text


def test_a_draft_too_long_to_carry_is_saved_with_its_notes_shown(growth, monkeypatch):
    engine, team_id, cycle_id, _ = growth
    # Slack keeps 3000 characters of private_metadata; a smaller limit stands in for a draft of exotic characters.
    monkeypatch.setattr(authoring, "METADATA_CHARS", 100)
    rows = (KRRow("n0", "Ship the dashboard", "U0ALICE", "0", "1"),)
    outcome = submit(engine, ObjectiveDraft(None, team_id, cycle_id, "Launch v2", "aspirational", False, rows))
    assert outcome.view["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    text = json.dumps(outcome.view["blocks"])
    assert "Coach's notes" in text and "task-not-outcome" in text
    with session_scope(engine) as s:
        assert s.exec(select(Objective).where(Objective.title == "Launch v2")).one()


def test_keys_stay_unique_when_titles_repeat_old_ones(growth):
    engine, team_id, cycle_id, objective_id = growth
    with session_scope(engine) as s:
        # An archived objective still holds its key "Make billing painless".
        s.add(Objective(team_id=team_id, cycle_id=cycle_id, key="Make billing painless", title="Old",
                        archived_at=NOW))
    rows = (KRRow("n0", "Increase paid invoices from 80% to 95%", "U0ALICE", "80", "95", "%"),
            KRRow("n1", "Reduce billing tickets from 40 to 10 a week", "U0BOB", "40", "10"))
    outcome = submit(engine, ObjectiveDraft(None, team_id, cycle_id, "Make billing painless", "aspirational", False,
                                            rows))
    with session_scope(engine) as s:
        saved = s.exec(select(Objective).where(Objective.title == "Make billing painless",
                                               Objective.archived_at.is_(None))).one()
    assert (saved.title, saved.key) == ("Make billing painless", "Make billing painless (2)")
