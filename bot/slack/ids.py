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
# The team's chart (/okr status TEAM chart), from a status message.
OPEN_CHART = "okr_open_chart"
# The check-in confirmation's Edit button (its value: whose check-in).
EDIT_CHECKIN = "okr_edit_checkin"

# Per-KR input blocks in the check-in modal; the KR id follows the prefix.
VALUE_BLOCK = "value:"
CONFIDENCE_BLOCK = "confidence:"
NOTE_BLOCK = "note:"
VALUE_ACTION = "value"
CONFIDENCE_ACTION = "confidence"
NOTE_ACTION = "note"

# Authoring: the objective form (new and edit), the coach's review of it, the saved confirmation, the edit picker.
OBJECTIVE_VIEW = "okr_objective"
OBJECTIVE_REVIEW_VIEW = "okr_objective_review"
OBJECTIVE_SAVED_VIEW = "okr_objective_saved"
EDIT_PICK_VIEW = "okr_edit_pick"
PICK_OBJECTIVE = "okr_pick_objective"
BACK_TO_FORM = "okr_back_to_form"
OPEN_NEW_OBJECTIVE = "okr_open_new_objective"
OBJ_TEAM_BLOCK = "obj_team"
OBJ_CYCLE_BLOCK = "obj_cycle"
OBJ_TITLE_BLOCK = "obj_title"
OBJ_TYPE_BLOCK = "obj_type"
OBJ_ARCHIVE_BLOCK = "obj_archive"
OBJ_PICK_BLOCK = "obj_pick"
# Per-row input blocks of the objective form; the row key ("n0".."n4" for new rows, "k<KR id>") follows the prefix.
KR_TITLE_BLOCK = "kr_title:"
KR_OWNER_BLOCK = "kr_owner:"
KR_BASELINE_BLOCK = "kr_baseline:"
KR_TARGET_BLOCK = "kr_target:"
KR_UNIT_BLOCK = "kr_unit:"
KR_ARCHIVE_BLOCK = "kr_archive:"
KR_SOURCE_BLOCK = "kr_source:"
FIELD_ACTION = "field"
ARCHIVE_VALUE = "archive"


def kr_block(prefix: str, kr_id: int) -> str:
    """The block_id of one KR's input of the given kind."""
    return f"{prefix}{kr_id}"


def kr_from_block(block_id: str, prefix: str) -> int | None:
    """The KR id encoded in a block_id with that prefix, or None."""
    if not block_id.startswith(prefix):
        return None
    rest = block_id[len(prefix):]
    return int(rest) if rest.isdigit() else None


def row_block(prefix: str, row: str) -> str:
    """The block_id of one objective-form row's input of the given kind ("n0".."n4" new, "k<KR id>" existing)."""
    return f"{prefix}{row}"


def prompt_block(prompt_id: int) -> str:
    """The block_id of a weekly prompt's buttons (the same block before and after a skip)."""
    return f"prompt:{prompt_id}"


def team_value(team_id: int) -> str:
    """The value of a button that opens a team's status: "team:<id>"."""
    return f"team:{team_id}"


def team_of_value(value: str) -> int | None:
    """The team id of a button value made by team_value, or None for anything else."""
    kind, _, raw_id = (value or "").partition(":")
    return int(raw_id) if kind == "team" and raw_id.isdigit() and len(raw_id) <= 9 else None


# The end of the quarter: the grading DM's button, the grading modal (per-KR blocks: the KR id follows the prefix,
# the action is FIELD_ACTION), the retrospective's inputs, and the modal after a grading was saved.
GRADING_VIEW = "okr_grading"
GRADED_VIEW = "okr_graded"
OPEN_GRADING = "okr_open_grading"
GRADE_BLOCK = "grade:"
EVIDENCE_BLOCK = "evidence:"
NEXT_BLOCK = "next:"
RETRO_WORKED_BLOCK = "retro_worked"
RETRO_DID_NOT_BLOCK = "retro_did_not"
RETRO_LEARNED_BLOCK = "retro_learned"
RETRO_CHANGE_BLOCK = "retro_change"
CARRY_VALUE = "carry"
DROP_VALUE = "drop"


def grading_value(team_id: int, cycle_id: int) -> str:
    """The value of a Grade button: "grading:<team id>:<cycle id>"."""
    return f"grading:{team_id}:{cycle_id}"


def grading_of_value(value: str) -> tuple[int, int] | None:
    """The (team id, cycle id) of a button value made by grading_value, or None for anything else."""
    kind, _, rest = (value or "").partition(":")
    team, _, cycle = rest.partition(":")
    if kind != "grading" or not (team.isdigit() and cycle.isdigit()) or len(team) > 9 or len(cycle) > 9:
        return None
    return int(team), int(cycle)
