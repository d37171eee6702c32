"""Every Block Kit identifier okrbot uses: callback_id, block_id and action_id live here only."""

# Views
CHECKIN_VIEW = "okr_checkin"
CHECKIN_DONE_VIEW = "okr_checkin_done"
STATUS_VIEW = "okr_status"

# Actions
OPEN_CHECKIN = "okr_open_checkin"
SKIP_WEEK = "okr_skip_week"
UNDO_SKIP = "okr_undo_skip"
OPEN_STATUS = "okr_open_status"

# Per-KR input blocks in the check-in modal; the KR id follows the prefix.
VALUE_BLOCK = "value:"
CONFIDENCE_BLOCK = "confidence:"
NOTE_BLOCK = "note:"
VALUE_ACTION = "value"
CONFIDENCE_ACTION = "confidence"
NOTE_ACTION = "note"


def kr_block(prefix: str, kr_id: int) -> str:
    """The block_id of one KR's input of the given kind."""
    return f"{prefix}{kr_id}"


def kr_from_block(block_id: str, prefix: str) -> int | None:
    """The KR id encoded in a block_id with that prefix, or None."""
    if not block_id.startswith(prefix):
        return None
    rest = block_id[len(prefix):]
    return int(rest) if rest.isdigit() else None
