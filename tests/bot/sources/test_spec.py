"""Source definitions: the four types parse, anything else is refused with the field and a sentence."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.sources.spec import (
    CsvSource,
    HttpSource,
    PrometheusSource,
    SourceProblem,
    SqlSource,
    origin_key,
    origin_label,
    parse_source,
    source_dict,
    variables,
)

HTTP = {"type": "http", "url": "https://metrics.example.com/activation.json", "path": "data.d7",
        "headers": {"Authorization": "Bearer ${METRICS_TOKEN}"}}
CSV = {"type": "csv", "url": "https://docs.google.com/spreadsheets/d/e/x/pub?output=csv", "cell": "b7"}
SQL = {"type": "sql", "database": "ANALYTICS_DATABASE_URL", "query": "select avg(d7) from activation_weekly"}
PROMETHEUS = {"type": "prometheus", "url": "http://prometheus:9090", "query": "sum(rate(signups_total[7d]))"}


def test_the_four_types_parse_and_write_back_as_written():
    http, csv, sql, prom = (parse_source(raw) for raw in (HTTP, CSV, SQL, PROMETHEUS))
    assert http == HttpSource(HTTP["url"], "data.d7", {"Authorization": "Bearer ${METRICS_TOKEN}"})
    assert csv == CsvSource(CSV["url"], "B7")
    assert sql == SqlSource("ANALYTICS_DATABASE_URL", SQL["query"])
    assert prom == PrometheusSource(PROMETHEUS["url"], PROMETHEUS["query"])
    # ${VAR} is never expanded at parse time: the definition written back holds the reference, not a secret.
    assert source_dict(http) == HTTP
    assert source_dict(csv) == {**CSV, "cell": "B7"}
    assert [parse_source(source_dict(s)) for s in (http, csv, sql, prom)] == [http, csv, sql, prom]
    assert [origin_key(s) for s in (http, csv, sql, prom)] == ["http", "csv", "sql", "prometheus"]
    assert [origin_label(s) for s in (http, csv, sql, prom)] == ["HTTP", "a sheet", "SQL", "Prometheus"]
    assert variables(http) == ["METRICS_TOKEN"] and variables(sql) == ["ANALYTICS_DATABASE_URL"]
    assert len({http, csv, sql, prom}) == 4


def test_an_http_source_needs_only_a_url():
    source = parse_source({"type": "HTTP ", "url": "http://x.example/n"})
    assert source == HttpSource("http://x.example/n") and source_dict(source) == {"type": "http",
                                                                                  "url": "http://x.example/n"}


@pytest.mark.parametrize("raw, path, words", [
    ("http://x", "source", "must be a mapping"),
    ({"url": "https://x"}, "source.type", "needs `type:`"),
    ({"type": "ftp"}, "source.type", "'ftp' is not a source type; use one of http, csv, sql, prometheus"),
    ({"type": "http"}, "source.url", "an http source needs `url:`"),
    ({"type": "http", "url": "https://x", "cell": "B7"}, "source.cell", "an http source has no field 'cell'"),
    ({"type": "http", "url": "file:///etc/passwd"}, "source.url", "must start with https:// or http://"),
    ({"type": "http", "url": "gopher://x"}, "source.url", "must start with https:// or http://"),
    ({"type": "http", "url": "https://"}, "source.url", "has no host name"),
    ({"type": "http", "url": "https://x:port/"}, "source.url", "is not a URL I can read"),
    ({"type": "http", "url": "https://u:hunter2@x/"}, "source.url", "contains a password"),
    ({"type": "http", "url": "https://x/${TOKEN"}, "source.url", "not a reference like ${METRICS_TOKEN}"),
    ({"type": "http", "url": "https://x/a b"}, "source.url", "contains a space"),
    ({"type": "http", "url": "https://x", "headers": {"X": "h\u00e9"}}, "source.headers.X", "use plain ASCII"),
    ({"type": "http", "url": "https://x", "path": "data[["}, "source.path", "not a JMESPath expression"),
    ({"type": "http", "url": "https://x", "headers": ["a"]}, "source.headers", "must be a mapping"),
    ({"type": "http", "url": "https://x", "headers": {"Bad Name": "v"}}, "source.headers", "not an HTTP header"),
    ({"type": "http", "url": "https://x", "headers": {"X": "a\nb"}}, "source.headers.X", "control character"),
    ({"type": "http", "url": "https://x", "headers": {"Authorization": "Bearer abc123"}},
     "source.headers.Authorization", "carries a secret: take it from the environment"),
    ({"type": "http", "url": "https://x", "headers": {"X-Api-Key": "abc123"}}, "source.headers.X-Api-Key",
     "carries a secret"),
    ({"type": "csv", "url": "https://x"}, "source.cell", "a csv source needs `cell:`"),
    ({"type": "csv", "url": "https://x", "cell": "7B"}, "source.cell", "'7B' is not a cell like B7"),
    ({"type": "csv", "url": "https://x", "cell": 7}, "source.cell", "`cell` must be text, not the number 7"),
    ({"type": "sql", "database": "postgresql://u:pw@db/x", "query": "select 1"}, "source.database",
     "the URL itself never goes in the file"),
    ({"type": "sql", "database": "DB"}, "source.query", "a sql source needs `query:`"),
    ({"type": "sql", "database": "DATABASE_URL", "query": "select 1"}, "source.database",
     "DATABASE_URL is one of okrbot's own settings, which sources may not use"),
    ({"type": "http", "url": "https://x/?t=${SLACK_BOT_TOKEN}"}, "source.url", "SLACK_BOT_TOKEN is one of okrbot's"),
    ({"type": "http", "url": "https://x", "headers": {"X-Auth": "${okrbot_anything}"}}, "source.headers.X-Auth",
     "okrbot_anything is one of okrbot's own settings"),
    ({"type": "sql", "database": "DB", "query": "  "}, "source.query", "`query` is empty"),
    ({"type": "prometheus", "url": "http://p:9090", "query": "x" * 5000}, "source.query", "longer than 4,000"),
])
def test_a_bad_definition_is_refused_with_its_field_and_a_sentence(raw, path, words):
    with pytest.raises(SourceProblem) as caught:
        parse_source(raw)
    assert caught.value.path == path
    assert words in str(caught.value) and caught.value.sentence == str(caught.value)


def test_a_url_from_the_environment_is_checked_when_read_not_now():
    assert parse_source({"type": "prometheus", "url": "${PROMETHEUS_URL}", "query": "up"}).url == "${PROMETHEUS_URL}"


_KEYS = st.sampled_from(["type", "url", "path", "headers", "cell", "database", "query", "extra", 7, None])
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=60),
                     st.sampled_from(["http", "csv", "sql", "prometheus", "https://x.example/a", "${A}", "${",
                                      "B7", "ZZZ9999999", "data.d7", "a[?b>`1`].c | [0]", "DB_URL", "select 1",
                                      "Bearer ${T}", "http://[::1", "https://u:p@h/"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                         st.dictionaries(st.text(max_size=12), inner, max_size=3)),
                       max_leaves=8)


_TYPED = st.builds(lambda kind, rest: {"type": kind, **rest}, st.sampled_from(["http", "csv", "sql", "prometheus"]),
                   st.dictionaries(_KEYS, _VALUES, max_size=4))


@settings(max_examples=150, deadline=None)
@given(raw=st.one_of(_VALUES, st.dictionaries(_KEYS, _VALUES, max_size=5), _TYPED))
def test_fuzz_parse_source_raises_only_source_problem(raw):
    try:
        source = parse_source(raw)
    except SourceProblem as exc:
        assert exc.path.startswith("source") and exc.sentence
    else:
        # Whatever parses writes back to a definition that parses to the same source.
        assert parse_source(source_dict(source)) == source
