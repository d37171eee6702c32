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


def _input_value(state: dict, block_id: str, action_id: str) -> dict:
    return (state.get(block_id) or {}).get(action_id) or {}


def parse_checkin_submission(body: dict) -> CheckinSubmission:
    """Read a view_submission body of the check-in modal; unknown shapes give empty entries, never errors."""
    view = body.get("view") or {}
    user_id = (body.get("user") or {}).get("id", "")
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    meta = meta if isinstance(meta, dict) else {}
    kr_ids = [k for k in meta.get("krs", []) if isinstance(k, int)]
    state = ((view.get("state") or {}).get("values")) or {}
    entries = {}
    for kr_id in kr_ids:
        value = _input_value(state, ids.kr_block(ids.VALUE_BLOCK, kr_id), ids.VALUE_ACTION).get("value") or ""
        selected = _input_value(state, ids.kr_block(ids.CONFIDENCE_BLOCK, kr_id), ids.CONFIDENCE_ACTION)
        confidence = (selected.get("selected_option") or {}).get("value")
        note = _input_value(state, ids.kr_block(ids.NOTE_BLOCK, kr_id), ids.NOTE_ACTION).get("value") or ""
        entries[kr_id] = CheckinEntry(kr_id, value.strip(), confidence, note.strip())
    for_user = meta.get("for") if isinstance(meta.get("for"), str) else user_id
    return CheckinSubmission(user_id=user_id, view_id=view.get("id", ""), for_user=for_user, entries=entries)
