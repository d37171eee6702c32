"""HTTP JSON and CSV sources against a real loopback server: values, HTTP errors, timeouts, refusals, no secrets."""

import logging
import socket
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sources import fetch
from bot.sources.read import Reading, read_source, read_sources
from bot.sources.spec import CsvSource, HttpSource, PrometheusSource, parse_source

from .conftest import ALLOW, Route


def test_a_json_answer_gives_the_number_at_the_path_and_sends_the_headers(web):
    url = web.json("/activation.json", {"data": {"d7": 31.5, "label": "35%"}})
    source = parse_source({"type": "http", "url": url, "path": "data.d7",
                           "headers": {"Authorization": "Bearer ${METRICS_TOKEN}"}})
    assert read_source(source, environ={**ALLOW, "METRICS_TOKEN": "s3cret-token"}) == Reading(value=31.5)
    assert web.seen[-1][1]["Authorization"] == "Bearer s3cret-token"
    # Text is read like a check-in value.
    assert read_source(HttpSource(url, "data.label"), environ=ALLOW).value == 35.0


def test_a_whole_answer_can_be_the_number(web):
    assert read_source(HttpSource(web.json("/n", 1200)), environ=ALLOW).value == 1200.0
    assert read_source(HttpSource(web.json("/n", "3.5k")), environ=ALLOW).value == 3500.0


@pytest.mark.parametrize("document, path, failure", [
    ({"data": {"d7": "n/a"}}, "data.d7", "the answer at data.d7 is not a number: 'n/a'"),
    ({"data": {}}, "data.d7", "the answer has nothing at data.d7"),
    ({"data": {"d7": True}}, "data.d7", "the answer at data.d7 is not a number: true"),
    ({"data": {"d7": [1, 2]}}, "data.d7", "the answer at data.d7 is not a number: '[1, 2]'"),
    ({"data": {"d7": 1e300}}, "data.d7", "the answer at data.d7 is beyond a trillion: '1e+300'"),
])
def test_an_answer_that_is_not_a_number_says_what_it_is(web, document, path, failure):
    assert read_source(HttpSource(web.json("/x", document), path), environ=ALLOW) == Reading(failure=failure)


def test_http_errors_timeouts_and_broken_answers_are_exact_reasons(web):
    web.routes["/down"] = Route(status=503, body=b"{}")
    web.routes["/slow"] = Route(body=b"1", delay=2)
    web.routes["/html"] = Route(body=b"<html>", content_type="text/html")
    assert read_source(HttpSource(web.url("/down")), environ=ALLOW).failure == "HTTP 503"
    assert read_source(HttpSource(web.url("/missing")), environ=ALLOW).failure == "HTTP 404"
    started = time.monotonic()
    assert read_source(HttpSource(web.url("/slow")), environ=ALLOW, timeout=0.3).failure == "timed out after 0.3 s"
    assert time.monotonic() - started < 1.5
    assert read_source(HttpSource(web.url("/html")), environ=ALLOW).failure == "the answer is not JSON"


def test_a_server_that_answers_a_byte_at_a_time_is_cut_at_the_timeout(web):
    # Each byte comes well within httpx's per-read timeout; only the whole read's deadline stops it.
    web.routes["/drip"] = Route(body=b"12345678901234567890", drip=0.05)
    started = time.monotonic()
    assert read_source(HttpSource(web.url("/drip")), environ=ALLOW, timeout=0.5).failure == "timed out after 0.5 s"
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_a_connection_failure():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    reading = read_source(HttpSource(f"http://127.0.0.1:{port}/"), environ=ALLOW)
    assert reading.failure == "could not connect to 127.0.0.1: connection refused"


def test_redirects_are_followed_and_each_hop_checked(web, monkeypatch):
    target = web.json("/final", {"v": 7})
    web.routes["/moved"] = Route(status=302, location=target)
    assert read_source(HttpSource(web.url("/moved"), "v"), environ=ALLOW).value == 7.0
    # Without the permission the first hop is already refused; a redirect from a public host to a private one
    # meets the same check, because every connection goes through it.
    assert "private, loopback or link-local" in read_source(HttpSource(web.url("/moved"), "v"), environ={}).failure
    web.routes["/loop"] = Route(status=302, location=web.url("/loop"))
    assert read_source(HttpSource(web.url("/loop")), environ=ALLOW).failure == "more than 5 redirects"


def test_private_and_loopback_addresses_are_refused_unless_allowed(web, monkeypatch):
    monkeypatch.delenv("OKRBOT_SOURCES_ALLOW_PRIVATE", raising=False)
    url = web.json("/n", 5)
    for source in (HttpSource(url), HttpSource(url.replace("127.0.0.1", "localhost")),
                   CsvSource(url, "A1"), PrometheusSource(f"http://127.0.0.1:{web.port}", "up")):
        reading = read_source(source, environ={})
        assert "sources may only reach public addresses unless OKRBOT_SOURCES_ALLOW_PRIVATE=1" in reading.failure
    assert web.seen == []
    assert read_source(HttpSource(url), environ={"OKRBOT_SOURCES_ALLOW_PRIVATE": "0"}).failure is not None


def test_every_address_of_a_host_is_checked_and_the_checked_one_is_used(web, monkeypatch):
    real = socket.getaddrinfo
    answers = {"mixed.test": ["8.8.8.8", "10.1.2.3"], "loopback.test": ["127.0.0.1"]}

    def resolve(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", resolve)
    reading = read_source(HttpSource(f"http://mixed.test:{web.port}/n"), environ={})
    assert reading.failure.startswith("mixed.test is at 10.1.2.3, which is a private")
    # The connection goes to the address resolved and checked, never to a second lookup of the name.
    web.json("/n", 9)
    assert read_source(HttpSource(f"http://loopback.test:{web.port}/n"), environ=ALLOW).value == 9.0


@pytest.mark.parametrize("address, is_public", [
    ("8.8.8.8", True), ("2606:4700::1", True), ("127.0.0.1", False), ("10.0.0.1", False), ("192.168.1.1", False),
    ("172.16.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False), ("0.0.0.0", False), ("::1", False),
    ("fe80::1", False), ("fc00::1", False), ("::ffff:127.0.0.1", False), ("64:ff9b::7f00:1", False),
    ("2002:7f00:1::", False), ("224.0.0.1", False), ("not an address", False),
])
def test_public_addresses(address, is_public):
    assert fetch.public(address) is is_public


def test_only_http_and_https_are_read_even_from_the_environment():
    reading = read_source(HttpSource("${URL}"), environ={"URL": "file:///etc/passwd"})
    assert reading.failure == "only http:// and https:// URLs can be read, not file:"


def test_a_missing_variable_is_named_and_secrets_never_appear(web, caplog):
    web.routes["/echo"] = Route(status=200, body=b'{"v": "token s3cret-token-value"}')
    source = HttpSource(web.url("/echo"), "v", {"Authorization": "Bearer ${METRICS_TOKEN}"})
    assert read_source(source, environ=ALLOW).failure == "environment variable METRICS_TOKEN is not set"
    with caplog.at_level(logging.DEBUG):
        reading = read_source(source, environ={**ALLOW, "METRICS_TOKEN": "s3cret-token-value"})
    assert reading.failure == "the answer at v is not a number: 'token ***'"
    assert "s3cret" not in caplog.text


def test_a_csv_cell(web):
    url = web.text("/sheet.csv", "\ufeffweek,d7\n2026-W48,31.5%\n2026-W49,\"1,200\"\n,\n")
    assert read_source(CsvSource(url, "B2"), environ=ALLOW).value == 31.5
    assert read_source(CsvSource(url, "B3"), environ=ALLOW).value == 1200.0
    assert read_source(CsvSource(url, "A2"), environ=ALLOW).failure == "cell A2 is not a number: '2026-W48'"
    assert read_source(CsvSource(url, "B4"), environ=ALLOW).failure == "cell B4 is empty"
    assert read_source(CsvSource(url, "C2"), environ=ALLOW).failure == "the sheet has no cell C2 (row 2 has 2 columns)"
    assert read_source(CsvSource(url, "B9"), environ=ALLOW).failure == \
        "the sheet has no cell B9 (it has fewer than 9 rows)"
    page = web.text("/private-sheet", "<!DOCTYPE html><html>Sign in</html>", content_type="text/html")
    assert read_source(CsvSource(page, "B2"), environ=ALLOW).failure.startswith("the answer is a web page, not CSV")


def test_many_sources_are_read_concurrently_in_order(web):
    web.routes["/hang"] = Route(body=b"1", delay=3)
    fast = [HttpSource(web.json(f"/v{i}", i)) for i in range(12)]
    sources = [s for pair in zip(fast, [HttpSource(web.url("/hang"))] * 12) for s in pair]
    started = time.monotonic()
    readings = read_sources(sources, environ=ALLOW, timeout=0.5, concurrency=24)
    elapsed = time.monotonic() - started
    assert [r.value for r in readings[::2]] == [float(i) for i in range(12)]
    assert {r.failure for r in readings[1::2]} == {"timed out after 0.5 s"}
    # 12 hanging sources at once take about one timeout, not twelve.
    assert elapsed < 2.5
    assert read_sources([], environ=ALLOW) == []


def test_a_reading_has_exactly_one_of_value_and_failure():
    with pytest.raises(ValueError):
        Reading()
    with pytest.raises(ValueError):
        Reading(value=1.0, failure="x")


_JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                               st.text(max_size=20), st.sampled_from(["35%", "1,200", "3.5k", "n/a", "1e400"])),
                     lambda inner: st.one_of(st.lists(inner, max_size=3),
                                             st.dictionaries(st.sampled_from(["data", "d7", "a", "b"]), inner,
                                                             max_size=3)),
                     max_leaves=10)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_JSON, path=st.sampled_from([None, "data.d7", "a[0]", "a[?b > `1`].b | [0]", "length(a)", "data.*"]),
       csv_text=st.text(max_size=60), cell=st.sampled_from(["A1", "B2", "AA10", "C3"]))
def test_fuzz_a_reader_never_raises_and_never_shows_the_secret(web, document, path, csv_text, cell):
    web.json("/doc", document)
    web.text("/sheet", csv_text)
    environ = {**ALLOW, "SECRET_TOKEN": "tok-0123456789"}
    http = HttpSource(web.url("/doc"), path, {"Authorization": "Bearer ${SECRET_TOKEN}"})
    for reading in (read_source(http, environ=environ), read_source(CsvSource(web.url("/sheet"), cell), environ=environ)):
        assert isinstance(reading, Reading)
        assert reading.value is not None or (reading.failure and "tok-0123456789" not in reading.failure)
        assert "unexpectedly" not in (reading.failure or "")


def test_okrbot_own_settings_never_reach_a_source(web):
    from bot.sources.spec import SqlSource

    environ = {**ALLOW, "SLACK_BOT_TOKEN": "xoxb-secret-bot-token", "DATABASE_URL": "sqlite:///okrbot.db"}
    source = HttpSource(web.url("/n") + "?t=${SLACK_BOT_TOKEN}")
    assert read_source(source, environ=environ).failure == \
        "environment variable SLACK_BOT_TOKEN is one of okrbot's own settings, which sources may not use"
    assert read_source(SqlSource("DATABASE_URL", "select 1"), environ=environ).failure == \
        "environment variable DATABASE_URL is one of okrbot's own settings, which sources may not use"
    assert web.seen == []
    # OKRBOT_SOURCES_VARIABLES, when set, is the only list of variables sources may read.
    listed = {**environ, "OKRBOT_SOURCES_VARIABLES": "METRICS_TOKEN, ANALYTICS_DATABASE_URL", "HOME_SECRET": "s3cr3t"}
    assert read_source(HttpSource(web.url("/n") + "?t=${HOME_SECRET}"), environ=listed).failure == \
        "environment variable HOME_SECRET is not listed in OKRBOT_SOURCES_VARIABLES, so sources may not use it"
    web.json("/n", 4)
    assert read_source(HttpSource(web.url("/n") + "?t=${METRICS_TOKEN}"), environ={**listed, "METRICS_TOKEN": "t"}) \
        == Reading(value=4.0)
