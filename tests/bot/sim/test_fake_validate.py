"""The fake refuses what Slack refuses, as Slack says it: Block Kit limits, trigger_ids, hashes and closed views."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sim import fake_validate
from bot.sim.fake_slack import FakeSlack
from bot.sim.fake_validate import check_message, check_submission_answer, check_view

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}
TITLE = {"type": "plain_text", "text": "Check-in"}


def modal(*blocks, **extra) -> dict:
    return {"type": "modal", "title": TITLE, "blocks": list(blocks) or [SECTION], **extra}


def checkboxes(text: str) -> dict:
    option = {"text": {"type": "mrkdwn", "text": text}, "value": "x"}
    return {"type": "input", "block_id": "b", "label": {"type": "plain_text", "text": "Archive"},
            "element": {"type": "checkboxes", "action_id": "a", "options": [option]}}


@pytest.fixture
def fake():
    with FakeSlack() as fake:
        fake.add_user("U1")
        yield fake


@pytest.fixture
def client(fake):
    return WebClient(token="xoxb-x", base_url=fake.url)


def refusal_of(call) -> dict:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response.data


def test_an_option_text_over_75_characters_is_refused_with_slacks_message_and_pointer():
    refusal = check_view(modal(SECTION, SECTION, SECTION, checkboxes("x" * 86), submit=TITLE), kind="modal")
    assert refusal.error == "invalid_arguments"
    assert refusal.messages == (
        "[ERROR] must be less than 76 characters [json-pointer:/view/blocks/3/element/options/0/text/text]",)
    assert check_view(modal(checkboxes("x" * 75), submit=TITLE), kind="modal") is None


@pytest.mark.parametrize("view, pointer", [
    (modal(title={"type": "plain_text", "text": "x" * 25}), "/view/title/text"),
    (modal(private_metadata="x" * 3001), "/view/private_metadata"),
    (modal(callback_id="x" * 256), "/view/callback_id"),
    (modal({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}), "/view/blocks/0/text/text"),
    (modal({"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}), "/view/blocks/0/text/text"),
    (modal({"type": "actions", "elements": [{"type": "button", "action_id": "a",
                                            "text": {"type": "plain_text", "text": "x" * 76}}]}),
     "/view/blocks/0/elements/0/text/text"),
    (modal({"type": "section", "block_id": "x" * 256, "text": {"type": "mrkdwn", "text": "a"}}),
     "/view/blocks/0/block_id"),
    (modal({"type": "header", "text": {"type": "mrkdwn", "text": "bold"}}), "/view/blocks/0/text/type"),
    (modal(*[SECTION] * 101), "/view/blocks"),
    (modal(checkboxes("fine")), "/view/submit"),
])
def test_views_are_held_to_slacks_limits(view, pointer):
    refusal = check_view(view, kind="modal")
    assert refusal is not None and refusal.error == "invalid_arguments"
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in refusal.messages), refusal.messages


def test_messages_are_held_to_50_blocks_and_12000_characters_of_block_text():
    assert check_message({"blocks": [SECTION] * 50}) is None
    assert check_message({"blocks": [SECTION] * 51}).messages == (
        "[ERROR] must provide no more than 50 items [json-pointer:/blocks]",)
    long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    assert check_message({"blocks": [long] * 4}) is None
    assert check_message({"blocks": [long] * 4 + [SECTION]}).error == "msg_blocks_too_long"
    duplicate = {"type": "section", "block_id": "same", "text": {"type": "mrkdwn", "text": "a"}}
    assert check_message({"blocks": [duplicate, duplicate]}).error == "invalid_blocks"


def test_submission_errors_must_name_input_blocks_of_the_submitted_view():
    submitted = modal(checkboxes("fine"), submit=TITLE)
    assert check_submission_answer({"response_action": "errors", "errors": {"b": "Say more."}}, submitted) is None
    wrong = check_submission_answer({"response_action": "errors", "errors": {"nope": "Say more."}}, submitted)
    assert wrong.messages == ("[ERROR] 'nope' is not the block_id of an input block in the view "
                              "[json-pointer:/errors/nope]",)
    bad_view = {"response_action": "update", "view": modal(title={"type": "plain_text", "text": "x" * 30})}
    assert check_submission_answer(bad_view, submitted).error == "invalid_arguments"


@pytest.mark.slack_rejects("invalid_blocks", "invalid_arguments")
def test_the_fake_answers_refusals_as_slack_does_and_records_them(fake, client):
    too_long = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}
    answer = refusal_of(lambda: client.chat_postMessage(channel="U1", text="t", blocks=[too_long]))
    assert answer == {"ok": False, "error": "invalid_blocks", "response_metadata": {"messages": [
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]}}
    refusal_of(lambda: client.views_publish(user_id="U1", view={"type": "home", "blocks": [too_long]}))
    assert [(v.where, v.error) for v in fake.violations] == [("chat.postMessage", "invalid_blocks"),
                                                           ("views.publish", "invalid_arguments")]
    assert fake.messages() == []
    assert [v.error for v in fake_validate.RECORDED] == ["invalid_blocks", "invalid_arguments"]


def test_a_trigger_id_opens_one_modal_within_three_seconds(fake, client):
    trigger = fake.issue_trigger()
    client.views_open(trigger_id=trigger, view=modal())
    assert refusal_of(lambda: client.views_open(trigger_id=trigger, view=modal()))["error"] == "exchanged_trigger_id"
    assert refusal_of(lambda: client.views_open(trigger_id="123.456.abc", view=modal()))["error"] == (
        "invalid_trigger_id")
    late = fake.issue_trigger()
    fake.expire_trigger(late)
    assert refusal_of(lambda: client.views_push(trigger_id=late, view=modal()))["error"] == "expired_trigger_id"
    assert len(fake.views_opened()) == 1


def test_views_update_with_a_stale_hash_or_of_a_closed_view_is_refused(fake, client):
    opened = client.views_open(trigger_id=fake.issue_trigger(), view=modal())["view"]
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())["view"]
    stale = refusal_of(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal()))
    assert stale["error"] == "hash_conflict"
    assert refusal_of(lambda: client.views_update(view_id="V0NOPE", view=modal()))["error"] == "not_found"
    fake.close_view(opened["id"])
    closed = refusal_of(lambda: client.views_update(view_id=opened["id"], hash=updated["hash"], view=modal()))
    assert closed["error"] == "not_found"
