"""Reading sources now: each gives a value or the exact reason it could not, never an exception, never a secret.

${VAR} references are expanded here from the environment given (never stored). Every failure sentence passes
through _scrub, which blanks the values of the variables the source used, so a secret echoed back by a server or
a driver cannot reach a log line or the database.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

import jmespath
from jmespath.exceptions import JMESPathError

from bot.rules.values import InvalidValue, MAX_MAGNITUDE, parse_value
from bot.sources.fetch import FetchFailed, get, seconds
from bot.sources.spec import VARIABLE, CsvSource, HttpSource, PrometheusSource, Source, SqlSource, reserved
from bot.sources.sql import SqlFailed, first_value

__all__ = ["ALLOW_PRIVATE", "READ_TIMEOUT_SECONDS", "VARIABLES", "Reading", "read_source", "read_sources"]

logger = logging.getLogger(__name__)

# Long enough for a slow dashboard or a heavy query, short enough that a tick reading many sources stays brisk.
READ_TIMEOUT_SECONDS: Final = 10.0
ALLOW_PRIVATE: Final = "OKRBOT_SOURCES_ALLOW_PRIVATE"
# When set (names separated by commas or spaces), the only environment variables sources may use: the server's
# other secrets then stay out of reach of whoever writes sources (leads can, in Slack).
VARIABLES: Final = "OKRBOT_SOURCES_VARIABLES"
# Secrets shorter than this are not blanked: replacing "1" in every message would garble it and hide nothing.
_MIN_SECRET: Final = 4


@dataclass(frozen=True)
class Reading:
    """One read: exactly one of value and failure is set; failure is a sentence for people, without secrets."""

    value: float | None = None
    failure: str | None = None

    def __post_init__(self) -> None:
        if (self.value is None) == (self.failure is None):
            raise ValueError("a Reading has exactly one of value and failure")

    @property
    def ok(self) -> bool:
        """True when the read gave a value."""
        return self.value is not None


class _Failed(Exception):
    """A read that gave no value; str() is the reason, before scrubbing."""


def _permitted(name: str, environ: Mapping[str, str]) -> None:
    if reserved(name):
        # parse_source refuses these; a definition stored before that rule (or built by hand) meets it here.
        raise _Failed(f"environment variable {name} is one of okrbot's own settings, which sources may not use")
    listed = environ.get(VARIABLES)
    if listed is not None and name not in listed.replace(",", " ").split():
        raise _Failed(f"environment variable {name} is not listed in {VARIABLES}, so sources may not use it")


def _expand(text: str, environ: Mapping[str, str], used: list[str]) -> str:
    def value(match) -> str:
        name = match.group(1)
        _permitted(name, environ)
        found = environ.get(name)
        if found is None or found == "":
            raise _Failed(f"environment variable {name} is not set")
        used.append(found)
        return found

    return VARIABLE.sub(value, text)


def _scrub(sentence: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            sentence = sentence.replace(secret, "***")
    return sentence


def _shown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str) if not isinstance(value, Decimal) \
        else str(value)
    return repr(text if len(text) <= 40 else text[:37] + "…")


def number(value: Any, what: str) -> float:
    """A number from an answer: a JSON/SQL number, or text read like a check-in value ("35%", "1,200", "3.5k").

    `what` names the value for the failure sentence: "the answer at data.d7", "cell B7", "the query's first value".
    """
    if value is None:
        raise _Failed(f"{what} is empty (null)")
    if isinstance(value, bool):
        raise _Failed(f"{what} is not a number: {str(value).lower()}")
    if isinstance(value, (int, float, Decimal)):
        try:
            result = float(value)
        except (OverflowError, ValueError):
            raise _Failed(f"{what} is not a number I can use: {_shown(value)}") from None
    elif isinstance(value, str):
        try:
            result = parse_value(value)
        except InvalidValue:
            raise _Failed(f"{what} is not a number: {_shown(value)}") from None
    else:
        raise _Failed(f"{what} is not a number: {_shown(value)}")
    if not math.isfinite(result):
        raise _Failed(f"{what} is not a finite number: {_shown(value)}")
    if abs(result) > MAX_MAGNITUDE:
        raise _Failed(f"{what} is beyond a trillion: {_shown(value)}")
    return result + 0.0


def _allow_private(environ: Mapping[str, str]) -> bool:
    return environ.get(ALLOW_PRIVATE, "").strip().lower() in ("1", "true", "yes", "on")


def _http(source: HttpSource, environ: Mapping[str, str], timeout: float, used: list[str]) -> float:
    url = _expand(source.url, environ, used)
    headers = {name: _expand(text, environ, used) for name, text in source.headers.items()}
    answer = get(url, headers={"Accept": "application/json", **headers}, timeout=timeout,
                 allow_private=_allow_private(environ))
    try:
        document = json.loads(answer.body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Failed("the answer is not JSON") from None
    if source.path is None:
        return number(document, "the answer")
    try:
        found = jmespath.search(source.path, document)
    except (JMESPathError, ValueError, TypeError, RecursionError):
        raise _Failed(f"the path {source.path} cannot be applied to the answer") from None
    if found is None:
        raise _Failed(f"the answer has nothing at {source.path}")
    return number(found, f"the answer at {source.path}")


def _column(letters: str) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _csv(source: CsvSource, environ: Mapping[str, str], timeout: float, used: list[str]) -> float:
    url = _expand(source.url, environ, used)
    answer = get(url, headers={"Accept": "text/csv"}, timeout=timeout, allow_private=_allow_private(environ))
    try:
        text = answer.body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Failed("the sheet is not UTF-8 CSV") from None
    if text.lstrip()[:1] == "<":
        # A sheet that is not published answers with a sign-in page, not CSV.
        raise _Failed("the answer is a web page, not CSV: publish the sheet as CSV (File, Share, Publish to web)")
    split = len(source.cell.rstrip("0123456789"))
    column, row = _column(source.cell[:split]), int(source.cell[split:]) - 1
    try:
        rows = csv.reader(io.StringIO(text))
        for i, cells in enumerate(rows):
            if i == row:
                if column >= len(cells):
                    raise _Failed(f"the sheet has no cell {source.cell} (row {row + 1} has {len(cells)} columns)")
                value = cells[column].strip()
                if not value:
                    raise _Failed(f"cell {source.cell} is empty")
                return number(value, f"cell {source.cell}")
    except csv.Error:
        raise _Failed("the answer is not CSV I can read") from None
    raise _Failed(f"the sheet has no cell {source.cell} (it has fewer than {row + 1} rows)")


def _prometheus_error(body: bytes) -> bool:
    try:
        document = json.loads(body) if body else None
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(document, dict) and bool(document.get("error"))


def _prometheus(source: PrometheusSource, environ: Mapping[str, str], timeout: float, used: list[str]) -> float:
    base = _expand(source.url, environ, used).rstrip("/")
    try:
        answer = get(f"{base}/api/v1/query", params={"query": source.query, "timeout": f"{timeout:g}s"},
                     timeout=timeout, allow_private=_allow_private(environ))
        body = answer.body
    except FetchFailed as exc:
        # Prometheus answers 400 or 422 with {"status": "error", "error": "…"} for a query it refuses.
        if not _prometheus_error(exc.body):
            raise
        body = exc.body
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _Failed("the answer is not JSON: is the URL a Prometheus server?") from None
    if not isinstance(document, dict) or document.get("status") != "success":
        error = document.get("error") if isinstance(document, dict) else None
        raise _Failed(f"Prometheus refused the query: {str(error)[:200]}" if error else
                      "the answer is not a Prometheus query result")
    data = document.get("data")
    kind = data.get("resultType") if isinstance(data, dict) else None
    result = data.get("result") if isinstance(data, dict) else None
    if kind == "scalar" and isinstance(result, list) and len(result) == 2:
        return _go_float(result[1], "the scalar Prometheus answered")
    if kind != "vector" or not isinstance(result, list):
        raise _Failed(f"the query gives a {kind or 'strange'} result; a source needs an instant vector or a scalar")
    if len(result) != 1:
        raise _Failed(f"the query returned {len(result)} samples; a source needs exactly one (wrap it in sum(…))")
    sample = result[0].get("value") if isinstance(result[0], dict) else None
    if not isinstance(sample, list) or len(sample) != 2:
        raise _Failed("the answer is not a Prometheus query result")
    return _go_float(sample[1], "the sample Prometheus answered")


def _go_float(text: Any, what: str) -> float:
    """Prometheus writes sample values as Go floats in strings ("1e+06", "+Inf", "NaN")."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise _Failed(f"{what} is not a number: {_shown(text)}") from None
    if not math.isfinite(value):
        raise _Failed(f"{what} is not a finite number: {_shown(text)}")
    return number(value, what)


def _sql(source: SqlSource, environ: Mapping[str, str], timeout: float, used: list[str]) -> float:
    _permitted(source.database, environ)
    url = environ.get(source.database)
    if not url:
        raise _Failed(f"environment variable {source.database} is not set")
    used.append(url)
    try:
        import sqlalchemy as sa

        password = sa.make_url(url).password
        if password:
            used.append(str(password))
    except Exception:  # noqa: BLE001 - an unreadable URL is reported by first_value below
        pass
    return number(first_value(url, source.query, timeout=timeout), "the query's first value")


_READERS: Final = {HttpSource: _http, CsvSource: _csv, PrometheusSource: _prometheus, SqlSource: _sql}


def read_source(source: Source, *, environ: Mapping[str, str], timeout: float = READ_TIMEOUT_SECONDS) -> Reading:
    """Read one source now: its value, or the reason it failed ("HTTP 503", "timed out after 10 s"); never raises."""
    used: list[str] = []
    try:
        reader = _READERS[type(source)]
        return Reading(value=reader(source, environ, timeout, used))
    except (_Failed, FetchFailed, SqlFailed) as exc:
        return Reading(failure=_scrub(str(exc), used))
    except Exception as exc:  # noqa: BLE001 - a read must never break the tick or the CLI
        # No traceback: its frames and messages can hold the expanded URL or headers.
        logger.error("reading a %s source failed unexpectedly (%s); it is reported as a failure and read again later",
                     type(source).__name__, type(exc).__name__)
        return Reading(failure=f"the read failed unexpectedly ({type(exc).__name__})")


def read_sources(sources: Sequence[Source], *, environ: Mapping[str, str], timeout: float = READ_TIMEOUT_SECONDS,
                 concurrency: int = 64) -> list[Reading]:
    """Read many sources at once, at most `concurrency` at a time; the readings in the order given, never raising."""
    if not sources:
        return []
    workers = max(1, min(concurrency, len(sources)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="okrbot-source") as pool:
        return list(pool.map(lambda source: read_source(source, environ=environ, timeout=timeout), sources))
