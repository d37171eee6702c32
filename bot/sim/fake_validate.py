"""Block Kit checked the way Slack checks it, for the fake Web API and for the app's HTTP answers to Slack.

Each payload is parsed with slack_sdk's own Block Kit models (every block, element, text object and option, and the
View) and their validators are run; then come the limits Slack documents that the models leave out (option and
button text 75, modal title 24, 50 blocks per message, ids 255, a message's ~12,000 characters of block text, and
so on). A problem is said the way Slack says it: "[ERROR] must be less than 76 characters
[json-pointer:/view/blocks/3/element/options/0/text/text]".

Every rejection is also recorded in RECORDED, so that tests/conftest.py can fail the test that caused it even when
the product swallowed Slack's error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.basic_objects import JsonObject
from slack_sdk.models.blocks import Block, BlockElement, ConfirmObject, Option, TextObject
from slack_sdk.models.views import View

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
# Slack answers msg_blocks_too_long past about 12,000 characters of text across a message's blocks (bolt-js issues
# #2509 and #2867; the markdown block's documented cumulative limit is the same number).
MESSAGE_BLOCK_TEXT = 12_000
MESSAGE_TEXT = 40_000
ID_CHARS = 255
PRIVATE_METADATA = 3000

# Per element or block type: the longest text of each field (Slack's Block Kit reference), and the most items.
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "modal": {"title": 24, "submit": 24, "close": 24},
    "header": {"text": 150},
    "section": {"text": 3000},
    "button": {"text": 75},
    "option": {"text": 75, "description": 75},
    "input": {"label": 2000, "hint": 2000},
    "static_select": {"placeholder": 150},
    "users_select": {"placeholder": 150},
    "plain_text_input": {"placeholder": 150},
    "section_field": {"text": 2000},
    "context_element": {"text": 3000},
}
ITEM_LIMITS = {("static_select", "options"): 100, ("checkboxes", "options"): 10, ("radio_buttons", "options"): 10,
               ("section", "fields"): 10, ("context", "elements"): 10, ("actions", "elements"): 25}
VALUE_LIMITS = {"button": 2000, "option": 150}
# Fields Slack takes only as plain_text.
PLAIN_ONLY = {("header", "text"), ("button", "text"), ("input", "label"), ("input", "hint"),
              ("static_select", "placeholder"), ("users_select", "placeholder"),
              ("plain_text_input", "placeholder"), ("modal", "title"), ("modal", "submit"), ("modal", "close"),
              ("home", "title")}


@dataclass(frozen=True)
class Violation:
    """One payload Slack would refuse: where it was sent, the error Slack answers, and Slack's messages."""

    where: str
    error: str
    messages: tuple[str, ...]


RECORDED: list[Violation] = []
_recorded_lock = threading.Lock()


def record(violation: Violation) -> None:
    """Keep a violation for the test that caused it (tests/conftest.py drains RECORDED around each test)."""
    with _recorded_lock:
        RECORDED.append(violation)


def drain() -> list[Violation]:
    """Every violation recorded since the last drain."""
    with _recorded_lock:
        found = list(RECORDED)
        RECORDED.clear()
    return found


def _too_long(limit: int, ptr: str) -> str:
    return f"[ERROR] must be less than {limit + 1} characters [json-pointer:{ptr}]"


def _err(message: str, ptr: str) -> str:
    return f"[ERROR] {message} [json-pointer:{ptr}]"


class _Walk:
    """One payload's walk: the problems found, with JSON pointers, and the block text counted on the way."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.block_text = 0

    def said(self) -> tuple[str, ...]:
        """The problems, each once: a model's "cannot exceed" at an object gives way to Slack's own message about
        the field inside it."""
        pointers = [p.rsplit("[json-pointer:", 1)[-1] for p in self.problems]
        kept = []
        for problem, ptr in zip(self.problems, pointers):
            if "cannot exceed" in problem and any(o.startswith(ptr.rstrip("]") + "/") for o in pointers):
                continue
            if problem not in kept:
                kept.append(problem)
        return tuple(kept)

    def model(self, build, raw: Any, ptr: str) -> None:
        # slack_sdk's validators, one object at a time, so that each message names where it applies.
        try:
            obj = build(raw)
        except (TypeError, KeyError, AttributeError, ValueError) as exc:
            self.problems.append(_err(f"invalid object ({exc})", ptr))
            return
        if obj is None:
            self.problems.append(_err(f"unsupported type: {raw.get('type')!r}", ptr))
            return
        try:
            JsonObject.validate_json(obj)
        except SlackObjectFormationError as exc:
            self.problems.append(_err(str(exc), ptr))

    def text(self, raw: Any, ptr: str, *, owner: str, field: str, limit: int | None = None) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_err("must be a text object", ptr))
            return
        self.model(TextObject.parse, raw, ptr)
        kind = raw.get("type")
        if kind not in ("plain_text", "mrkdwn"):
            self.problems.append(_err(f"unsupported type: {kind!r}", f"{ptr}/type"))
        elif kind == "mrkdwn" and (owner, field) in PLAIN_ONLY:
            self.problems.append(_err("must be plain_text", f"{ptr}/type"))
        text = raw.get("text")
        if not isinstance(text, str) or not text:
            self.problems.append(_err("must be more than 0 characters", f"{ptr}/text"))
            return
        self.block_text += len(text)
        limit = limit if limit is not None else TEXT_LIMITS.get(owner, {}).get(field)
        if limit is not None and len(text) > limit:
            self.problems.append(_too_long(limit, f"{ptr}/text"))

    def ident(self, raw: Mapping, key: str, ptr: str) -> None:
        value = raw.get(key)
        if value is not None and (not isinstance(value, str) or not value or len(value) > ID_CHARS):
            self.problems.append(_too_long(ID_CHARS, f"{ptr}/{key}") if isinstance(value, str) and value
                                 else _err("must be a non-empty string", f"{ptr}/{key}"))

    def items(self, raw: Mapping, owner: str, key: str, ptr: str) -> list:
        value = raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.problems.append(_err("must be an array", f"{ptr}/{key}"))
            return []
        limit = ITEM_LIMITS.get((owner, key))
        if limit is not None and len(value) > limit:
            self.problems.append(_err(f"must provide no more than {limit} items", f"{ptr}/{key}"))
        return value

    def option(self, raw: Any, ptr: str, *, plain_only: bool = False) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_err("must be an option object", ptr))
            return
        self.model(lambda o: Option(**o), raw, ptr)
        self.text(raw.get("text"), f"{ptr}/text", owner="option", field="text")
        if plain_only and isinstance(raw.get("text"), dict) and raw["text"].get("type") != "plain_text":
            self.problems.append(_err("must be plain_text", f"{ptr}/text/type"))
        if raw.get("description") is not None:
            self.text(raw["description"], f"{ptr}/description", owner="option", field="description")
        value = raw.get("value")
        if not isinstance(value, str) or not value:
            self.problems.append(_err("must be a non-empty string", f"{ptr}/value"))
        elif len(value) > VALUE_LIMITS["option"]:
            self.problems.append(_too_long(VALUE_LIMITS["option"], f"{ptr}/value"))

    def element(self, raw: Any, ptr: str, action_ids: set[str]) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_err("must be an element object", ptr))
            return
        kind = str(raw.get("type"))
        self.model(BlockElement.parse, raw, ptr)
        if kind in ("mrkdwn", "plain_text"):
            self.text(raw, ptr, owner="context_element", field="text")
            return
        self.ident(raw, "action_id", ptr)
        action_id = raw.get("action_id")
        if isinstance(action_id, str):
            if action_id in action_ids:
                self.problems.append(_err(f"action_id {action_id!r} is already used in this block",
                                          f"{ptr}/action_id"))
            action_ids.add(action_id)
        for field in ("text", "placeholder"):
            if raw.get(field) is not None:
                self.text(raw[field], f"{ptr}/{field}", owner=kind, field=field)
        if kind == "button" and isinstance(raw.get("value"), str) and len(raw["value"]) > VALUE_LIMITS["button"]:
            self.problems.append(_too_long(VALUE_LIMITS["button"], f"{ptr}/value"))
        if raw.get("confirm") is not None:
            self.model(ConfirmObject.parse, raw["confirm"], f"{ptr}/confirm")
        options = self.items(raw, kind, "options", ptr)
        values = set()
        # A select menu shows options as plain text only; checkboxes and radio buttons also take mrkdwn.
        plain_only = kind.endswith("select") or kind == "overflow"
        for i, option in enumerate(options):
            self.option(option, f"{ptr}/options/{i}", plain_only=plain_only)
            if isinstance(option, dict):
                values.add(option.get("value"))
        for key in ("initial_option",):
            if raw.get(key) is not None:
                self._initial(raw[key], values, f"{ptr}/{key}")
        for i, option in enumerate(self.items(raw, kind, "initial_options", ptr)):
            self._initial(option, values, f"{ptr}/initial_options/{i}")
        if kind == "plain_text_input":
            most = raw.get("max_length", 3000)
            initial = raw.get("initial_value")
            if isinstance(initial, str) and isinstance(most, int) and len(initial) > most:
                self.problems.append(_too_long(most, f"{ptr}/initial_value"))

    def _initial(self, raw: Any, values: set, ptr: str) -> None:
        self.option(raw, ptr)
        if isinstance(raw, dict) and raw.get("value") not in values:
            self.problems.append(_err("must match one of the options", ptr))

    def block(self, raw: Any, ptr: str) -> None:
        if not isinstance(raw, dict):
            self.problems.append(_err("must be a block object", ptr))
            return
        kind = str(raw.get("type"))
        self.model(Block.parse, raw, ptr)
        self.ident(raw, "block_id", ptr)
        if raw.get("text") is not None:
            self.text(raw["text"], f"{ptr}/text", owner=kind, field="text")
        for field in ("label", "hint"):
            if raw.get(field) is not None:
                self.text(raw[field], f"{ptr}/{field}", owner=kind, field=field)
        for i, field in enumerate(self.items(raw, kind, "fields", ptr)):
            self.text(field, f"{ptr}/fields/{i}", owner="section_field", field="text")
        action_ids: set[str] = set()
        for key in ("accessory", "element"):
            if raw.get(key) is not None:
                self.element(raw[key], f"{ptr}/{key}", action_ids)
        for i, element in enumerate(self.items(raw, kind, "elements", ptr)):
            self.element(element, f"{ptr}/elements/{i}", action_ids)

    def blocks(self, raw: Any, ptr: str, *, most: int) -> list[dict]:
        if not isinstance(raw, list):
            self.problems.append(_err("must be an array", ptr))
            return []
        if len(raw) > most:
            self.problems.append(_err(f"must provide no more than {most} items", ptr))
        seen: set[str] = set()
        for i, block in enumerate(raw):
            self.block(block, f"{ptr}/{i}")
            block_id = block.get("block_id") if isinstance(block, dict) else None
            if isinstance(block_id, str):
                if block_id in seen:
                    self.problems.append(_err(f"block_id {block_id!r} is already used", f"{ptr}/{i}/block_id"))
                seen.add(block_id)
        return [b for b in raw if isinstance(b, dict)]


@dataclass(frozen=True)
class Refusal:
    """Slack's answer to a payload it refuses: the error code and response_metadata.messages."""

    error: str
    messages: tuple[str, ...] = ()


def check_message(params: Mapping[str, Any], *, root: str = "") -> Refusal | None:
    """What Slack answers a chat.postMessage / chat.update / chat.postEphemeral (or a message answer) carrying
    these params, or None when it accepts them."""
    walk = _Walk()
    if params.get("blocks") is not None:
        walk.blocks(params["blocks"], f"{root}/blocks", most=MESSAGE_BLOCKS)
    if walk.problems:
        return Refusal("invalid_blocks", walk.said())
    if walk.block_text > MESSAGE_BLOCK_TEXT:
        return Refusal("msg_blocks_too_long")
    text = params.get("text")
    if text is not None and len(str(text)) > MESSAGE_TEXT:
        return Refusal("msg_too_long")
    return None


def check_view(view: Any, *, kind: str, root: str = "/view") -> Refusal | None:
    """What Slack answers views.open / update / push / publish (or a response_action view) about this view."""
    if not isinstance(view, dict):
        return Refusal("invalid_arguments", (_err("must be a view object", root),))
    walk = _Walk()
    if view.get("type") != kind:
        walk.problems.append(_err(f"must be {kind!r}", f"{root}/type"))
    walk.model(lambda v: View(**v), view, root)
    for field in ("title", "submit", "close"):
        if view.get(field) is not None:
            walk.text(view[field], f"{root}/{field}", owner=kind, field=field, limit=24)
    if kind == "modal" and view.get("title") is None:
        walk.problems.append(_err("missing required field: title", f"{root}/title"))
    for key in ("callback_id", "external_id"):
        walk.ident(view, key, root)
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > PRIVATE_METADATA:
        walk.problems.append(_too_long(PRIVATE_METADATA, f"{root}/private_metadata"))
    blocks = walk.blocks(view.get("blocks", []), f"{root}/blocks", most=VIEW_BLOCKS)
    if kind == "modal" and view.get("submit") is None and any(b.get("type") == "input" for b in blocks):
        walk.problems.append(_err("submit is required when an input block is within the view", f"{root}/submit"))
    if walk.problems:
        return Refusal("invalid_arguments", walk.said())
    return None


def input_block_ids(view: Mapping[str, Any]) -> set[str]:
    """The block_ids of a view's input blocks: the only keys response_action=errors may name."""
    return {str(b.get("block_id")) for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"}


def check_submission_answer(answer: Mapping[str, Any], submitted: Mapping[str, Any]) -> Refusal | None:
    """What Slack makes of the app's answer to a view_submission: a view to update or push, or field errors."""
    action = answer.get("response_action")
    if action in ("update", "push"):
        return check_view(answer.get("view"), kind="modal")
    if action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            return Refusal("invalid_arguments", (_err("errors must be a non-empty object", "/errors"),))
        known = input_block_ids(submitted)
        wrong = [_err(f"{key!r} is not the block_id of an input block in the view", f"/errors/{key}")
                 for key in errors if key not in known]
        wrong += [_err("must be a non-empty string", f"/errors/{key}")
                  for key, value in errors.items() if not isinstance(value, str) or not value]
        return Refusal("invalid_arguments", tuple(wrong)) if wrong else None
    if action == "clear" or action is None:
        return None
    return Refusal("invalid_arguments", (_err(f"unsupported response_action: {action!r}", "/response_action"),))


def describe(violations: Iterable[Violation]) -> str:
    """Violations as lines for a test failure."""
    lines: list[str] = []
    for v in violations:
        lines.append(f"{v.where}: {v.error}")
        lines += [f"    {m}" for m in v.messages]
    return "\n".join(lines)

