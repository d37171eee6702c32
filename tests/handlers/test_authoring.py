"""/okr new and /okr edit end to end: the form, field errors, the coach's review, saving, archiving, permissions.

Every request is a signed HTTP request into the running app; Slack's side is the fake Web API.
"""

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.slack import ids
from storage.models import CheckIn, Cycle, KeyResult, Objective, Team, TeamLead
from tests.authoring_flows import (
    click_in_view,
    fill_and_submit,
    kr_fields,
    last_opened,
    row,
    state_of,
    submit_view,
)
from tests.flows import check_in

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SUPPORT = "Make our support feel instant for every customer"
GOOD_KRS = {**kr_fields("n0", "Reduce median first response time from 4 hours to 1 hour", "U0BOB", "4", "1", "hours"),
            **kr_fields("n1", "Increase CSAT from 82% to 90%", "U0ALICE", "82%", "90", "%")}


def command(okr, user, text):
    resp = okr.slack.command(user, text)
    assert resp.status == 200, resp.body
    return resp.json()


def open_form(okr, user="U0LEAD", text="new"):
    okr.fake.reset_calls()
    answer = command(okr, user, text)
    assert answer is None or "text" not in answer, answer
    return last_opened(okr)


def objectives(okr):
    with okr.session() as s:
        return s.exec(select(Objective).order_by(Objective.id)).all()


def krs_of(okr, objective_id):
    with okr.session() as s:
        return s.exec(select(KeyResult).where(KeyResult.objective_id == objective_id).order_by(KeyResult.id)).all()


def blocks_text(view):
    return json.dumps(view["blocks"], ensure_ascii=False)


@pytest.fixture
def admin(okr):
    okr.fake.add_user("U0ADMIN", tz="UTC", name="ada", is_admin=True)
    return "U0ADMIN"


@pytest.fixture
def platform(okr):
    """A second team, led by Eve."""
    with okr.session() as s:
        team = Team(name="Platform", channel="C0PLAT")
        s.add(team)
        s.flush()
        s.add(TeamLead(team_id=team.id, user_id="U0EVE"))
        return team.id


# --------------------------------------------------------------------------- opening


def test_new_opens_a_form_with_the_callers_teams_and_five_kr_rows(okr, platform):
    view = open_form(okr)
    assert view["callback_id"] == ids.OBJECTIVE_VIEW
    team_block = next(b for b in view["blocks"] if b.get("block_id") == ids.OBJ_TEAM_BLOCK)
    options = team_block["element"]["options"]
    assert [o["text"]["text"] for o in options] == ["Growth"]  # not Platform: Lena leads Growth only
    assert team_block["element"]["initial_option"]["text"]["text"] == "Growth"
    block_ids = {b.get("block_id") for b in view["blocks"]}
    for key in ("n0", "n1", "n2", "n3", "n4"):
        for prefix in (ids.KR_TITLE_BLOCK, ids.KR_OWNER_BLOCK, ids.KR_BASELINE_BLOCK, ids.KR_TARGET_BLOCK,
                       ids.KR_UNIT_BLOCK):
            assert row(prefix, key) in block_ids
    assert "Cycle: 2026-Q4" in blocks_text(view)
    assert len(view["blocks"]) <= 100


def test_admins_choose_among_every_team(okr, admin, platform):
    view = open_form(okr, admin)
    team_block = next(b for b in view["blocks"] if b.get("block_id") == ids.OBJ_TEAM_BLOCK)
    assert [o["text"]["text"] for o in team_block["element"]["options"]] == ["Growth", "Platform"]
    assert "initial_option" not in team_block["element"]
    # Naming the team picks it.
    view = open_form(okr, admin, "new platform")
    team_block = next(b for b in view["blocks"] if b.get("block_id") == ids.OBJ_TEAM_BLOCK)
    assert [o["text"]["text"] for o in team_block["element"]["options"]] == ["Platform"]


@pytest.mark.parametrize("user, text, expected", [
    ("U0ALICE", "new", "Only a team's leads and workspace admins can write objectives, and you lead no team."),
    ("U0ALICE", "edit", "Only a team's leads and workspace admins can edit objectives, and you lead no team."),
    ("U0LEAD", "new Platform", "Only Platform's leads and workspace admins can write its objectives."),
    ("U0LEAD", "edit Platform", "Only Platform's leads and workspace admins can edit its objectives."),
    ("U0LEAD", "new Nope", "There is no team called “Nope”."),
])
def test_refusals_are_one_sentence(okr, platform, user, text, expected):
    answer = command(okr, user, text)
    assert answer["text"].startswith(expected)
    assert okr.fake.calls_to("views.open") == []


def test_new_without_a_cycle_says_how_to_add_one(okr):
    okr.clock.set(datetime(2027, 2, 1, 12, 0, tzinfo=UTC))
    answer = command(okr, "U0LEAD", "new")
    assert answer["text"] == ("No OKR cycle covers today (2027-02-01), and objectives belong to a cycle. A workspace "
                              "admin can add one: `/okr cycle add 2027-Q1 2027-01-01 2027-03-31`.")


def test_an_upcoming_cycle_can_be_chosen(okr, admin):
    assert command(okr, admin, "cycle add 2027-Q1 2027-01-01 2027-03-31")["text"].startswith("Added cycle")
    view = open_form(okr)
    cycle_block = next(b for b in view["blocks"] if b.get("block_id") == ids.OBJ_CYCLE_BLOCK)
    labels = [o["text"]["text"] for o in cycle_block["element"]["options"]]
    assert labels == ["2026-Q4 (2026-10-01 to 2026-12-31)", "2027-Q1 (2027-01-01 to 2027-03-31, starts 2027-01-01)"]
    with okr.session() as s:
        q1 = s.exec(select(Cycle).where(Cycle.name == "2027-Q1")).one()
    resp = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: SUPPORT, ids.OBJ_CYCLE_BLOCK: str(q1.id)},
                           **GOOD_KRS)
    assert resp.json()["response_action"] == "update"
    assert objectives(okr)[-1].cycle_id == q1.id


# --------------------------------------------------------------------------- saving


def test_a_well_written_objective_is_saved_at_once(okr):
    view = open_form(okr)
    resp = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: f"  {SUPPORT} ", ids.OBJ_TYPE_BLOCK: "committed"},
                           **GOOD_KRS)
    answer = resp.json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    text = blocks_text(answer["view"])
    assert f"Added “{SUPPORT}” (Growth · 2026-Q4, committed) with 2 key results." in text
    assert "4 hours → 1 hours" in text and "82% → 90%" in text
    saved = objectives(okr)[-1]
    assert (saved.title, saved.type, saved.key) == (SUPPORT, "committed", SUPPORT)
    krs = krs_of(okr, saved.id)
    assert [(k.title, k.owner_id, k.baseline, k.target, k.unit) for k in krs] == [
        ("Reduce median first response time from 4 hours to 1 hour", "U0BOB", 4.0, 1.0, "hours"),
        ("Increase CSAT from 82% to 90%", "U0ALICE", 82.0, 90.0, "%"),
    ]
    # The new KRs are live at once: Bob's check-in form now holds his new KR.
    command(okr, "U0BOB", "checkin")
    assert "Reduce median first response time" in blocks_text(last_opened(okr))


def test_field_errors_stay_in_the_form_and_nothing_is_stored(okr):
    view = open_form(okr)
    fields = {ids.OBJ_TITLE_BLOCK: SUPPORT,
              **kr_fields("n0", "Reduce median first response time from 4 hours to 1 hour", "", "abc", "1"),
              **kr_fields("n1", "Increase CSAT from 82% to 90%", "U0ALICE", "90", "90%"),
              **kr_fields("n2", "", "U0BOB", "", "", ""),
              row(ids.KR_UNIT_BLOCK, "n3"): "x" * 30}
    answer = fill_and_submit(okr, "U0LEAD", view, **fields).json()
    assert answer["response_action"] == "errors"
    errors = answer["errors"]
    assert errors[row(ids.KR_OWNER_BLOCK, "n0")] == "Choose the owner: the person who checks in on it every week."
    assert "“abc” is not a number" in errors[row(ids.KR_BASELINE_BLOCK, "n0")]
    assert errors[row(ids.KR_TARGET_BLOCK, "n1")].startswith("The baseline and target are both 90;")
    assert errors[row(ids.KR_TITLE_BLOCK, "n2")] == "The key result's title is empty; it needs some text."
    assert errors[row(ids.KR_BASELINE_BLOCK, "n2")] == "Enter the baseline, e.g. 22 or 35%."
    assert errors[row(ids.KR_UNIT_BLOCK, "n3")] == "The unit is 30 characters long; keep it to 24 at most."
    assert row(ids.KR_TITLE_BLOCK, "n4") not in errors  # a blank row is ignored
    assert len(objectives(okr)) == 1


def test_an_objective_needs_a_title_and_a_key_result(okr):
    view = open_form(okr)
    errors = fill_and_submit(okr, "U0LEAD", view).json()["errors"]
    assert errors == {ids.OBJ_TITLE_BLOCK: "The objective's title is empty; it needs some text."}
    errors = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: SUPPORT}).json()["errors"]
    assert errors == {row(ids.KR_TITLE_BLOCK, "n0"): "An objective needs at least one key result: fill in a row's "
                                                     "title, owner, baseline and target."}


def test_duplicate_titles_are_refused(okr):
    view = open_form(okr)
    errors = fill_and_submit(okr, "U0LEAD", view, **{
        ids.OBJ_TITLE_BLOCK: "make self-serve onboarding effortless for mid-market customers"}, **GOOD_KRS,
        **kr_fields("n2", "increase csat from 82% to 90%", "U0BOB", "1", "2")).json()["errors"]
    assert errors[ids.OBJ_TITLE_BLOCK].startswith("Growth already has an objective called")
    assert errors[row(ids.KR_TITLE_BLOCK, "n2")] == ("Another key result of this objective has this title; make each "
                                                     "one distinct.")


# --------------------------------------------------------------------------- the coach


def test_coach_notes_come_back_as_a_review_and_save_anyway_saves(okr):
    view = open_form(okr)
    answer = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: "Launch v2"},
                             **kr_fields("n0", "Ship AI dashboard", "U0ALICE", "0", "1")).json()
    assert answer["response_action"] == "update"
    review = answer["view"]
    assert review["callback_id"] == ids.OBJECTIVE_REVIEW_VIEW
    assert review["submit"]["text"] == "Save anyway"
    text = blocks_text(review)
    for rule in ("objective-is-task", "too-few-krs", "task-not-outcome"):
        assert f"`{rule}`" in text
    assert len(objectives(okr)) == 1  # nothing saved yet
    saved = submit_view(okr, "U0LEAD", review, view_id=view["id"]).json()
    assert saved["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    launched = objectives(okr)[-1]
    assert launched.title == "Launch v2"
    assert [k.title for k in krs_of(okr, launched.id)] == ["Ship AI dashboard"]


def test_back_to_edit_restores_the_form_as_typed(okr):
    view = open_form(okr)
    review = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: "Launch v2", ids.OBJ_TYPE_BLOCK: "committed"},
                             **kr_fields("n0", "Ship AI dashboard", "U0ALICE", "0", "1", "dashboards")).json()["view"]
    click_in_view(okr, "U0LEAD", view["id"], ids.BACK_TO_FORM, private_metadata=review["private_metadata"])
    form = okr.fake.view(view["id"])
    assert form["callback_id"] == ids.OBJECTIVE_VIEW
    values = state_of(form)
    assert values[ids.OBJ_TITLE_BLOCK][ids.FIELD_ACTION]["value"] == "Launch v2"
    assert values[ids.OBJ_TYPE_BLOCK][ids.FIELD_ACTION]["selected_option"]["value"] == "committed"
    assert values[row(ids.KR_OWNER_BLOCK, "n0")][ids.FIELD_ACTION]["selected_user"] == "U0ALICE"
    assert values[row(ids.KR_UNIT_BLOCK, "n0")][ids.FIELD_ACTION]["value"] == "dashboards"
    # Fixed now, it saves without a review.
    answer = fill_and_submit(okr, "U0LEAD", form, **{ids.OBJ_TITLE_BLOCK: SUPPORT}, **GOOD_KRS).json()
    assert answer["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW


def test_a_fourth_objective_is_a_warning_not_a_refusal(okr):
    for title in ("Make support instant for everyone", "Make billing painless for finance teams"):
        view = open_form(okr)
        assert fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: title}, **GOOD_KRS).json()[
            "view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    assert len(objectives(okr)) == 3
    view = open_form(okr)
    review = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: SUPPORT}, **GOOD_KRS).json()["view"]
    assert review["callback_id"] == ids.OBJECTIVE_REVIEW_VIEW
    assert "Growth has 4 objectives in 2026-Q4" in blocks_text(review)
    submit_view(okr, "U0LEAD", review, view_id=view["id"])
    assert len(objectives(okr)) == 4


# --------------------------------------------------------------------------- forged requests


def test_a_forged_submission_from_a_non_lead_changes_nothing(okr):
    with okr.session() as s:
        growth = s.exec(select(Team)).one()
        before = [(o.id, o.title, o.archived_at) for o in s.exec(select(Objective))]
        kr_before = [(k.id, k.title, k.target, k.archived_at) for k in s.exec(select(KeyResult))]
    # Alice submits a form she was never shown: the one the lead got, filled in for Growth.
    view = open_form(okr)
    answer = fill_and_submit(okr, "U0ALICE", view, **{ids.OBJ_TITLE_BLOCK: SUPPORT}, **GOOD_KRS).json()
    assert answer == {"response_action": "errors", "errors": {
        ids.OBJ_TEAM_BLOCK: "Only Growth's leads and workspace admins can write or edit its objectives."}}
    # The same as a forged "Save anyway", and as a forged edit that archives the objective and a KR.
    objective_id, kr_id = before[0][0], kr_before[0][0]
    review = {"type": "modal", "callback_id": ids.OBJECTIVE_REVIEW_VIEW, "blocks": [], "private_metadata": json.dumps(
        {"o": None, "t": growth.id, "c": 1, "ti": SUPPORT, "ty": "committed", "a": 0,
         "r": [["n0", "Increase CSAT from 82% to 90%", "U0ALICE", "82", "90", "%", 0]]})}
    answer = submit_view(okr, "U0ALICE", review).json()
    assert "Only a team's leads and workspace admins can write objectives, and you lead no team." in blocks_text(
        answer["view"])
    edit = {"type": "modal", "callback_id": ids.OBJECTIVE_REVIEW_VIEW, "blocks": [], "private_metadata": json.dumps(
        {"o": objective_id, "t": None, "c": None, "ti": "Hijacked", "ty": "committed", "a": 1,
         "r": [[f"k{kr_id}", "x", "U0EVE", "1", "2", "", 1]]})}
    answer = submit_view(okr, "U0EVE", edit).json()
    assert answer["response_action"] == "update"
    assert "Only Growth's leads and workspace admins can edit its objectives." in blocks_text(answer["view"])
    with okr.session() as s:
        assert [(o.id, o.title, o.archived_at) for o in s.exec(select(Objective))] == before
        assert [(k.id, k.title, k.target, k.archived_at) for k in s.exec(select(KeyResult))] == kr_before


def test_garbage_payloads_get_a_sentence_not_a_trace(okr):
    for metadata in ("", "not json", json.dumps({"o": "1; drop", "r": ["../x", 7, None]}), json.dumps([1, 2])):
        view = {"type": "modal", "callback_id": ids.OBJECTIVE_VIEW, "blocks": [], "private_metadata": metadata}
        answer = submit_view(okr, "U0LEAD", view, {ids.OBJ_TITLE_BLOCK: {"x": 1}}).json()
        # The view has no team field to show the error on, so Slack would refuse errors=...: it gets a modal.
        assert answer["response_action"] == "update"
        assert "Choose the team this objective belongs to." in blocks_text(answer["view"])
        review = dict(view, callback_id=ids.OBJECTIVE_REVIEW_VIEW)
        assert submit_view(okr, "U0LEAD", review).json()["response_action"] == "update"
    assert len(objectives(okr)) == 1


# --------------------------------------------------------------------------- editing and archiving


def growth_ids(okr):
    with okr.session() as s:
        objective = s.exec(select(Objective)).one()
        return objective.id, {k.key: k.id for k in s.exec(select(KeyResult))}


def test_edit_opens_the_only_objective_filled_in(okr):
    view = open_form(okr, text="edit")
    objective_id, k = growth_ids(okr)
    assert view["title"]["text"] == "Edit objective"
    assert "Growth · 2026-Q4" in blocks_text(view)
    values = state_of(view)
    assert values[ids.OBJ_TITLE_BLOCK][ids.FIELD_ACTION]["value"].startswith("Make self-serve onboarding")
    d7 = f"k{k['d7-activation']}"
    assert values[row(ids.KR_BASELINE_BLOCK, d7)][ids.FIELD_ACTION]["value"] == "22"
    assert values[row(ids.KR_UNIT_BLOCK, d7)][ids.FIELD_ACTION]["value"] == "%"
    assert values[row(ids.KR_OWNER_BLOCK, d7)][ids.FIELD_ACTION]["selected_user"] == "U0ALICE"
    assert row(ids.KR_ARCHIVE_BLOCK, d7) in values and ids.OBJ_ARCHIVE_BLOCK in values
    assert row(ids.KR_TITLE_BLOCK, "n0") in values and row(ids.KR_TITLE_BLOCK, "n1") in values
    # Saving it untouched changes nothing and needs no review.
    before = krs_of(okr, objective_id)
    answer = submit_view(okr, "U0LEAD", view, values).json()
    assert answer["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    assert krs_of(okr, objective_id) == before


def test_edit_changes_a_kr_adds_one_and_archives_one_keeping_its_history(okr):
    objective_id, k = growth_ids(okr)
    check_in(okr, "U0BOB", datetime(2026, 11, 20, 12, 0, tzinfo=UTC), {"ttfv": ("12 days", "green", "")})
    okr.clock.set(NOW)
    view = open_form(okr, text="edit")
    d7, ttfv = f"k{k['d7-activation']}", f"k{k['ttfv']}"
    answer = fill_and_submit(okr, "U0LEAD", view, **{
        row(ids.KR_TARGET_BLOCK, d7): "40%", row(ids.KR_OWNER_BLOCK, d7): "U0EVE",
        row(ids.KR_ARCHIVE_BLOCK, ttfv): True,
        **kr_fields("n0", "Increase trial-to-paid conversion from 8% to 12%", "U0BOB", "8", "12", "%")}).json()
    assert answer["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW, answer
    text = blocks_text(answer["view"])
    assert "with 3 key results" in text and "Archived 1 key result; their check-ins are kept." in text
    krs = {kr.title: kr for kr in krs_of(okr, objective_id)}
    d7_row = krs["Increase Day-7 activation rate from 22% to 35%"]
    assert (d7_row.target, d7_row.owner_id, d7_row.key) == (40.0, "U0EVE", "d7-activation")
    assert krs["Reduce median time-to-first-value from 14 days to 7 days"].archived_at == NOW
    assert krs["Increase trial-to-paid conversion from 8% to 12%"].owner_id == "U0BOB"
    # Archived: its check-in is kept, but it is gone from Bob's check-in form, from status and from the digest.
    with okr.session() as s:
        assert [c.kr_id for c in s.exec(select(CheckIn))] == [k["ttfv"]]
    command(okr, "U0BOB", "checkin")
    form = blocks_text(last_opened(okr))
    assert "time-to-first-value" not in form and "trial-to-paid" in form
    status = json.dumps(command(okr, "U0LEAD", "status Growth"))
    assert "time-to-first-value" not in status and "trial-to-paid" in status
    digest = json.dumps(command(okr, "U0LEAD", "digest Growth preview"))
    assert "time-to-first-value" not in digest


def test_archiving_the_objective_keeps_its_checkins(okr):
    objective_id, k = growth_ids(okr)
    check_in(okr, "U0ALICE", datetime(2026, 11, 20, 12, 0, tzinfo=UTC), {"wau": ("12%", "green", "")})
    okr.clock.set(NOW)
    view = open_form(okr, text="edit")
    answer = fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_ARCHIVE_BLOCK: True, ids.OBJ_TITLE_BLOCK: ""}).json()
    assert answer["response_action"] == "update"
    assert "Archived “Make self-serve onboarding" in blocks_text(answer["view"])
    assert "Its 3 key results leave" in blocks_text(answer["view"])
    (archived,) = objectives(okr)
    assert archived.archived_at == NOW and archived.title.startswith("Make self-serve")
    with okr.session() as s:
        assert len(s.exec(select(CheckIn)).all()) == 1
    assert "own no key results" in command(okr, "U0ALICE", "status me")["text"]
    assert command(okr, "U0LEAD", "edit")["text"].startswith("There are no objectives in a current cycle for Growth")


def test_edit_with_several_objectives_picks_one_first(okr):
    view = open_form(okr)
    fill_and_submit(okr, "U0LEAD", view, **{ids.OBJ_TITLE_BLOCK: SUPPORT}, **GOOD_KRS)
    picker = open_form(okr, text="edit")
    assert picker["callback_id"] == ids.EDIT_PICK_VIEW
    options = picker["blocks"][0]["accessory"]["options"]
    assert [o["text"]["text"] for o in options] == [
        "Growth · 2026-Q4 · Make self-serve onboarding effortless for mid-market cu…", f"Growth · 2026-Q4 · {SUPPORT}"]
    click_in_view(okr, "U0LEAD", picker["id"], ids.PICK_OBJECTIVE, selected=options[1]["value"],
                  block_id=ids.OBJ_PICK_BLOCK)
    form = okr.fake.view(picker["id"])
    assert form["callback_id"] == ids.OBJECTIVE_VIEW
    assert state_of(form)[ids.OBJ_TITLE_BLOCK][ids.FIELD_ACTION]["value"] == SUPPORT
    # Someone who may not edit it gets a sentence instead of the form, even for a forged pick.
    click_in_view(okr, "U0EVE", picker["id"], ids.PICK_OBJECTIVE, selected=options[1]["value"],
                  block_id=ids.OBJ_PICK_BLOCK)
    assert "Only Growth's leads and workspace admins can edit its objectives." in blocks_text(
        okr.fake.view(picker["id"]))


def test_admin_edits_a_team_without_leads(okr, admin):
    with okr.session() as s:
        for lead in s.exec(select(TeamLead)).all():
            s.delete(lead)
    objective_id, _ = growth_ids(okr)
    view = open_form(okr, admin, "edit")
    answer = fill_and_submit(okr, admin, view, **{ids.OBJ_TYPE_BLOCK: "committed"}).json()
    assert answer["view"]["callback_id"] == ids.OBJECTIVE_SAVED_VIEW
    assert objectives(okr)[0].type == "committed"


def test_an_archived_kr_leaves_the_weekly_prompt(okr):
    _, k = growth_ids(okr)
    view = open_form(okr, text="edit")
    fill_and_submit(okr, "U0LEAD", view, **{row(ids.KR_ARCHIVE_BLOCK, f"k{k['ttfv']}"): True})
    okr.tick(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))  # every owner's Friday 10:00 has passed
    assert okr.fake.dms_to("U0BOB") == []  # Bob's only KR is archived
    assert len(okr.fake.dms_to("U0ALICE")) == 1
