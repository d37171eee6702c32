"""Editing a check-in after submitting: the Edit button and /okr checkin while the week is open, over signed HTTP,
the versions kept, export showing the current one, and alerts never sent twice for one drop."""

import itertools

import yaml
from sqlmodel import select

from bot.okr_files.exporter import export_yaml
from bot.slack import ids
from storage.models import CheckIn
from tests.flows import ALERT, at, dms, kr_ids, wait_for

_views = itertools.count(1)


def open_form(okr, user, when, text="checkin"):
    """/okr checkin at `when`: the modal as opened, and its view id in the fake."""
    okr.clock.set(when)
    assert okr.slack.command(user, text).status == 200
    return okr.fake.views_opened()[-1]


def submit(okr, user, view, answers):
    resp = okr.slack.submit(user, view, {kr_ids(okr)[k]: a for k, a in answers.items()}, view_id=view["id"])
    assert resp.status == 200, resp.body
    return resp.json()


def click_edit(okr, user, view, when, for_user):
    """The Edit button of the confirmation shown in that modal: Slack sends the click with the modal's id and hash."""
    okr.clock.set(when)
    stored = okr.fake.view(view["id"])
    resp = okr.slack.interactive({
        "type": "block_actions", "user": {"id": user, "team_id": okr.slack.team_id}, "team": {"id": okr.slack.team_id},
        "api_app_id": "A0OKR", "trigger_id": okr.slack.trigger(),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {"id": view["id"], "hash": stored["hash"], "callback_id": ids.CHECKIN_DONE_VIEW, "type": "modal",
                 "private_metadata": "", "state": {"values": {}}},
        "actions": [{"type": "button", "action_id": ids.EDIT_CHECKIN, "block_id": "b", "value": for_user,
                     "action_ts": "1"}]})
    assert resp.status == 200, resp.body
    (update,) = okr.fake.calls_to("views.update")[-1:]
    assert update.params["view_id"] == view["id"]
    return dict(update.params["view"], id=view["id"])


def fields(view, kr_id):
    """What the form shows filled in for one KR: (value, confidence, note)."""
    blocks = {b.get("block_id"): b.get("element", {}) for b in view["blocks"]}
    value = blocks[ids.kr_block(ids.VALUE_BLOCK, kr_id)].get("initial_value")
    option = blocks[ids.kr_block(ids.CONFIDENCE_BLOCK, kr_id)].get("initial_option") or {}
    note = blocks[ids.kr_block(ids.NOTE_BLOCK, kr_id)].get("initial_value")
    return value, option.get("value"), note


def versions(okr, key="ttfv"):
    with okr.session() as s:
        return s.exec(select(CheckIn).where(CheckIn.kr_id == kr_ids(okr)[key]).order_by(CheckIn.id)).all()


def test_edit_after_submitting_replaces_the_weeks_check_in_and_keeps_both(okr):
    okr.tick(at("2026-11-26T12:00"))  # Bob's prompt for the week of Nov 20
    view = open_form(okr, "U0BOB", at("2026-11-26T13:00"))
    assert all(fields(view, kr_ids(okr)["ttfv"])[i] is None for i in range(3))  # nothing to edit yet
    done = submit(okr, "U0BOB", view, {"ttfv": ("13", "green", "")})
    edit = [e for b in done["view"]["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(e["action_id"], e["value"]) for e in edit] == [(ids.EDIT_CHECKIN, "U0BOB")]

    form = click_edit(okr, "U0BOB", view, at("2026-11-26T13:05"), "U0BOB")
    assert fields(form, kr_ids(okr)["ttfv"]) == ("13 days", "green", None)
    assert "You checked in this week already" in str(form["blocks"])
    okr.clock.set(at("2026-11-26T13:06"))
    answer = submit(okr, "U0BOB", form, {"ttfv": ("12", "amber", "Slower than hoped: pairing with support.")})
    assert "score *0.29* (was 0.14)" in str(answer["view"]["blocks"])
    first, second = versions(okr)
    assert (first.value, first.replaced_at, first.first_id) == (13, at("2026-11-26T13:06"), None)
    assert (second.value, second.confidence, second.replaced_at, second.first_id) == (12, "amber", None, first.id)
    assert first.prompt_id == second.prompt_id
    # Slack retrying the edit stores nothing more; the form submitted unchanged stores nothing either.
    submit(okr, "U0BOB", form, {"ttfv": ("12", "amber", "Slower than hoped: pairing with support.")})
    assert len(versions(okr)) == 2

    # /okr checkin while the week is open brings the current version back, filled in.
    again = open_form(okr, "U0BOB", at("2026-11-26T14:00"))
    assert fields(again, kr_ids(okr)["ttfv"]) == ("12 days", "amber", "Slower than hoped: pairing with support.")
    submit(okr, "U0BOB", again, {"ttfv": ("12 days", "amber", "Slower than hoped: pairing with support.")})
    assert len(versions(okr)) == 2

    with okr.session() as s:
        exported = yaml.safe_load(export_yaml(session=s))
    (latest,) = [kr["latest"] for obj in exported["objectives"] for kr in obj["key_results"] if kr["id"] == "ttfv"]
    assert (latest["value"], latest["confidence"]) == (12, "amber")
    status = str(okr.slack.command("U0BOB", "status me").json()["blocks"])
    assert "12 days of 7 days" in status and "since the previous check-in" not in status

    # Next week the form is empty again: last week's check-in is history, not something to edit.
    okr.tick(at("2026-11-27T09:00"))
    fresh = open_form(okr, "U0BOB", at("2026-11-27T10:00"))
    assert fields(fresh, kr_ids(okr)["ttfv"]) == (None, None, None)


def alerts(okr):
    return dms(okr, "U0LEAD", ALERT)


def test_an_edit_never_alerts_twice_for_the_same_drop(okr):
    okr.tick(at("2026-11-26T12:00"))
    submit(okr, "U0BOB", open_form(okr, "U0BOB", at("2026-11-26T13:00")), {"ttfv": ("13", "green", "")})
    okr.tick(at("2026-11-27T09:00"))
    view = open_form(okr, "U0BOB", at("2026-11-27T10:00"))
    submit(okr, "U0BOB", view, {"ttfv": ("14", "red", "The pipeline broke.")})
    assert wait_for(lambda: len(alerts(okr)) == 1)
    for minute, answer in ((10, ("14", "red", "The pipeline broke; a data engineer would help.")),
                           (20, ("13", "green", "False alarm.")), (30, ("14", "red", "Not a false alarm."))):
        form = click_edit(okr, "U0BOB", view, at(f"2026-11-27T10:{minute}"), "U0BOB")
        submit(okr, "U0BOB", form, {"ttfv": answer})
    okr.tick(at("2026-11-27T11:00"))  # the tick retries alerts: nothing is due
    assert len(versions(okr)) == 5
    wait_for(lambda: len(alerts(okr)) > 1, timeout=0.5)
    assert len(alerts(okr)) == 1


def test_a_new_drop_after_an_edit_alerts_as_usual(okr):
    okr.tick(at("2026-11-26T12:00"))
    submit(okr, "U0BOB", open_form(okr, "U0BOB", at("2026-11-26T13:00")), {"ttfv": ("13", "green", "")})
    okr.tick(at("2026-11-27T09:00"))
    view = open_form(okr, "U0BOB", at("2026-11-27T10:00"))
    submit(okr, "U0BOB", view, {"ttfv": ("12", "green", "")})
    wait_for(lambda: alerts(okr), timeout=0.5)
    assert alerts(okr) == []
    form = click_edit(okr, "U0BOB", view, at("2026-11-27T10:30"), "U0BOB")
    submit(okr, "U0BOB", form, {"ttfv": ("14", "red", "It got worse overnight.")})
    assert wait_for(lambda: len(alerts(okr)) == 1)
    assert "It got worse overnight." in okr.fake.render(alerts(okr)[0])


def test_a_lead_edits_on_behalf_and_others_cannot(okr):
    okr.tick(at("2026-11-26T12:00"))
    view = open_form(okr, "U0LEAD", at("2026-11-26T13:00"), "checkin <@U0BOB|bob>")
    done = submit(okr, "U0LEAD", view, {"ttfv": ("13", "green", "")})
    assert '"value": "U0BOB"' in str(done).replace("'", '"')
    form = click_edit(okr, "U0LEAD", view, at("2026-11-26T13:05"), "U0BOB")
    assert fields(form, kr_ids(okr)["ttfv"]) == ("13 days", "green", None)
    refused = click_edit(okr, "U0ALICE", view, at("2026-11-26T13:06"), "U0BOB")
    assert "You can only check in for <@U0BOB> on key results of teams you lead" in str(refused["blocks"])
