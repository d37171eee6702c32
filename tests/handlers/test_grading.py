"""The end of the quarter end to end, over signed HTTP against the fake Slack, on SQLite and PostgreSQL:
cycle end -> the lead's grading DM -> the grading modal -> the channel's report -> carried-over KRs -> the lessons
in /okr new; re-grading; and a forged submission by someone who is not a lead."""

from sqlmodel import select

from bot.slack import ids
from storage.models import Objective
from tests.authoring_flows import last_opened, state_of, submit_view
from tests.flows import at, buttons, dms, wait_for
from tests.quarter_flows import (GRADE_DM, cycle_krs, end_growth_cycle, grading_fields, gradings, kr_grades,
                                 kr_id)


def reports(okr):
    return [m for m in okr.fake.messages("C0GROWTH") if "graded for Growth" in m["text"]]


def _open_from_dm(okr):
    (dm,) = dms(okr, "U0LEAD", GRADE_DM)
    (grade,) = [b for b in buttons(dm) if b["action_id"] == ids.OPEN_GRADING]
    assert okr.slack.click("U0LEAD", ids.OPEN_GRADING, grade["value"]).status == 200
    view = last_opened(okr)
    assert view["callback_id"] == ids.GRADING_VIEW
    return view


def test_cycle_end_to_grades_report_carry_over_and_lessons(okr):
    end_growth_cycle(okr)
    okr.tick(at("2026-11-27T08:59"))
    assert dms(okr, "U0LEAD", GRADE_DM) == []
    okr.tick(at("2026-11-27T09:00"))
    okr.tick(at("2026-11-27T09:01"))
    (dm,) = dms(okr, "U0LEAD", GRADE_DM)
    assert dm["text"] == "Time to grade 2026-Q4 for Growth"
    rendered = okr.fake.render(dm)
    assert "score *0.54* against its line of 0.7" in rendered  # (0.62 + 1.0 + 0.0) / 3

    view = _open_from_dm(okr)
    d7, ttfv, wau = (kr_id(okr, k) for k in ("d7-activation", "ttfv", "wau"))
    grade_of = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"] if b["type"] == "input"}
    assert grade_of[ids.kr_block(ids.GRADE_BLOCK, d7)] == "0.62"
    assert grade_of[ids.kr_block(ids.GRADE_BLOCK, ttfv)] == "1.00"
    assert grade_of[ids.kr_block(ids.GRADE_BLOCK, wau)] == "0.00"
    # Bob's KR reached its target: nothing to carry or drop.
    assert ids.kr_block(ids.NEXT_BLOCK, ttfv) not in grade_of and ids.kr_block(ids.NEXT_BLOCK, wau) in grade_of

    # A grade far from the computed score needs evidence; the retrospective needs "what we change".
    fields = grading_fields(okr, grades={"d7-activation": "0.9"}, change=None)
    resp = submit_view(okr, "U0LEAD", view, state_of(view, **fields))
    errors = resp.json()["errors"]
    assert set(errors) == {ids.kr_block(ids.EVIDENCE_BLOCK, d7), ids.RETRO_CHANGE_BLOCK}
    assert "0.90 is more than 0.1 away from the computed 0.62" in errors[ids.kr_block(ids.EVIDENCE_BLOCK, d7)]
    resp = submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(okr, grades={"d7-activation": "9"})))
    assert "0.0 to 1.0" in resp.json()["errors"][ids.kr_block(ids.GRADE_BLOCK, d7)]
    assert gradings(okr) == []

    fields = grading_fields(
        okr, grades={"d7-activation": "0.9"}, evidence={"d7-activation": "Cohort data after the fix shows 33%"},
        decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.DROP_VALUE},
        change="Write KRs from the funnel data\n- Check in every Friday", worked="Weekly check-ins")
    resp = submit_view(okr, "U0LEAD", view, state_of(view, **fields))
    answer = resp.json()
    # The lead gets the edit form of what was carried over, to confirm its target.
    assert answer["response_action"] == "update" and answer["view"]["callback_id"] == ids.OBJECTIVE_VIEW
    assert "carried over to 2027-Q1" in okr.fake.render(answer["view"]["blocks"])

    (grading,) = gradings(okr)
    assert grading.graded_by == "U0LEAD" and grading.worked == "Weekly check-ins"
    grades = kr_grades(okr, grading.id)
    assert (grades[d7].grade, grades[d7].decision, grades[d7].evidence) == (0.9, "carry", "Cohort data after the fix shows 33%")
    assert (grades[ttfv].grade, grades[ttfv].decision) == (1.0, "") and grades[wau].decision == "drop"
    (carried,) = cycle_krs(okr, "2027-Q1")
    assert (carried.title, carried.owner_id, carried.unit, carried.baseline, carried.target) == (
        "Increase Day-7 activation rate from 22% to 35%", "U0ALICE", "%", 30, 35)
    assert grades[d7].carried_kr_id == carried.id

    (report,) = wait_for(lambda: reports(okr))
    assert report["text"].startswith("2026-Q4 graded for Growth: 0 of 1 objective met the line")
    shown = okr.fake.render(report)
    assert "Cohort data after the fix shows 33%" in shown and "Write KRs from the funnel data" in shown
    assert "Carried over to 2027-Q1" in shown and "Dropped:" in shown
    # The tick does not post it again, nor DM the lead again now that the cycle is graded.
    okr.tick(at("2026-12-02T09:00"))
    assert len(reports(okr)) == 1 and len(dms(okr, "U0LEAD", "Reminder:")) == 0

    # The next cycle remembers: /okr new shows the lessons at the top of the form.
    okr.clock.set(at("2026-12-03T10:00"))
    assert okr.slack.command("U0LEAD", "new").status == 200
    form = okr.fake.render(last_opened(okr)["blocks"])
    assert "Write KRs from the funnel data" in form and "Check in every Friday" in form and "2026-Q4" in form


def test_regrade_replaces_the_grades_and_keeps_the_history(okr):
    end_growth_cycle(okr)
    okr.clock.set(at("2026-11-27T10:00"))
    assert okr.slack.command("U0LEAD", "grade").status == 200
    view = last_opened(okr)
    submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(
        okr, decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.CARRY_VALUE})))
    assert len(cycle_krs(okr, "2027-Q1")) == 2
    okr.clock.set(at("2026-11-30T10:00"))
    assert okr.slack.command("U0LEAD", "grade Growth 2026-Q4").status == 200
    again = last_opened(okr)
    assert "Re-grading" in okr.fake.render(again["blocks"])
    submit_view(okr, "U0LEAD", again, state_of(again, **grading_fields(
        okr, grades={"wau": "0.1"}, decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.CARRY_VALUE},
        change="Smaller bets")), view_id="V0REGRADE")
    first, second = gradings(okr)
    assert first.superseded_at is not None and second.superseded_at is None and second.change_next == "Smaller bets"
    assert kr_grades(okr, first.id)[kr_id(okr, "wau")].grade == 0.0
    assert kr_grades(okr, second.id)[kr_id(okr, "wau")].grade == 0.1
    # Carried once: the re-grade links to the KRs already in 2027-Q1.
    assert len(cycle_krs(okr, "2027-Q1")) == 2
    posted = wait_for(lambda: len(reports(okr)) == 2 and reports(okr))
    assert "Smaller bets" in okr.fake.render(posted[-1])


def test_a_non_lead_cannot_grade_and_a_forged_submission_changes_nothing(okr):
    end_growth_cycle(okr)
    okr.clock.set(at("2026-11-27T10:00"))
    answer = okr.slack.command("U0ALICE", "grade Growth")
    assert "Only Growth's leads and workspace admins can grade its cycles" in answer.json()["text"]
    assert okr.slack.command("U0LEAD", "grade").status == 200
    view = last_opened(okr)
    fields = grading_fields(okr, decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.CARRY_VALUE})
    resp = submit_view(okr, "U0ALICE", view, state_of(view, **fields))
    assert "Only Growth's leads" in resp.json()["errors"][ids.RETRO_CHANGE_BLOCK]
    assert gradings(okr) == [] and cycle_krs(okr, "2027-Q1") == []
    assert reports(okr) == []


def test_without_a_next_cycle_the_lead_is_told_how_and_nothing_is_carried(okr):
    end_growth_cycle(okr, next_cycle=False)
    okr.clock.set(at("2026-11-27T10:00"))
    assert okr.slack.command("U0LEAD", "grade").status == 200
    view = last_opened(okr)
    resp = submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(
        okr, decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.DROP_VALUE})))
    shown = okr.fake.render(resp.json()["view"]["blocks"])
    assert "no cycle after 2026-Q4 yet" in shown and "/okr cycle add" in shown
    with okr.session() as s:
        assert len(s.exec(select(Objective)).all()) == 1


def test_the_coach_notes_a_new_kr_that_repeats_a_weak_one_of_last_cycle_unchanged(okr):
    from tests.authoring_flows import kr_fields

    end_growth_cycle(okr)
    okr.clock.set(at("2026-11-27T10:00"))
    assert okr.slack.command("U0LEAD", "grade").status == 200
    view = last_opened(okr)
    submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(
        okr, decisions={"d7-activation": ids.DROP_VALUE, "wau": ids.DROP_VALUE})))
    okr.clock.set(at("2026-12-01T10:00"))
    assert okr.slack.command("U0LEAD", "new").status == 200
    form = last_opened(okr)
    fields = {ids.OBJ_TITLE_BLOCK: "Make analytics part of every team's week",
              **kr_fields("n0", "Reach 40% weekly active usage of analytics", "U0ALICE", "10", "40", "%"),
              **kr_fields("n1", "Reach 25% weekly active usage of analytics dashboards", "U0ALICE", "10", "25", "%")}
    resp = submit_view(okr, "U0LEAD", form, state_of(form, **fields))
    review = resp.json()["view"]
    assert review["callback_id"] == ids.OBJECTIVE_REVIEW_VIEW
    shown = okr.fake.render(review["blocks"])
    assert shown.count("repeats-weak-kr") == 1 and "graded 0.00" in shown


def test_status_of_a_past_cycle_shows_its_final_grades(okr):
    end_growth_cycle(okr)
    okr.clock.set(at("2026-11-27T10:00"))
    ungraded = okr.slack.command("U0ALICE", "status Growth 2026-Q4").json()
    assert "not graded yet" in ungraded["text"] and "computed 0.62" in okr.fake.render(ungraded["blocks"])
    assert okr.slack.command("U0LEAD", "grade").status == 200
    view = last_opened(okr)
    submit_view(okr, "U0LEAD", view, state_of(view, **grading_fields(
        okr, grades={"d7-activation": "0.9"}, evidence={"d7-activation": "Cohort data shows 33%"},
        decisions={"d7-activation": ids.CARRY_VALUE, "wau": ids.DROP_VALUE})))
    answer = okr.slack.command("U0ALICE", "status Growth 2026-Q4").json()
    shown = okr.fake.render(answer["blocks"])
    assert answer["text"] == "Growth · 2026-Q4: final grades"
    assert "graded *0.90* — Cohort data shows 33% (carried over)" in shown
    assert "Write KRs from the funnel data" in shown and "grade *0.63* against its line of 0.7" in shown
