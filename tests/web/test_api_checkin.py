"""The check-in that confirms, end to end: a value pushed over the API shows in status, the prompt and the modal,
and the check-in keeps what the owner confirmed or typed (signed Slack requests and real API calls, both backends)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from bot.slack import ids
from storage.db import session_scope
from storage.models import CheckIn, KeyResult, ObservedValue
from storage.tokens import create_token
from tests.flows import checkins, kr_ids
from tests.web.api_client import Api

# Friday Nov 27, 10:00 in New York: Alice's weekly prompt is due.
PROMPT_DUE = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


@pytest.fixture
def pushed(okr):
    """Alice checked in 28.5% green on Nov 20; the dashboard pushed 31.5% on Nov 27 at 13:00 UTC."""
    ids_ = kr_ids(okr)
    with session_scope(okr.engine) as s:
        token = create_token("ci", session=s, now=PROMPT_DUE)
        s.add(CheckIn(kr_id=ids_["d7-activation"], author_id="U0ALICE", value=28.5, confidence="green",
                      created_at=datetime(2026, 11, 20, 15, tzinfo=UTC)))
    okr.clock.set(PROMPT_DUE - timedelta(hours=2))
    reply = Api(okr.url, token).push("KR-1", {"value": "31.5%", "note": "Looker"})
    assert reply.status == 201
    return okr


def _opened_modal(okr, user="U0ALICE") -> dict:
    assert okr.slack.command(user, "checkin").status == 200
    return okr.fake.views_opened()[-1]


def _as_shown(view: dict) -> dict[int, tuple[str, str | None, str]]:
    """What Slack submits when the person changes nothing: each KR's initial value and option."""
    answers = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        name, kr_id = block["block_id"].rsplit(":", 1)[0], int(block["block_id"].rsplit(":", 1)[1])
        value, confidence, note = answers.get(kr_id, ("", None, ""))
        element = block["element"]
        if element["action_id"] == ids.VALUE_ACTION and "initial_value" in element:
            value = element["initial_value"]
        if element["action_id"] == ids.CONFIDENCE_ACTION and "initial_option" in element:
            confidence = element["initial_option"]["value"]
        answers[kr_id] = (value, confidence, note)
    return {kr_id: a for kr_id, a in answers.items() if a != ("", None, "")}


def test_status_and_home_show_the_pushed_value_with_its_origin_and_age(pushed):
    pushed.clock.set(PROMPT_DUE)
    body = pushed.slack.command("U0LEAD", "status growth").json()
    text = str(body["blocks"])
    # (the KR's weekly sparkline, when it has one, sits right after the value)
    assert re.search(r"31\.5% of 35%( `[^`]+`)? · from API, 2 hours ago · :large_green_circle: on track · on pace", text)


def test_the_prompt_shows_the_data_and_the_modal_is_prefilled_so_a_green_week_is_open_and_save(pushed):
    pushed.tick(PROMPT_DUE)
    (prompt,) = [m for m in pushed.fake.dms_to("U0ALICE") if m["text"].startswith("Time for your weekly")]
    assert "Data: *31.5%* from API, 2 hours ago, +3% since the last check-in" in str(prompt["blocks"])
    view = _opened_modal(pushed)
    shown = _as_shown(view)
    assert shown == {kr_ids(pushed)["d7-activation"]: ("31.5", "green", "")}
    pushed.clock.set(PROMPT_DUE + timedelta(minutes=5))
    resp = pushed.slack.submit("U0ALICE", view, shown, view_id="VCONFIRM1")
    assert resp.status == 200 and resp.json()["response_action"] == "update"
    (_, confirmed) = checkins(pushed)
    assert (confirmed.value, confirmed.confidence, confirmed.author_id) == (31.5, "green", "U0ALICE")
    assert "Yours is kept" not in str(resp.json())
    # The check-in is now the newest value: status shows it as a check-in again.
    text = str(pushed.slack.command("U0LEAD", "status growth").json()["blocks"])
    assert re.search(r"31\.5% of 35%( `[^`]+`)? · :large_green_circle: on track", text) and "from API" not in text


def test_a_value_typed_over_the_data_is_the_owners_and_both_are_kept(pushed):
    view = _opened_modal(pushed)
    kr_id = kr_ids(pushed)["d7-activation"]
    pushed.clock.set(PROMPT_DUE)
    resp = pushed.slack.submit("U0ALICE", view, {kr_id: ("30%", "amber", "the dashboard double counts trials")},
                               view_id="VTYPED1")
    assert resp.status == 200
    assert "Yours is kept; API said 31.5% (Nov 27)" in str(resp.json())
    assert [c.value for c in checkins(pushed)] == [28.5, 30]
    with session_scope(pushed.engine) as s:
        assert [(o.value, o.origin, o.note) for o in s.exec(select(ObservedValue))] == [(31.5, "api", "Looker")]
        assert s.exec(select(KeyResult).where(KeyResult.id == kr_id)).one().observed_value == 31.5
    got = Api(pushed.url, _token(pushed)).get("KR-1").body
    assert (got["value"], got["value_origin"], got["confidence"]) == (30, "check-in", "amber")


def _token(okr) -> str:
    with session_scope(okr.engine) as s:
        return create_token("reader", session=s, now=PROMPT_DUE)


def test_a_kr_without_data_is_not_prefilled(pushed):
    view = _opened_modal(pushed)
    wau = kr_ids(pushed)["wau"]
    elements = [b["element"] for b in view["blocks"] if b.get("block_id", "").endswith(f":{wau}")]
    assert elements and not any("initial_value" in e or "initial_option" in e for e in elements)


def test_the_digest_shows_the_pushed_value_with_its_origin(pushed):
    pushed.tick(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # Monday 09:00 in London
    (digest,) = [m for m in pushed.fake.messages("C0GROWTH")]
    assert "31.5% of 35% (from API, 2 days ago)" in str(digest["blocks"])
