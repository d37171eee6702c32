"""Slack refusing a modal okrbot meant to show (a trigger too old, a modal that moved on or was closed) reaches the
person as a sentence, with one log line, never as a 500 or a traceback."""

from __future__ import annotations

import logging

from bot.slack import ids
from tests.authoring_flows import click_in_view, fill_and_submit
from tests.handlers.test_authoring import GOOD_KRS, SUPPORT, open_form


def picker(okr) -> dict:
    """The edit picker, with two objectives to choose from."""
    fill_and_submit(okr, "U0LEAD", open_form(okr), **{ids.OBJ_TITLE_BLOCK: SUPPORT}, **GOOD_KRS)
    view = open_form(okr, text="edit")
    assert view["callback_id"] == ids.EDIT_PICK_VIEW
    return view


def pick_second(okr, view: dict):
    options = view["blocks"][0]["accessory"]["options"]
    return click_in_view(okr, "U0LEAD", view["id"], ids.PICK_OBJECTIVE, selected=options[1]["value"],
                         block_id=ids.OBJ_PICK_BLOCK)


def warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "handlers.respond"]


def test_a_slash_command_whose_trigger_expired_answers_with_a_sentence(okr, caplog):
    okr.fake.fail_next("views.open", status=200, error="expired_trigger_id")
    resp = okr.slack.command("U0ALICE", "checkin")
    assert resp.status == 200 and "Traceback" not in resp.body
    assert resp.json()["text"] == "Slack gave okrbot too little time to open that form. Please try again."
    assert okr.fake.views_opened() == []
    (record,) = warnings(caplog)
    assert record.levelno == logging.WARNING and "expired_trigger_id" in record.getMessage()
    assert record.exc_info is None
    # The next try opens it.
    assert okr.slack.command("U0ALICE", "checkin").status == 200
    assert okr.fake.views_opened()[-1]["callback_id"] == ids.CHECKIN_VIEW


def test_a_modal_that_moved_on_gets_a_note_pushed_on_top_instead_of_being_overwritten(okr, caplog):
    view = picker(okr)
    okr.fake.fail_next("views.update", status=200, error="hash_conflict")
    pick_second(okr, view)
    assert okr.fake.view(view["id"])["callback_id"] == ids.EDIT_PICK_VIEW  # left as it is
    (pushed,) = okr.fake.views_pushed()
    assert "That form changed meanwhile" in okr.fake.render(pushed)
    assert [r.levelno for r in warnings(caplog)] == [logging.WARNING]


def test_a_modal_closed_meanwhile_is_said_in_a_dm(okr, caplog):
    view = picker(okr)
    okr.fake.close_view(view["id"])
    pick_second(okr, view)
    (dm,) = okr.fake.dms_to("U0LEAD")
    assert dm["text"] == "That form was closed before okrbot could show its answer. Please open it again."
    assert okr.fake.views_pushed() == []
    assert "not_found" in warnings(caplog)[0].getMessage()


def test_a_home_button_whose_trigger_expired_says_so_in_a_dm(okr):
    okr.fake.fail_next("views.open", status=200, error="expired_trigger_id")
    resp = okr.slack.interactive({
        "type": "block_actions", "user": {"id": "U0ALICE", "team_id": okr.slack.team_id},
        "team": {"id": okr.slack.team_id}, "api_app_id": "A0OKR", "trigger_id": okr.slack.trigger(),
        "container": {"type": "view"}, "view": {"id": "VHOME", "type": "home"},
        "actions": [{"type": "button", "action_id": ids.OPEN_CHECKIN, "block_id": "b", "value": "home"}]})
    assert resp.status == 200
    (dm,) = okr.fake.dms_to("U0ALICE")
    assert dm["text"].startswith("Slack gave okrbot too little time")


def test_an_unexpected_refusal_is_logged_with_its_trace_and_still_answered(okr, caplog):
    okr.fake.fail_next("views.open", status=200, error="view_too_large")
    resp = okr.slack.command("U0ALICE", "checkin")
    assert resp.status == 200
    assert resp.json()["text"].startswith("Slack did not accept what okrbot tried to show you")
    (record,) = warnings(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
