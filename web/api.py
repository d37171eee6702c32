"""okrbot's REST API under /api/v1: push a key result's value, read where a KR stands. A FastAPI app.

The endpoints are async: they read the request on the event loop and hand their database work, in one piece, to the
API's own few threads (API_WORKERS), so it never blocks the loop that also answers Slack (whose Bolt dispatch has
a pool of its own, web/slack.py). Every answer that is not a success is {"detail": "<a sentence>"}.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations, some of them local names.

import functools
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, NamedTuple

import anyio
from fastapi import Depends, FastAPI, Header, HTTPException
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from sqlalchemy.engine import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.reports.key_result import AmbiguousRef, NoSuchKR, find_kr, kr_report
from bot.rules.refs import parse_ref, ref_text
from bot.rules.schedule import days_around
from bot.rules.scoring import kr_score
from bot.rules.values import MAX_MAGNITUDE, InvalidValue, parse_value
from storage.db import session_scope
from storage import pushes
from storage.tokens import hash_token, token_for
from web.limits import BodyLimit, RateLimit

# A value and a note fit in a few hundred bytes; the cap keeps a script's mistake (or an attack) cheap.
MAX_BODY = 64 * 1024
# Per token: a push a minute from each of many KRs is far below this, a runaway loop is not.
PER_MINUTE = 300
BURST = 300
MAX_NOTE = 3000
MAX_IDEMPOTENCY_KEY = 200
# Clocks drift: an `at` this far ahead of okrbot's clock is taken as now, anything later is refused.
CLOCK_SKEW = timedelta(minutes=5)
ORIGIN = "api"
# Threads for the endpoints' database work. The work is CPU under the GIL and SQLite takes one writer at a time, so
# a few threads keep a burst moving; FastAPI's default pool of 40 made 200 concurrent pushes slower, every thread
# waiting for the GIL and the write lock (bench/bench_api.py).
API_WORKERS = 4
# Tokens found by hash stay known for the process (id and workspace only): a request then authenticates without a
# thread hop, and the store below checks in the same transaction that the token still exists, so revoking is
# immediate. Bounded, as every wrong token is looked up afresh and only found ones are kept.
KNOWN_TOKENS = 1024

UNAUTHORIZED = "A valid API token is needed: send `Authorization: Bearer okr_…` (okrbot token create NAME makes one)."
NOT_FOUND = "There is no such key result: use its reference, like KR-7, as /okr status shows it."


class Caller(NamedTuple):
    """Who a request is: its token's id and workspace (and the token's hash, to forget it once revoked)."""

    token_id: int
    workspace_id: str
    digest: str = ""


class Problem(BaseModel):
    """What every refused request gets back."""

    detail: str


class PushBody(BaseModel):
    """A KR's value as the data says it."""

    model_config = ConfigDict(extra="forbid")

    value: StrictInt | StrictFloat | StrictStr = Field(
        description='A number, or text read like a check-in value: "35%", "1,200", "3.5k".', examples=[31.5])
    note: StrictStr | None = Field(default=None, description="Where the number comes from, shown in history.")
    at: StrictStr | None = Field(default=None, description="When the value was true (ISO 8601 with a zone); "
                                 "default: when okrbot receives it.", examples=["2026-11-27T09:00:00Z"])


class PushAnswer(BaseModel):
    """The value as stored."""

    ref: str
    value: float
    score: float = Field(description="The KR's score with this value, 0 to 1.")
    recorded_at: datetime


class PaceAnswer(BaseModel):
    expected_score: float
    behind: bool
    text: str


class KRAnswer(BaseModel):
    """Where a key result stands now."""

    ref: str
    id: str = Field(description="The KR's id in the import file.")
    title: str
    objective: str
    team: str
    owner: str
    unit: str
    baseline: float
    target: float
    value: float | None = Field(description="The latest value: the newer of the last check-in and the last pushed.")
    value_origin: str | None = Field(description='"check-in", or "api" for a pushed value.')
    value_at: datetime | None
    confidence: str | None = Field(description="green, amber or red, from the last check-in.")
    checked_in_at: datetime | None
    score: float
    pace: PaceAnswer


def _refused(status: int, detail: str, **headers: str) -> HTTPException:
    return HTTPException(status_code=status, detail=detail, headers=headers or None)


def storable(field: str, text: str) -> str:
    """Text both databases can store: valid UTF-8 (JSON can carry lone surrogates) and no NUL (PostgreSQL refuses
    it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _refused(422, f"{field}: not valid Unicode text.") from None
    if "\x00" in text:
        raise _refused(422, f"{field}: contains a NUL character.")
    return text


def read_value(value: int | float | str) -> float:
    """A pushed value as a number, with a sentence for one that cannot be stored."""
    if isinstance(value, str):
        storable("value", value)
        try:
            return parse_value(value)
        except InvalidValue as exc:
            raise _refused(422, f"value: {exc}") from None
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
        raise _refused(422, "value: values must be finite and stay within a trillion (1,000,000,000,000) either way.")
    return number + 0.0


def read_at(text: str | None, *, now: datetime) -> datetime:
    """The instant a value was true: `at` (ISO 8601 with a zone, not in the future), else now."""
    if text is None:
        return now
    storable("at", text)
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _refused(422, f"at: {text[:40]!r} is not an ISO 8601 time like 2026-11-27T09:00:00Z.") from None
    if at.tzinfo is None:
        raise _refused(422, "at: add a time zone, Z for UTC or an offset like +01:00.")
    try:
        at = at.astimezone(UTC)
    except OverflowError:
        raise _refused(422, "at: that time is out of range.") from None
    if at > now + CLOCK_SKEW:
        raise _refused(422, "at: that time is in the future.")
    return min(at, now)


def _validation_sentence(errors) -> str:
    first = errors[0] if errors else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body")
    kind = first.get("type", "")
    if kind == "json_invalid":
        return "The body is not valid JSON; send {\"value\": 31.5}."
    if kind == "missing":
        return f"{where or 'body'}: required; send {{\"value\": 31.5}}."
    if kind == "extra_forbidden":
        return f"{where}: unknown field; the body has value, and optionally note and at."
    if kind in ("model_attributes_type", "dict_type", "model_type"):
        return "The body must be a JSON object like {\"value\": 31.5}."
    if where.startswith("value"):
        return "value: a number, or text like \"35%\" or \"1,200\"."
    return f"{where or 'body'}: {first.get('msg', 'not accepted')}."


def build_api(engine: Engine, *, clock: Callable[[], datetime],
              limit: RateLimit | None = None) -> BodyLimit:
    """The API as an ASGI app to mount at /api/v1, behind its own 64 KB body limit."""
    limit = limit or RateLimit(per_minute=PER_MINUTE, burst=BURST)
    api = FastAPI(title="okrbot", version="1", summary="Push key results' values from your data.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    bearer = HTTPBearer(auto_error=False, description="An API token from `okrbot token create NAME`.")

    @api.exception_handler(RequestValidationError)
    def _unreadable(_request, exc: RequestValidationError):
        return JSONResponse({"detail": _validation_sentence(exc.errors())}, status_code=422)

    @api.exception_handler(StarletteHTTPException)
    async def _refusal(request, exc: StarletteHTTPException):
        if exc.status_code == 400:
            # FastAPI's answer to a body that is not UTF-8 at all; to a script it is JSON it could not send.
            return JSONResponse({"detail": "The body is not valid JSON (UTF-8); send {\"value\": 31.5}."},
                                status_code=422)
        return await http_exception_handler(request, exc)

    workers = anyio.CapacityLimiter(API_WORKERS)
    known: dict[str, Caller] = {}

    async def in_thread(fn, *args, **kwargs):
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs), limiter=workers)

    def look_up(presented: str) -> Caller | None:
        with session_scope(engine) as session:
            token = token_for(presented, session=session, now=clock())
            return None if token is None else Caller(token.id, token.workspace_id)

    def unauthorized() -> HTTPException:
        return _refused(401, UNAUTHORIZED, **{"WWW-Authenticate": "Bearer"})

    async def authenticated(
            credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Caller:
        if credentials is None:
            raise unauthorized()
        digest = hash_token(credentials.credentials)
        caller = known.get(digest)
        if caller is None:
            caller = await in_thread(look_up, credentials.credentials)
            if caller is None:
                raise unauthorized()
            if len(known) >= KNOWN_TOKENS:
                known.clear()
            known[digest] = caller
        caller = caller._replace(digest=digest)
        wait = limit.wait_for(caller.token_id)
        if wait > 0:
            raise _refused(429, f"This token may send {limit.per_minute} requests a minute; try again in "
                           f"{math.ceil(wait)} s.", **{"Retry-After": str(math.ceil(wait))})
        return caller

    def alive(caller: Caller, session, *, now: datetime) -> None:
        # The token may have been revoked since it was found (in another process, by `okrbot token revoke`).
        if not pushes.token_alive(caller.token_id, caller.digest, session=session, now=now):
            known.pop(caller.digest, None)
            raise unauthorized()

    refusals = {401: {"model": Problem}, 404: {"model": Problem}, 409: {"model": Problem},
                422: {"model": Problem}, 429: {"model": Problem}}

    def store(ref: str, caller: Caller, value: float, at: datetime, note: str, key: str | None, *,
              now: datetime) -> PushAnswer:
        with session_scope(engine, caller.workspace_id) as session:
            alive(caller, session, now=now)
            kr = _found(ref, session, now=now, find=_pushed_kr)
            stored = pushes.push_value(kr, value=value, observed_at=at, recorded_at=now, origin=ORIGIN, note=note,
                                token_id=caller.token_id, idempotency_key=key, session=session)
            return PushAnswer(ref=ref_text(stored.kr.ref), value=stored.value,
                              score=round(kr_score(stored.kr.baseline, stored.kr.target, stored.value), 4),
                              recorded_at=stored.recorded_at)

    @api.post("/key-results/{ref}/values", status_code=201, response_model=PushAnswer, responses=refusals,
              summary="Record a key result's value")
    async def push_value(ref: str, body: PushBody, caller: Annotated[Caller, Depends(authenticated)],
                          idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
                          ) -> PushAnswer:
        """Store the value the data says, once per Idempotency-Key; status, prompts and scores use it from now on."""
        now = clock()
        value, at = read_value(body.value), read_at(body.at, now=now)
        note = storable("note", (body.note or "").strip())
        if len(note) > MAX_NOTE:
            raise _refused(422, f"note: at most {MAX_NOTE:,} characters.")
        if idempotency_key is not None and not (0 < len(idempotency_key) <= MAX_IDEMPOTENCY_KEY
                                                and idempotency_key.isascii() and idempotency_key.isprintable()):
            raise _refused(422, f"Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters.")
        return await in_thread(store, ref, caller, value, at, note, idempotency_key, now=now)

    def report(ref: str, caller: Caller, *, now: datetime) -> KRAnswer:
        with session_scope(engine, caller.workspace_id) as session:
            alive(caller, session, now=now)
            report = kr_report(_found(ref, session, now=now, find=find_kr), session=session, now=now)
        kr, status = report.row.kr, report.status
        return KRAnswer(
            ref=ref_text(kr.ref), id=kr.key, title=kr.title, objective=report.row.objective.title,
            team=report.row.team.name, owner=kr.owner_id, unit=kr.unit, baseline=kr.baseline, target=kr.target,
            value=status.value, value_origin=report.value_origin, value_at=report.value_at,
            confidence=status.confidence, checked_in_at=report.checked_in_at, score=round(status.score, 4),
            pace=PaceAnswer(expected_score=round(status.pace.expected_score, 4), behind=status.pace.behind,
                            text=status.pace.text))

    @api.get("/key-results/{ref}", response_model=KRAnswer, responses=refusals, summary="Read a key result")
    async def read_kr(ref: str, caller: Annotated[Caller, Depends(authenticated)]) -> KRAnswer:
        """The KR with its latest value, confidence, score and pace."""
        return await in_thread(report, ref, caller, now=clock())

    return BodyLimit(api, max_body=MAX_BODY, body_seconds=10.0, as_json=True)


def _found(ref: str, session, *, now: datetime, find):
    if len(ref) > 200 or not ref.isprintable():
        # No KR has such a name, and PostgreSQL would refuse a NUL in the query.
        raise _refused(404, NOT_FOUND)
    try:
        return find(ref, session=session, now=now)
    except NoSuchKR:
        raise _refused(404, NOT_FOUND) from None
    except AmbiguousRef as exc:
        raise _refused(409, str(exc)) from None


def _pushed_kr(name: str, *, session, now: datetime):
    # find_kr's rule, reading only the columns a push answers with (storage.pushes).
    found = pushes.krs_named(parse_ref(name), name, session=session, first_day=days_around(now=now)[0])
    if not found:
        raise NoSuchKR(name)
    if len(found) > 1:
        raise AmbiguousRef(name, [ref_text(kr.ref) for kr in found])
    return found[0]
