"""A KR's `source:` in the OKR file: checked with line numbers, stored as written, exported back, never half-stored."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.okr_files.checker import load_okr_text
from bot.okr_files.exporter import export_yaml
from bot.okr_files.importer import apply_okr_set
from bot.okr_files.spec import OkrFileError
from bot.sources.spec import SourceProblem, parse_source, source_dict
from storage.db import session_scope
from storage.models import KeyResult

HEAD = """\
cycle: {name: 2026-Q4, start: 2026-10-01, end: 2026-12-31}
teams:
  - name: Growth
    channel: C0GROWTH
objectives:
  - team: Growth
    title: Activation
    key_results:
      - id: d7
        title: Increase Day-7 activation rate from 22% to 35%
        owner: U0ALICE
        baseline: 22
        target: 35
"""
HTTP = """\
        source: {type: http, url: "https://metrics.example.com/a.json", path: "data.d7",
                 headers: {Authorization: "Bearer ${METRICS_TOKEN}"}}
"""
SQL_BLOCK = """\
      - id: signups
        title: Signups from 100 to 200
        owner: U0ALICE
        baseline: 100
        target: 200
        source:
          type: sql
          database: ANALYTICS_DATABASE_URL
          query: |
            select count(*)
            from signups
"""


def _import(engine, text):
    okr = load_okr_text(text, "okrs.yaml")
    with session_scope(engine) as s:
        return apply_okr_set(okr, session=s)


def _sources(engine):
    with session_scope(engine) as s:
        return {kr.key: kr.source for kr in s.exec(select(KeyResult))}


def test_sources_are_stored_as_written_and_exported_back(engine):
    _import(engine, HEAD + HTTP + SQL_BLOCK)
    assert _sources(engine) == {
        "d7": {"type": "http", "url": "https://metrics.example.com/a.json", "path": "data.d7",
               "headers": {"Authorization": "Bearer ${METRICS_TOKEN}"}},
        "signups": {"type": "sql", "database": "ANALYTICS_DATABASE_URL", "query": "select count(*)\nfrom signups"},
    }
    with session_scope(engine) as s:
        text = export_yaml(session=s)
    assert "source: {type: http, url: 'https://metrics.example.com/a.json', path: data.d7, headers: {Authorization: " \
           "'Bearer ${METRICS_TOKEN}'}}" in text
    assert "          query: |-\n            select count(*)\n            from signups\n" in text
    # The export re-imports to the same thing, and says so.
    assert not _import(engine, text).changed
    # Removing `source:` from the file removes it from the KR.
    assert _import(engine, HEAD).key_results_updated == 1
    assert _sources(engine)["d7"] is None


@pytest.mark.parametrize("block, line, field, words", [
    ("        source: {type: http, url: \"ftp://x\"}\n", 14, "source.url", "must start with https:// or http://"),
    ("        source: {type: sheet}\n", 14, "source.type", "'sheet' is not a source type"),
    ("        source: https://x\n", 14, "source", "a source must be a mapping"),
    ("        source:\n          type: csv\n          url: https://x\n          cell: 7B\n", 17, "source.cell",
     "'7B' is not a cell like B7"),
    ("        source:\n          type: http\n          url: https://x\n          headers:\n            Accept: a\n"
     "            Token: literal-secret\n", 19, "source.headers.Token", "carries a secret"),
    ("        source:\n          type: http\n          type: csv\n          url: https://x\n", 16, "source.type",
     "appears more than once"),
])
def test_a_bad_source_is_refused_with_its_line_and_nothing_is_stored(sqlite_engine, block, line, field, words):
    with pytest.raises(OkrFileError) as caught:
        _import(sqlite_engine, HEAD + block)
    [problem] = caught.value.problems
    assert (problem.line, problem.field) == (line, f"objectives[0].key_results[0].{field}")
    assert words in problem.message
    assert _sources(sqlite_engine) == {}


_DEFINITIONS = st.one_of(
    st.fixed_dictionaries({"type": st.sampled_from(["http", "csv", "sql", "prometheus", "ftp"])},
                          optional={"url": st.sampled_from(["https://x.example/a", "http://p:9090", "ftp://x", "",
                                                            "${URL}", "https://u:pw@x/", 7]),
                                    "path": st.sampled_from(["data.d7", "a[[", "x | [0]"]),
                                    "headers": st.sampled_from([{"A": "b"}, {"Authorization": "Bearer ${T}"},
                                                                {"Authorization": "x"}, ["a"]]),
                                    "cell": st.sampled_from(["B7", "b7", "7B", ""]),
                                    "database": st.sampled_from(["DB_URL", "sqlite:///x.db"]),
                                    "query": st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
                                    "extra": st.integers()}),
    st.text(max_size=20), st.integers(), st.lists(st.integers(), max_size=2))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(definition=_DEFINITIONS)
def test_fuzz_import_stores_a_whole_source_or_nothing(sqlite_engine, definition):
    with session_scope(sqlite_engine) as s:
        for kr in s.exec(select(KeyResult)):
            s.delete(kr)
    text = HEAD + "        source: " + yaml.safe_dump(definition, default_flow_style=True, width=10_000)
    try:
        expected = source_dict(parse_source(definition))
    except SourceProblem:
        expected = None
    try:
        _import(sqlite_engine, text)
    except OkrFileError as exc:
        assert expected is None and all(p.line for p in exc.problems)
        assert _sources(sqlite_engine) == {}
    else:
        assert _sources(sqlite_engine) == {"d7": expected}


def test_lint_accepts_a_source_and_refuses_a_bad_one_as_import_does(tmp_path):
    from bot.okr_files.lint import errors, lint_file

    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(HEAD + HTTP)
    bad.write_text(HEAD + "        source: {type: http, url: \"ftp://x\"}\n")
    assert errors(lint_file(good)) == []
    assert [f.message for f in errors(lint_file(bad))] == [
        f"{bad}:14: objectives[0].key_results[0].source.url: the URL must start with https:// or http://, not 'ftp://x'"]
