"""A KR's source in the objective form (`/okr new`, `/okr edit`): shown on one line, checked with a sentence, saved."""

from sqlmodel import select

from bot.answers import authoring
from bot.slack import ids
from bot.slack.payloads import KRRow, draft_from_json
from storage.db import session_scope
from storage.models import KeyResult
from tests.bot.answers.test_authoring import NOW, add_krs, edit_draft, growth, submit  # noqa: F401 - the fixture

PROM = {"type": "prometheus", "url": "http://prometheus:9090", "query": "sum(up)"}


def _source_of(engine, title):
    with session_scope(engine) as s:
        return s.exec(select(KeyResult).where(KeyResult.title == title)).one().source


def test_the_form_shows_a_stored_source_on_one_line_and_saves_an_edit(growth):
    engine, _, _, objective_id = growth
    add_krs(engine, objective_id, ["Increase signups from 1 to 2"])
    with session_scope(engine) as s:
        s.exec(select(KeyResult)).one().source = PROM
    draft = edit_draft(engine, objective_id)
    assert draft.rows[0].source == "{type: prometheus, url: 'http://prometheus:9090', query: sum(up)}"
    with session_scope(engine) as s:
        view = authoring.edit_form(objective_id, "U0LEAD", session=s, now=NOW).view
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.row_block(ids.KR_SOURCE_BLOCK, draft.rows[0].row))
    assert block["element"]["initial_value"] == draft.rows[0].source
    # Metadata carries the source to the review step and back.
    assert draft_from_json(draft.to_json()) == draft

    changed = KRRow(draft.rows[0].row, draft.rows[0].title, "U0ALICE", "1", "2",
                    source='{type: http, url: "https://m.example.com/a.json", path: data.d7, '
                           'headers: {Authorization: "Bearer ${METRICS_TOKEN}"}}')
    submit(engine, edit_draft(engine, objective_id, rows=(changed,)))
    assert _source_of(engine, "Increase signups from 1 to 2") == {
        "type": "http", "url": "https://m.example.com/a.json", "path": "data.d7",
        "headers": {"Authorization": "Bearer ${METRICS_TOKEN}"}}
    # Emptying the field takes the source away.
    cleared = KRRow(draft.rows[0].row, draft.rows[0].title, "U0ALICE", "1", "2")
    submit(engine, edit_draft(engine, objective_id, rows=(cleared,)))
    assert _source_of(engine, "Increase signups from 1 to 2") is None


def test_a_bad_source_is_a_sentence_under_its_field_and_nothing_is_saved(growth):
    engine, _, _, objective_id = growth
    block = ids.row_block(ids.KR_SOURCE_BLOCK, "n0")
    for text, error in (
            ('{type: http, url: "ftp://x"}', "The URL must start with https:// or http://, not 'ftp://x' (url)."),
            ("{type: http, url: [", "The source is not a YAML mapping like {type: prometheus, url: "
                                    "\"http://prometheus:9090\", query: \"sum(up)\"} (expected the node content, "
                                    "but found '<stream end>')."),
            ("https://x", "A source must be a mapping like {type: http, url: \"https://…\"}, not 'https://x'."),
            ('{type: http, url: "https://x", headers: {Authorization: "Bearer abc"}}',
             "The header Authorization carries a secret: take it from the environment, as in Authorization: "
             "\"Bearer ${METRICS_TOKEN}\", so it never enters okrbot's database (headers.Authorization).")):
        row = KRRow("n0", "Increase signups from 1 to 2", "U0ALICE", "1", "2", source=text)
        answer = submit(engine, edit_draft(engine, objective_id, rows=(row,)))
        assert answer.errors == {block: error}
    with session_scope(engine) as s:
        assert s.exec(select(KeyResult)).all() == []


def test_the_submitted_form_carries_the_typed_source():
    from bot.slack.payloads import parse_objective_form

    def value(text):
        return {ids.FIELD_ACTION: {"type": "plain_text_input", "value": text}}

    state = {ids.row_block(ids.KR_TITLE_BLOCK, "n0"): value("Increase signups from 1 to 2"),
             ids.row_block(ids.KR_SOURCE_BLOCK, "n0"): value('  {type: sql, database: DB_URL, query: "select 1"} ')}
    body = {"user": {"id": "U0LEAD"}, "view": {"id": "V1", "private_metadata": '{"r": ["n0"]}',
                                                "state": {"values": state}}}
    [row] = parse_objective_form(body).draft.rows
    assert row.source == '{type: sql, database: DB_URL, query: "select 1"}' and not row.blank
