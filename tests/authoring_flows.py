"""Driving the objective form end to end: fill a modal the app opened the way Slack would, submit it, click in it."""

from __future__ import annotations

import time

from bot.slack import ids
from bot.sim.signed import TEAM_ID

def last_opened(okr) -> dict:
    """The modal the app opened last (as the fake stores it: with its id and hash)."""
    return okr.fake.views_opened()[-1]


def _initial(element: dict) -> dict:
    kind = element["type"]
    if kind == "plain_text_input":
        return {"type": kind, "value": element.get("initial_value")}
    if kind == "users_select":
        return {"type": kind, "selected_user": element.get("initial_user")}
    if kind in ("static_select", "radio_buttons"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element.get("initial_options", [])}
    raise AssertionError(f"unexpected element {kind}")


def state_of(view: dict, **fields) -> dict:
    """The state Slack would send for `view`: its initial values, with `fields` (block id -> value) typed over them.

    A value is text for text inputs, a user id for users_select, an option value for selects and radios, and a bool
    for the archive checkboxes; None clears a field.
    """
    values = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        values[block["block_id"]] = {element["action_id"]: _initial(element)}
    for block_id, value in fields.items():
        assert block_id in values, f"{block_id} is not an input of this view"
        element_state = values[block_id][ids.FIELD_ACTION]
        kind = element_state["type"]
        if kind == "plain_text_input":
            element_state["value"] = value
        elif kind == "users_select":
            element_state["selected_user"] = value
        elif kind in ("static_select", "radio_buttons"):
            element_state["selected_option"] = {"value": value} if value is not None else None
        else:
            element_state["selected_options"] = [{"value": ids.ARCHIVE_VALUE}] if value else []
    return values


def row(prefix: str, key: str) -> str:
    """A row's block id, e.g. row(ids.KR_TITLE_BLOCK, "n0")."""
    return ids.row_block(prefix, key)


def kr_fields(key: str, title: str, owner: str, baseline: str, target: str, unit: str = "") -> dict:
    """Block ids and values for one KR row of the form."""
    return {row(ids.KR_TITLE_BLOCK, key): title, row(ids.KR_OWNER_BLOCK, key): owner,
            row(ids.KR_BASELINE_BLOCK, key): baseline, row(ids.KR_TARGET_BLOCK, key): target,
            row(ids.KR_UNIT_BLOCK, key): unit}


def submit_view(okr, user: str, view: dict, values: dict | None = None, *, view_id: str | None = None):
    """Submit `view` (a modal the app showed) with these state values; the response, checked to be a 200."""
    view_id = view_id or view.get("id") or "V0FORM"
    submitted = dict(view, id=view_id, state={"values": values or {}}, team_id=TEAM_ID, app_id="A0OKR")
    resp = okr.slack.interactive({"type": "view_submission", "team": {"id": TEAM_ID},
                                  "user": {"id": user, "team_id": TEAM_ID}, "api_app_id": "A0OKR",
                                  "trigger_id": okr.slack.trigger(), "view": submitted})
    assert resp.status == 200, resp.body
    assert "Traceback" not in resp.body
    return resp


def fill_and_submit(okr, user: str, view: dict, **fields):
    """Submit the form with `fields` typed over its initial values."""
    return submit_view(okr, user, view, state_of(view, **fields))


def click_in_view(okr, user: str, view_id: str, action_id: str, *, selected: str | None = None,
                  block_id: str = "b", private_metadata: str | None = None):
    """Click a button (or pick an option) inside the modal `view_id`, as Slack sends it."""
    stored = okr.fake.view(view_id)
    action = {"action_id": action_id, "block_id": block_id, "action_ts": str(time.time())}
    if selected is None:
        action.update(type="button", value="x")
    else:
        action.update(type="static_select", selected_option={"value": selected})
    view = {"id": view_id, "hash": stored["hash"], "callback_id": stored["callback_id"],
            "private_metadata": stored["private_metadata"] if private_metadata is None else private_metadata,
            "state": {"values": {}}, "type": "modal"}
    resp = okr.slack.interactive({"type": "block_actions", "user": {"id": user, "team_id": TEAM_ID},
                                  "team": {"id": TEAM_ID}, "api_app_id": "A0OKR",
                                  "trigger_id": okr.slack.trigger(), "container": {"type": "view",
                                                                                          "view_id": view_id},
                                  "view": view, "actions": [action]})
    assert resp.status == 200, resp.body
    return resp
