"""Slack payloads parsed into typed models, so the product code never digs through raw dicts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from bot.rules.text import clean
from bot.slack import ids


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
    # For an edit after submitting: the check-in id each KR's form was filled from.
    base: dict[int, int] = field(default_factory=dict)


def _dict(value) -> dict:
    # Payloads are input: anything that is not the expected mapping reads as empty instead of raising.
    return value if isinstance(value, dict) else {}


def _str(value) -> str:
    # Every string of a payload passes here, so whatever a person typed is cleaned where it enters.
    return clean(value) if isinstance(value, str) else ""


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
    base = {int(k): v for k, v in _dict(meta.get("base")).items()
            if isinstance(k, str) and k.isdigit() and len(k) <= 9 and int(k) in entries
            and isinstance(v, int) and not isinstance(v, bool)}
    return CheckinSubmission(user_id=user_id, view_id=_str(view.get("id")), for_user=for_user, entries=entries,
                             base=base)


# --------------------------------------------------------------------------- the objective form


@dataclass(frozen=True)
class KRRow:
    """One key result row of the objective form, as typed: "n0".."n4" are new rows, "k<id>" an existing KR."""

    row: str
    title: str = ""
    owner: str = ""
    baseline: str = ""
    target: str = ""
    unit: str = ""
    archive: bool = False
    # Where the number is read from, as typed: a one-line YAML mapping (bot.sources.spec.parse_source_text).
    source: str = ""

    @property
    def kr_id(self) -> int | None:
        """The existing KR this row edits, or None for a new row."""
        return int(self.row[1:]) if self.row.startswith("k") and self.row[1:].isdigit() else None

    @property
    def blank(self) -> bool:
        """Nothing typed: a spare row, ignored."""
        return not (self.title or self.owner or self.baseline or self.target or self.unit or self.archive
                    or self.source)


@dataclass(frozen=True)
class ObjectiveDraft:
    """What the objective form holds: a new objective (objective_id None) or edits to one, with its KR rows."""

    objective_id: int | None = None
    team_id: int | None = None
    cycle_id: int | None = None
    title: str = ""
    type: str = "aspirational"
    archive: bool = False
    rows: tuple[KRRow, ...] = ()

    def to_json(self) -> str:
        """Compact JSON for a view's private_metadata (3000 characters at most; the caller checks)."""
        rows = [[r.row, r.title, r.owner, r.baseline, r.target, r.unit, int(r.archive), r.source] for r in self.rows]
        return json.dumps({"o": self.objective_id, "t": self.team_id, "c": self.cycle_id, "ti": self.title,
                           "ty": self.type, "a": int(self.archive), "r": rows},
                          ensure_ascii=False, separators=(",", ":"))


ROW_KEY_MAX = 12


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _row_key(value) -> str | None:
    # Row keys come back from Slack in block ids and metadata a client could forge: only n<digit> or k<digits>.
    if isinstance(value, str) and 1 < len(value) <= ROW_KEY_MAX and value[0] in "nk" and value[1:].isdigit():
        return value
    return None


def draft_from_json(text: str) -> ObjectiveDraft:
    """The draft a review view carries; anything malformed reads as an empty draft, never an error."""
    try:
        data = _dict(json.loads(text or "{}"))
    except ValueError:
        data = {}
    rows = []
    for item in data.get("r") if isinstance(data.get("r"), list) else []:
        # Seven items: a review view from before sources; eight: with the row's source.
        if not isinstance(item, list) or len(item) not in (7, 8) or _row_key(item[0]) is None:
            continue
        rows.append(KRRow(item[0], *(_str(v).strip() for v in item[1:6]), archive=bool(item[6]),
                          source=_str(item[7]).strip() if len(item) == 8 else ""))
    return ObjectiveDraft(objective_id=_int(data.get("o")), team_id=_int(data.get("t")), cycle_id=_int(data.get("c")),
                          title=_str(data.get("ti")).strip(), type=_str(data.get("ty")), archive=bool(data.get("a")),
                          rows=tuple(rows))


@dataclass(frozen=True)
class ObjectiveSubmission:
    """A submitted objective form or review view: who, which view, and the draft it holds."""

    user_id: str
    view_id: str
    draft: ObjectiveDraft


def _selected_value(state: dict, block_id: str) -> str:
    return _str(_dict(_input_value(state, block_id, ids.FIELD_ACTION).get("selected_option")).get("value"))


def _text_value(state: dict, block_id: str) -> str:
    return _str(_input_value(state, block_id, ids.FIELD_ACTION).get("value")).strip()


def _checked(state: dict, block_id: str) -> bool:
    options = _input_value(state, block_id, ids.FIELD_ACTION).get("selected_options")
    return any(_dict(o).get("value") == ids.ARCHIVE_VALUE for o in (options if isinstance(options, list) else []))


def _digits(text: str) -> int | None:
    return int(text) if text.isdigit() and len(text) < 12 else None


def form_metadata(view: dict) -> dict:
    """The objective form's private_metadata: {"o": objective id, "t": team id, "c": cycle id, "r": row keys}."""
    try:
        meta = json.loads(_str(view.get("private_metadata")) or "{}")
    except ValueError:
        meta = {}
    return _dict(meta)


def parse_objective_form(body: dict) -> ObjectiveSubmission:
    """Read a submitted objective form; fields it lacks read as blank, never as errors."""
    view = _dict(body.get("view"))
    meta = form_metadata(view)
    state = _dict(_dict(view.get("state")).get("values"))
    keys = meta.get("r")
    rows = []
    for key in dict.fromkeys(k for k in (keys if isinstance(keys, list) else []) if _row_key(k)):
        block = lambda prefix: ids.row_block(prefix, key)  # noqa: E731 - one row's block ids
        owner = _str(_input_value(state, block(ids.KR_OWNER_BLOCK), ids.FIELD_ACTION).get("selected_user"))
        rows.append(KRRow(key, _text_value(state, block(ids.KR_TITLE_BLOCK)), owner,
                          _text_value(state, block(ids.KR_BASELINE_BLOCK)), _text_value(state, block(ids.KR_TARGET_BLOCK)),
                          _text_value(state, block(ids.KR_UNIT_BLOCK)), _checked(state, block(ids.KR_ARCHIVE_BLOCK)),
                          _text_value(state, block(ids.KR_SOURCE_BLOCK))))
    # The team and cycle are chosen in the form when it has a select for them, else fixed in the metadata.
    team = _digits(_selected_value(state, ids.OBJ_TEAM_BLOCK)) if ids.OBJ_TEAM_BLOCK in state else _int(meta.get("t"))
    cycle = _digits(_selected_value(state, ids.OBJ_CYCLE_BLOCK)) if ids.OBJ_CYCLE_BLOCK in state else _int(meta.get("c"))
    draft = ObjectiveDraft(objective_id=_int(meta.get("o")), team_id=team, cycle_id=cycle,
                           title=_text_value(state, ids.OBJ_TITLE_BLOCK),
                           type=_selected_value(state, ids.OBJ_TYPE_BLOCK), archive=_checked(state, ids.OBJ_ARCHIVE_BLOCK),
                           rows=tuple(rows))
    return ObjectiveSubmission(_str(_dict(body.get("user")).get("id")), _str(view.get("id")), draft)


def parse_review_submission(body: dict) -> ObjectiveSubmission:
    """Read a submitted review view ("Save anyway"): the draft it carries in its private_metadata."""
    view = _dict(body.get("view"))
    return ObjectiveSubmission(_str(_dict(body.get("user")).get("id")), _str(view.get("id")),
                               draft_from_json(_str(view.get("private_metadata"))))


# --------------------------------------------------------------------------- the shapes Slack sends

_STR, _DICT, _LIST, _NONE = (str,), (dict,), (list,), (type(None),)
# What Bolt and okrbot's listeners read of each kind of request, with the type Slack always sends it as, and whether
# Slack always sends it: (path, types, required). "actions[]" is each item of the list.
_SHAPES: dict[str, list[tuple[str, tuple, bool]]] = {
    "block_actions": [
        ("user", _DICT, True), ("user.id", _STR, True), ("trigger_id", _STR, True), ("actions", _LIST, True),
        ("actions[]", _DICT, True), ("actions[].action_id", _STR, True), ("actions[].value", _STR, False),
        ("actions[].selected_option", _DICT + _NONE, False), ("actions[].selected_option.value", _STR, False),
        ("view", _DICT, False), ("view.id", _STR, False), ("view.hash", _STR, False),
        ("view.private_metadata", _STR, False), ("channel", _DICT, False), ("channel.id", _STR, False),
        ("container", _DICT, False), ("message", _DICT, False), ("state", _DICT, False)],
    "view_submission": [
        ("user", _DICT, True), ("user.id", _STR, True), ("view", _DICT, True), ("view.callback_id", _STR, True),
        ("view.id", _STR, False), ("view.private_metadata", _STR, False), ("view.state", _DICT, False),
        ("view.state.values", _DICT, False)],
    "event_callback": [("event", _DICT, True), ("event.type", _STR, True), ("authorizations", _LIST, False),
                       ("authorizations[]", _DICT, False)],
    "command": [("command", _STR, True), ("user_id", _STR, True), ("trigger_id", _STR, True),
                ("response_url", _STR, True), ("text", _STR, False)],
}
_EVENT_SHAPES: dict[str, list[tuple[str, tuple, bool]]] = {
    "app_home_opened": [("event.user", _STR, True), ("event.tab", _STR, False)],
    "user_change": [("event.user", _DICT, True)],
    "tokens_revoked": [("event.tokens", _DICT, True)],
}


def _values(node, path: list[str]):
    """Every value at `path` under node (lists expand at "[]"); missing parts yield nothing."""
    if not path:
        yield node
        return
    head, rest = path[0], path[1:]
    key, expand = (head[:-2], True) if head.endswith("[]") else (head, False)
    if not isinstance(node, dict) or key not in node:
        return
    child = node[key]
    if expand:
        for item in child if isinstance(child, list) else ():
            yield from _values(item, rest)
    else:
        yield from _values(child, rest)


def misshapen(payload: dict) -> str | None:
    """The first part of a Slack payload that is missing or not the type Slack sends it as, or None.

    Only a holder of the signing secret can send such a payload (the signature is checked first), but Bolt's
    middleware and the listeners read these parts directly; this keeps them from failing on it with a traceback.
    """
    kind = "command" if "command" in payload and "type" not in payload else payload.get("type")
    checks = list(_SHAPES.get(kind, ()))
    event = payload.get("event")
    if kind == "event_callback" and isinstance(event, dict):
        checks += _EVENT_SHAPES.get(event.get("type"), [])
    for path, types, required in checks:
        *parent_path, last = path.split(".")
        key, each = (last[:-2], True) if last.endswith("[]") else (last, False)
        for parent in _values(payload, parent_path):
            if not isinstance(parent, dict):
                continue  # the parent's own check has said what is wrong with it
            if key not in parent:
                if required and not each:
                    return path
                continue
            value = parent[key]
            items = value if each and isinstance(value, list) else [value]
            if any(not isinstance(item, types) for item in items):
                return path
    return None


# --------------------------------------------------------------------------- the grading modal


@dataclass(frozen=True)
class GradingSubmission:
    """A submitted grading modal: the team and cycle it says it grades, each KR's fields as typed, the retrospective."""

    user_id: str
    view_id: str
    team_id: int | None
    cycle_id: int | None
    kr_ids: tuple[int, ...]
    grades: dict[int, str]
    evidence: dict[int, str]
    decisions: dict[int, str]
    worked: str
    did_not_work: str
    learned: str
    change_next: str


def _field(state: dict, block_id: str) -> dict:
    return _input_value(state, block_id, ids.FIELD_ACTION)


def parse_grading_submission(body: dict) -> GradingSubmission:
    """Read a view_submission body of the grading modal; unknown shapes read as blank fields, never errors."""
    view = _dict(body.get("view"))
    try:
        meta = _dict(json.loads(_str(view.get("private_metadata")) or "{}"))
    except ValueError:
        meta = {}
    krs = meta.get("k")
    kr_ids = tuple(k for k in (krs if isinstance(krs, list) else []) if _int(k) is not None)
    state = _dict(_dict(view.get("state")).get("values"))
    text = lambda block_id: _str(_field(state, block_id).get("value")).strip()  # noqa: E731
    grades = {k: text(ids.kr_block(ids.GRADE_BLOCK, k)) for k in kr_ids}
    evidence = {k: text(ids.kr_block(ids.EVIDENCE_BLOCK, k)) for k in kr_ids}
    decisions = {k: _str(_dict(_field(state, ids.kr_block(ids.NEXT_BLOCK, k)).get("selected_option")).get("value"))
                 for k in kr_ids}
    return GradingSubmission(
        user_id=_str(_dict(body.get("user")).get("id")), view_id=_str(view.get("id")),
        team_id=_int(meta.get("t")), cycle_id=_int(meta.get("c")), kr_ids=kr_ids, grades=grades,
        evidence=evidence, decisions=decisions, worked=text(ids.RETRO_WORKED_BLOCK),
        did_not_work=text(ids.RETRO_DID_NOT_BLOCK), learned=text(ids.RETRO_LEARNED_BLOCK),
        change_next=text(ids.RETRO_CHANGE_BLOCK))
