"""Source definitions as people write them (`source: {type: http, url: …}`): parsed, checked and written back.

Nothing here reads the environment: `${VAR}` references stay as written, so a definition can be stored in the
database and exported without ever holding a secret. bot.sources.read expands them when it reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final
from urllib.parse import urlsplit

import jmespath
import yaml
from jmespath.exceptions import JMESPathError

__all__ = ["CsvSource", "HttpSource", "PrometheusSource", "Source", "SourceProblem", "SqlSource", "TYPES",
           "VARIABLE", "origin_key", "origin_label", "parse_source", "parse_source_text", "source_dict", "source_text",
           "variables"]

TYPES: Final = ("http", "csv", "sql", "prometheus")
_FIELDS: Final = {
    "http": ("type", "url", "path", "headers"),
    "csv": ("type", "url", "cell"),
    "sql": ("type", "database", "query"),
    "prometheus": ("type", "url", "query"),
}
MAX_URL: Final = 2000
MAX_QUERY: Final = 4000
MAX_PATH: Final = 500
MAX_HEADERS: Final = 20
MAX_HEADER_VALUE: Final = 1000

# ${NAME}: the only way a secret enters a source; the name follows the shell's rules for environment variables.
VARIABLE: Final = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# An HTTP header name is an RFC 9110 token.
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
# Headers that carry credentials: a literal value there is a secret written into the OKR file and the database.
_SECRET_HEADER: Final = re.compile(r"authorization|cookie|token|secret|key|auth|password|session", re.IGNORECASE)
_CELL: Final = re.compile(r"([A-Za-z]{1,3})([1-9][0-9]{0,6})")


class SourceProblem(ValueError):
    """A source definition okrbot cannot use; .path names the field ("source.url"), str() is a sentence for a person."""

    def __init__(self, path: str, sentence: str) -> None:
        super().__init__(sentence)
        self.path = path
        self.sentence = sentence


@dataclass(frozen=True)
class HttpSource:
    """A JSON answer over HTTP(S); `path` is a JMESPath expression to the number (None: the whole answer)."""

    url: str
    path: str | None = None
    # Left out of the hash (a mapping has none) but not out of ==, so equal sources still hash alike.
    headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)


@dataclass(frozen=True)
class CsvSource:
    """One cell ("B7") of a CSV file over HTTP(S), such as a published spreadsheet."""

    url: str
    cell: str


@dataclass(frozen=True)
class SqlSource:
    """The first column of the first row of one read-only query; `database` names the environment variable of its URL."""

    database: str
    query: str


@dataclass(frozen=True)
class PrometheusSource:
    """An instant query against a Prometheus server's HTTP API, answering exactly one sample."""

    url: str
    query: str


Source = HttpSource | CsvSource | SqlSource | PrometheusSource


def _describe(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (yes/no)"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return repr(shown)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a {type(value).__name__}"


def _a(kind: str) -> str:
    return f"an {kind}" if kind == "http" else f"a {kind}"


def reserved(name: str) -> bool:
    """True for okrbot's own settings, which no source may read: ${SLACK_BOT_TOKEN} in a URL would send the bot's
    token to whoever runs that server, and `database: DATABASE_URL` would query okrbot's own database."""
    upper = name.upper()
    return upper.startswith(("SLACK_", "OKRBOT_")) or upper in ("DATABASE_URL", "PORT")


def _not_reserved(name: str, path: str) -> None:
    if reserved(name):
        raise SourceProblem(path, f"{name} is one of okrbot's own settings, which sources may not use; give the "
                                  "source an environment variable of its own")


def _references(text: str, path: str) -> None:
    """Refuse a `${` that does not make a whole ${NAME} reference, so a typo is not sent as written, and references
    to okrbot's own settings."""
    for name in VARIABLE.findall(text):
        _not_reserved(name, path)
    rest = VARIABLE.sub("", text)
    if "${" in rest:
        raise SourceProblem(path, "has a `${` that is not a reference like ${METRICS_TOKEN} (letters, digits and _, "
                                  "closed with `}`)")


def _text(raw: Mapping, key: str, kind: str, limit: int, *, required: bool = True) -> str | None:
    path = f"source.{key}"
    value = raw.get(key)
    if value is None:
        if required:
            raise SourceProblem(path, f"{_a(kind)} source needs `{key}:`")
        return None
    if not isinstance(value, str):
        raise SourceProblem(path, f"`{key}` must be text, not {_describe(value)}")
    value = value.strip()
    if not value:
        raise SourceProblem(path, f"`{key}` is empty; it needs a value")
    if len(value) > limit:
        raise SourceProblem(path, f"`{key}` is longer than {limit:,} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value) and key != "query":
        raise SourceProblem(path, f"`{key}` contains a control character (a line break or tab); write it on one line")
    return value


def _url(raw: Mapping, kind: str) -> str:
    url = _text(raw, "url", kind, MAX_URL)
    assert url is not None
    _references(url, "source.url")
    if any(ch.isspace() for ch in url):
        raise SourceProblem("source.url", "the URL contains a space; write it as %20")
    if url.startswith("${"):
        # The scheme and host come from the environment: read.py checks them once expanded.
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise SourceProblem("source.url", f"{_describe(url)} is not a URL I can read ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceProblem("source.url", f"the URL must start with https:// or http://, not {_describe(url)}")
    if not parts.hostname:
        raise SourceProblem("source.url", f"the URL {_describe(url)} has no host name")
    if parts.password and not VARIABLE.search(parts.password):
        raise SourceProblem("source.url", "the URL contains a password: take it from the environment instead, as in "
                                          "https://user:${METRICS_PASSWORD}@host/…")
    return url


def _headers(raw: Mapping) -> Mapping[str, str]:
    value = raw.get("headers")
    if value is None:
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        raise SourceProblem("source.headers", f"`headers` must be a mapping like {{Accept: application/json}}, not "
                                              f"{_describe(value)}")
    if len(value) > MAX_HEADERS:
        raise SourceProblem("source.headers", f"there are more than {MAX_HEADERS} headers")
    headers: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise SourceProblem("source.headers", f"{_describe(name)} is not an HTTP header name")
        path = f"source.headers.{name}"
        if isinstance(text, bool) or not isinstance(text, (str, int, float)):
            raise SourceProblem(path, f"the header {name} must be text, not {_describe(text)}")
        text = str(text).strip()
        if len(text) > MAX_HEADER_VALUE:
            raise SourceProblem(path, f"the header {name} is longer than {MAX_HEADER_VALUE:,} characters")
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
            raise SourceProblem(path, f"the header {name} contains a control character (a line break or tab)")
        if not text.isascii():
            raise SourceProblem(path, f"the header {name} has characters HTTP headers cannot carry; use plain ASCII")
        _references(text, path)
        if _SECRET_HEADER.search(name) and text and not VARIABLE.search(text):
            raise SourceProblem(path, f"the header {name} carries a secret: take it from the environment, as in "
                                      f"{name}: \"Bearer ${{METRICS_TOKEN}}\", so it never enters okrbot's database")
        if name.lower() in (h.lower() for h in headers):
            raise SourceProblem(path, f"the header {name} is given twice")
        headers[name] = text
    return MappingProxyType(headers)


def _path(raw: Mapping) -> str | None:
    path = _text(raw, "path", "http", MAX_PATH, required=False)
    if path is None:
        return None
    try:
        jmespath.compile(path)
    except JMESPathError as exc:
        reason = getattr(exc, "msg", None) or "it does not parse"
        raise SourceProblem("source.path", f"{_describe(path)} is not a JMESPath expression like data.d7 ({reason})") \
            from None
    except (ValueError, TypeError, RecursionError, KeyError, IndexError):
        # jmespath's lexer lets a few of these through on odd input; for a person it is the same mistake.
        raise SourceProblem("source.path", f"{_describe(path)} is not a JMESPath expression like data.d7") from None
    return path


def _cell(raw: Mapping) -> str:
    value = raw.get("cell")
    cell = _text(raw, "cell", "csv", 12)
    assert cell is not None
    found = _CELL.fullmatch(cell)
    if found is None:
        raise SourceProblem("source.cell", f"{_describe(value)} is not a cell like B7 (column letters, then the row "
                                           "number)")
    return cell.upper()


def _database(raw: Mapping) -> str:
    name = _text(raw, "database", "sql", 100)
    assert name is not None
    if not _ENV_NAME.fullmatch(name):
        raise SourceProblem("source.database", f"`database` names the environment variable that holds the database "
                                               f"URL, like ANALYTICS_DATABASE_URL, not {_describe(name)}; the URL "
                                               "itself never goes in the file")
    _not_reserved(name, "source.database")
    return name


def parse_source(raw: object) -> Source:
    """The source a mapping describes; raises SourceProblem with the field and a sentence. ${VAR} are kept as written."""
    if not isinstance(raw, Mapping):
        raise SourceProblem("source", f"a source must be a mapping like {{type: http, url: \"https://…\"}}, not "
                                      f"{_describe(raw)}")
    kind = raw.get("type")
    if kind is None:
        raise SourceProblem("source.type", f"a source needs `type:`, one of {', '.join(TYPES)}")
    if not isinstance(kind, str) or kind.strip().lower() not in TYPES:
        raise SourceProblem("source.type", f"{_describe(kind)} is not a source type; use one of {', '.join(TYPES)}")
    kind = kind.strip().lower()
    allowed = _FIELDS[kind]
    for key in raw:
        if key not in allowed:
            raise SourceProblem(f"source.{key}" if isinstance(key, str) else "source",
                                f"{_a(kind)} source has no field {_describe(key)}; its fields are {', '.join(allowed)}")
    if kind == "http":
        return HttpSource(url=_url(raw, kind), path=_path(raw), headers=_headers(raw))
    if kind == "csv":
        return CsvSource(url=_url(raw, kind), cell=_cell(raw))
    if kind == "sql":
        database = _database(raw)
        query = _text(raw, "query", kind, MAX_QUERY)
        assert query is not None
        return SqlSource(database=database, query=query)
    url = _url(raw, kind)
    query = _text(raw, "query", kind, MAX_QUERY)
    assert query is not None
    return PrometheusSource(url=url, query=query)


def source_dict(source: Source) -> dict:
    """The definition as written (${VAR} kept, never a secret): for the database column and the export."""
    if isinstance(source, HttpSource):
        out: dict = {"type": "http", "url": source.url}
        if source.path is not None:
            out["path"] = source.path
        if source.headers:
            out["headers"] = dict(source.headers)
        return out
    if isinstance(source, CsvSource):
        return {"type": "csv", "url": source.url, "cell": source.cell}
    if isinstance(source, SqlSource):
        return {"type": "sql", "database": source.database, "query": source.query}
    return {"type": "prometheus", "url": source.url, "query": source.query}


def origin_key(source: Source) -> str:
    """The stable origin code stored with observed values: prometheus, http, csv or sql."""
    if isinstance(source, HttpSource):
        return "http"
    if isinstance(source, CsvSource):
        return "csv"
    if isinstance(source, SqlSource):
        return "sql"
    return "prometheus"


_LABELS: Final = {"http": "HTTP", "csv": "a sheet", "sql": "SQL", "prometheus": "Prometheus"}


def origin_label(source: Source) -> str:
    """A short origin for people, as in "from Prometheus, 2 h ago"."""
    return _LABELS[origin_key(source)]


def variables(source: Source) -> list[str]:
    """The environment variables a source needs, in the order they appear (for messages and `okrbot source test`)."""
    if isinstance(source, SqlSource):
        return [source.database]
    texts = [source.url, *(source.headers.values() if isinstance(source, HttpSource) else ())]
    seen: dict[str, None] = {}
    for text in texts:
        for name in VARIABLE.findall(text):
            seen.setdefault(name, None)
    return list(seen)


MAX_TEXT: Final = 3000
_TEXT_EXAMPLE: Final = '{type: prometheus, url: "http://prometheus:9090", query: "sum(up)"}'


def parse_source_text(text: str) -> Source:
    """A source typed as the OKR file writes it on one line ({type: http, url: "…"}); raises SourceProblem."""
    if len(text) > MAX_TEXT:
        raise SourceProblem("source", f"the source is longer than {MAX_TEXT:,} characters")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        reason = getattr(exc, "problem", None) or "it does not parse"
        raise SourceProblem("source", f"the source is not a YAML mapping like {_TEXT_EXAMPLE} ({reason})") from None
    except RecursionError:
        raise SourceProblem("source", f"the source is not a YAML mapping like {_TEXT_EXAMPLE}") from None
    return parse_source(raw)


def source_text(definition: Mapping) -> str:
    """A stored definition (source_dict) on one line, as people type it and the OKR file writes it."""
    return yaml.safe_dump(dict(definition), default_flow_style=True, sort_keys=False, allow_unicode=True,
                          width=1_000_000).strip()
