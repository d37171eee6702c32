"""Property-based fuzzing: no input raises an unhandled exception, and every refusal is a clear sentence."""

from datetime import UTC, datetime
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answers import commands
from bot.okr_files.checker import load_okr_text
from bot.okr_files.spec import OkrFileError
from bot.slack.payloads import parse_checkin_submission
from bot.rules.values import InvalidValue, parse_value
from storage.db import session_scope

GROWTH = (Path(__file__).resolve().parents[1] / "fixtures" / "growth.yaml").read_text()
NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)

words = st.sampled_from(["help", "checkin", "status", "digest", "preview", "lint", "team", "me", "Growth",
                         "<@U0BOB|bob>", "<@U0ALICE>", "<#C0GROWTH|growth>", '"Growth', "'", "\\", "@", "--x"])
command_text = st.one_of(st.text(max_size=600), st.lists(words, max_size=6).map(" ".join))


def is_sentence(text: str) -> bool:
    return bool(text) and text[0].isupper() or text.startswith(("`", "*", "“", "\"", "'", "<", ":"))


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(max_size=80), st.from_regex(r"[-+]?[\d,.]{0,12}\s?[a-zA-Z%$€£]{0,6}")))
def test_value_parser_never_raises_anything_else(value):
    try:
        result = parse_value(value)
    except InvalidValue as exc:
        assert is_sentence(str(exc)) and "35%" in str(exc)
    else:
        assert abs(result) <= 1e12


@settings(max_examples=300, deadline=None)
@given(text=command_text)
def test_command_parser_never_raises(text):
    cmd = commands.parse(text)
    assert cmd.name == cmd.name.lower() and len(" ".join(cmd.args)) <= commands.MAX_COMMAND_CHARS


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=command_text, user=st.sampled_from(["U0ALICE", "U0LEAD", "U0EVE"]))
def test_every_command_answers_with_a_sentence_or_a_view(sqlite_engine, text, user):
    with session_scope(sqlite_engine) as session:
        result = commands.run(commands.parse(text), user, session=session, now=NOW)
    if result.view is None:
        assert result.text.strip() and "Traceback" not in result.text
    else:
        assert result.view["type"] == "modal"


def _mutations():
    """Valid documents with one value swapped for something arbitrary."""
    base = yaml.safe_load(GROWTH)
    paths = [("cycle", "name"), ("cycle", "start"), ("cycle", "end"), ("teams", 0, "name"), ("teams", 0, "channel"),
             ("teams", 0, "leads"), ("teams", 0, "timezone"), ("teams", 0, "checkin"), ("teams", 0, "digest"),
             ("objectives", 0, "team"), ("objectives", 0, "title"), ("objectives", 0, "type"),
             ("objectives", 0, "key_results"), ("objectives", 0, "key_results", 0, "baseline"),
             ("objectives", 0, "key_results", 0, "target"), ("objectives", 0, "key_results", 0, "owner"),
             ("objectives", 0, "key_results", 0, "unit"), ("objectives", 0, "key_results", 1, "title")]
    junk = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                                  st.text(max_size=300), st.dates()),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=6)

    @st.composite
    def build(draw):
        import copy

        doc = copy.deepcopy(base)
        path = draw(st.sampled_from(paths))
        node = doc
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = draw(junk)
        return yaml.safe_dump(doc, sort_keys=False)

    return build()


def _check_import(text):
    try:
        load_okr_text(text, filename="fuzz.yaml")
    except OkrFileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file == "fuzz.yaml" and problem.message.strip()
            assert "Traceback" not in str(problem)


@settings(max_examples=300, deadline=None)
@given(text=_mutations())
def test_importer_survives_mutated_documents(text):
    _check_import(text)


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=400), st.binary(max_size=200).map(lambda b: b.decode("latin-1"))))
def test_importer_survives_arbitrary_text(text):
    _check_import(text)


@settings(max_examples=300, deadline=None)
@given(body=st.recursive(st.one_of(st.none(), st.text(max_size=20), st.integers()),
                         lambda inner: st.dictionaries(st.sampled_from(
                             ["view", "user", "id", "private_metadata", "state", "values", "krs", "for",
                              "value:1", "value", "confidence:1", "confidence", "selected_option", "note:1"]),
                             inner, max_size=4), max_leaves=10))
def test_submission_parser_never_raises(body):
    if isinstance(body, dict):
        parse_checkin_submission(body)
