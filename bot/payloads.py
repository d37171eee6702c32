"""Slack payloads parsed into typed models, so the product code never digs through raw dicts."""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot import ids


@dataclass(frozen=True)
class CheckinEntry:
    """What the modal holds for one KR: any field may be blank."""

    kr_id: int
    value_text: str
    confidence: str | None
    note: str


@dataclass(frozen=True)
class CheckinSubmission:
    """A submitted check-in modal."""

    user_id: str
    view_id: str
    for_user: str
    entries: dict[int, CheckinEntry]


def _dict(value) -> dict:
    # Payloads are input: anything that is not the expected mapping reads as empty instead of raising.
    return value if isinstance(value, dict) else {}


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _input_value(state: dict, block_id: str, action_id: str) -> dict:
    return _dict(_dict(state.get(block_id)).get(action_id))


def parse_checkin_submission(body: dict) -> CheckinSubmission:
    """Read a view_submission body of the check-in modal; unknown shapes give empty entries, never errors."""
    view = _dict(body.get("view"))
    user_id = _str(_dict(body.get("user")).get("id"))
    try:
        meta = json.loads(_str(view.get("private_metadata")) or "{}")
    except ValueError:
        meta = {}
    meta = _dict(meta)
    krs = meta.get("krs")
    kr_ids = [k for k in (krs if isinstance(krs, list) else []) if isinstance(k, int) and not isinstance(k, bool)]
    state = _dict(_dict(view.get("state")).get("values"))
    entries = {}
    for kr_id in kr_ids:
        value = _str(_input_value(state, ids.kr_block(ids.VALUE_BLOCK, kr_id), ids.VALUE_ACTION).get("value"))
        selected = _input_value(state, ids.kr_block(ids.CONFIDENCE_BLOCK, kr_id), ids.CONFIDENCE_ACTION)
        confidence = _str(_dict(selected.get("selected_option")).get("value")) or None
        note = _str(_input_value(state, ids.kr_block(ids.NOTE_BLOCK, kr_id), ids.NOTE_ACTION).get("value"))
        entries[kr_id] = CheckinEntry(kr_id, value.strip(), confidence, note.strip())
    for_user = _str(meta.get("for")) or user_id
    return CheckinSubmission(user_id=user_id, view_id=_str(view.get("id")), for_user=for_user, entries=entries)
