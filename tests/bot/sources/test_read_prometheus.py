"""Prometheus sources against a real Prometheus (the conftest fixture starts one on a loopback port)."""

from bot.sources.read import read_source
from bot.sources.spec import PrometheusSource

from .conftest import ALLOW


def test_one_of_its_own_metrics(prometheus):
    assert read_source(PrometheusSource(prometheus, 'up{job="prometheus"}'), environ=ALLOW).value == 1.0
    # A scalar, and the base URL with a trailing slash or from the environment.
    assert read_source(PrometheusSource(prometheus + "/", "scalar(up) * 35"), environ=ALLOW).value == 35.0
    reading = read_source(PrometheusSource("${PROMETHEUS_URL}", "sum(prometheus_build_info)"),
                          environ={**ALLOW, "PROMETHEUS_URL": prometheus})
    assert reading.value == 1.0


def test_a_query_needs_exactly_one_finite_sample(prometheus):
    def failure(query):
        return read_source(PrometheusSource(prometheus, query), environ=ALLOW).failure

    assert failure("no_such_metric_total") == \
        "the query returned 0 samples; a source needs exactly one (wrap it in sum(…))"
    assert failure('label_replace(up, "copy", "b", "", "") or label_replace(up, "copy", "a", "", "")') == \
        "the query returned 2 samples; a source needs exactly one (wrap it in sum(…))"
    assert failure("up[1m]") == "the query gives a matrix result; a source needs an instant vector or a scalar"
    assert failure("scalar(up) / 0") == "the scalar Prometheus answered is not a finite number: '+Inf'"
    assert read_source(PrometheusSource(prometheus, "sum(up) * 1e6"), environ=ALLOW).value == 1_000_000.0
    assert failure("sum(rate(up[") .startswith("Prometheus refused the query: ")


def test_a_url_that_is_not_prometheus(prometheus):
    reading = read_source(PrometheusSource(prometheus + "/nowhere", "up"), environ=ALLOW)
    assert reading.failure == "HTTP 404"
